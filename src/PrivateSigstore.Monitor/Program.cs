namespace PrivateSigstore.Monitor;

/// <summary>The executable: the transparency-log monitor (section "Monitor"), on http://127.0.0.1:8082 by default.</summary>
internal static class MonitorProgram
{
    public static async Task<int> Main(string[] args)
    {
        var app = await MonitorApp.BuildAsync(args).ConfigureAwait(false);
        await app.RunAsync().ConfigureAwait(false);
        return 0;
    }
}
