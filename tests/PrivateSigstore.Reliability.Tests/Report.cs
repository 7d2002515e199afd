namespace PrivateSigstore.Reliability.Tests;

/// <summary>The figures of a run: to the test's diagnostic output, and appended to $PSIG_RELIABILITY_REPORT when set (docs/reliability.md).</summary>
internal static class Report
{
    private static readonly Lock Gate = new();

    public static void Line(string line)
    {
        TestContext.Current.SendDiagnosticMessage(line);
        var file = Environment.GetEnvironmentVariable("PSIG_RELIABILITY_REPORT");
        if (!string.IsNullOrEmpty(file))
        {
            lock (Gate)
            {
                File.AppendAllText(file, line + "\n");
            }
        }
    }
}
