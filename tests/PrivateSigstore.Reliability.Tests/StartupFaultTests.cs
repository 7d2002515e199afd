using System.Diagnostics;

namespace PrivateSigstore.Reliability.Tests;

/// <summary>
/// A data directory that cannot be created (its parent is a file), or a setting that is wrong: one clear line and exit 1,
/// not a stack trace.
/// </summary>
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
        var line = await RunToOneErrorLineAsync(dir, service, [$"--{service}:DataDirectory={Path.Combine(file, "data")}"]);
        Assert.StartsWith("error: cannot open the ", line, StringComparison.Ordinal);
        Directory.Delete(dir, recursive: true);
    }

    // Found by the systemd PostgreSQL test: a connection string that does not parse (here "Search" without a value) made
    // Rekor exit 134 with an unhandled ArgumentException and a stack trace; so did every other wrong setting the options
    // checks already named (Storage=Bogus, a missing connection string).
    [Theory]
    [InlineData("Rekor", "Rekor:PostgresConnectionString", new[] { "--Rekor:Storage=Postgres", "--Rekor:PostgresConnectionString=Host=x;Search" })]
    [InlineData("Rekor", "Rekor:Storage", new[] { "--Rekor:Storage=Bogus" })]
    [InlineData("Rekor", "RekorV2:PostgresConnectionString", new[] { "v2", "serve", "--RekorV2:Storage=Postgres", "--RekorV2:PostgresConnectionString=Host=x;Search" })]
    [InlineData("CtLog", "CtLog:PostgresConnectionString", new[] { "--CtLog:Storage=Postgres" })]
    [InlineData("Identity", "Identity:PostgresConnectionString", new[] { "--Identity:Storage=Postgres", "--Identity:PostgresConnectionString=Host=x;Search" })]
    [InlineData("Fulcio", "Fulcio:CorsAllowedOrigins", new[] { "--Fulcio:CorsAllowedOrigins:0=not an origin" })]
    public async Task A_wrong_setting_is_one_error_line_naming_it_and_exit_1(string service, string setting, string[] arguments)
    {
        var dir = Directory.CreateTempSubdirectory("psig-startup-").FullName;
        var section = arguments.Contains("v2") ? "RekorV2" : service;
        var line = await RunToOneErrorLineAsync(dir, service, [.. arguments, $"--{section}:DataDirectory={Path.Combine(dir, "data")}"]);
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(setting, line, StringComparison.Ordinal);
        Directory.Delete(dir, recursive: true);
    }

    /// <summary>Runs the service's entry point with <paramref name="arguments"/>; asserts exit 1, no stack trace and one stderr line, which it returns.</summary>
    private static async Task<string> RunToOneErrorLineAsync(string dir, string service, string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])[Repository.ServiceDll(service), .. arguments, "--urls", "http://127.0.0.1:0"])
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = process.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{service} {string.Join(' ', arguments)} did not stop: {await output}");
        }

        var stderr = await error;
        Assert.True(process.ExitCode == 1, $"exit {process.ExitCode}\n{await output}\n{stderr}");
        Assert.DoesNotContain("Unhandled exception", (await output) + stderr, StringComparison.Ordinal);
        return Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
