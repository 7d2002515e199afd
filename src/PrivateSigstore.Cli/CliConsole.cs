namespace PrivateSigstore.Cli;

/// <summary>Where psig writes: results to <see cref="Out"/>, diagnostics and progress to <see cref="Error"/>.</summary>
/// <param name="Out">Standard output.</param>
/// <param name="Error">Standard error.</param>
/// <param name="IsInteractive">True on a terminal: progress is shown; false when piped (quiet).</param>
public sealed record CliConsole(TextWriter Out, TextWriter Error, bool IsInteractive)
{
    /// <summary>Gets a browser to a sign-in URL (the code flow); the system browser unless replaced (tests drive the page over HTTP).</summary>
    public Func<Uri, CancellationToken, Task> OpenBrowser { get; init; } = SystemBrowser.OpenAsync;

    /// <summary>psig's home directory (its TUF cache); null: $PSIG_HOME, else ~/.sigstore/psig. Tests give each run its own.</summary>
    public string? Home { get; init; }

    /// <summary>The clock TUF expiry is checked against (tests replace it).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}

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

/// <summary>A percentage line for reading one large file on a terminal; null (no reporting) when piped or small.</summary>
internal sealed class ByteProgress(CliConsole console, string what, long total) : IProgress<long>
{
    /// <summary>Files smaller than this finish too fast to need progress.</summary>
    public const long Threshold = 64L << 20;

    private int _lastPercent = -1;

    public static ByteProgress? For(CliConsole console, string what, string path)
    {
        var length = new FileInfo(path).Exists ? new FileInfo(path).Length : 0;
        return console.IsInteractive && length >= Threshold ? new ByteProgress(console, what, length) : null;
    }

    public void Report(long value)
    {
        var percent = (int)(value * 100 / Math.Max(total, 1));
        if (percent != _lastPercent)
        {
            _lastPercent = percent;
            console.Error.Write($"\r{what}: {percent}%");
            if (percent >= 100)
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
