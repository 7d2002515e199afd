using System.Diagnostics;

namespace PrivateSigstore.Deploy.Tests;

/// <summary>
/// An external program a test needs (docker-compose, systemd-analyze, Node, softhsm2-util, openssl, PostgreSQL). Missing:
/// the test is skipped, except under CI (CI=true), where it fails, as SoftHsmFixture does: test.sh installs them all.
/// </summary>
internal static class RequiredTool
{
    /// <summary>Skips (or under CI fails) the calling test when <paramref name="reason"/> is not null.</summary>
    public static void Require(string? reason)
    {
        if (reason is null)
        {
            return;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail($"CI=true but {reason}");
        }

        Assert.Skip(reason);
    }

    /// <summary>The full path of <paramref name="command"/> on PATH, or null.</summary>
    public static string? Find(string command)
    {
        if (Path.IsPathRooted(command))
        {
            return File.Exists(command) ? command : null;
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries).Append("/usr/sbin"))
        {
            var path = Path.Combine(dir, command);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    /// <summary>Requires <paramref name="command"/> on PATH (installed by test.sh from <paramref name="package"/>); returns its path.</summary>
    public static string Command(string command, string package)
    {
        var path = Find(command);
        Require(path is null ? $"{command} is not installed (apt-get install -y {package}; test.sh does)" : null);
        return path!;
    }

    /// <summary>Runs a program to completion; returns its exit code and combined output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(
        string fileName, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string>? environment, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[k] = v;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
