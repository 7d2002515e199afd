using System.Diagnostics;

namespace PrivateSigstore.Reliability.Tests;

/// <summary>A data directory that cannot be created (its parent is a file): one clear line and exit 1, not a stack trace.</summary>
public sealed class StartupFaultTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("CtLog")]
    [InlineData("Fulcio")]
    [InlineData("Identity")]
    public async Task An_unusable_data_directory_is_one_error_line_and_exit_1(string service)
    {
        var dir = Directory.CreateTempSubdirectory("psig-startup-").FullName;
        var file = Path.Combine(dir, "a-file");
        await File.WriteAllTextAsync(file, "not a directory", Ct);
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])[Repository.ServiceDll(service), $"--{service}:DataDirectory={Path.Combine(file, "data")}", "--urls", "http://127.0.0.1:0"])
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = process.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        var stderr = await error;
        Assert.True(process.ExitCode == 1, $"exit {process.ExitCode}\n{await output}\n{stderr}");
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: cannot open the ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", (await output) + stderr, StringComparison.Ordinal);
        Directory.Delete(dir, recursive: true);
    }
}
