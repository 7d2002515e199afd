namespace PrivateSigstore.Cli;

/// <summary>Where psig writes: results to <see cref="Out"/>, diagnostics and progress to <see cref="Error"/>.</summary>
/// <param name="Out">Standard output.</param>
/// <param name="Error">Standard error.</param>
/// <param name="IsInteractive">True on a terminal: progress is shown; false when piped (quiet).</param>
public sealed record CliConsole(TextWriter Out, TextWriter Error, bool IsInteractive);

/// <summary>A one-line progress counter on a terminal, nothing when piped.</summary>
internal sealed class Progress(CliConsole console, string what, int total)
{
    private int _done;

    public void Step()
    {
        _done++;
        if (console.IsInteractive && total > 1)
        {
            console.Error.Write($"\r{what}: {_done}/{total}");
            if (_done == total)
            {
                console.Error.WriteLine();
            }
        }
    }
}

/// <summary>Process exit codes (cosign-like).</summary>
internal static class ExitCodes
{
    public const int Verified = 0;
    public const int NotVerified = 1;
    public const int Usage = 2;
}

/// <summary>A usage error found after parsing (conflicting or missing flags): exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message)
{
    public UsageException() : this("usage error") { }

    public UsageException(string message, Exception inner) : this(message + ": " + inner.Message) { }
}
