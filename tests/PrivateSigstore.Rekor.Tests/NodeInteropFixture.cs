using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using PrivateSigstore.Tests.Support;

namespace PrivateSigstore.Rekor.Tests;

/// <summary>
/// Runs tests/interop/rekor-interop.mjs (the real sigstore-js packages, pinned in its package-lock.json) once
/// against our Rekor service on real Kestrel: a free loopback port, a temporary data directory, and
/// Rekor:Hostname = "127.0.0.1:&lt;port&gt;" so that the checkpoint signer name occurs in the trusted root's
/// tlog baseUrl (sigstore-js verify/dist/tlog/checkpoint.js). Tests read <see cref="Run"/>; they skip when
/// the Node modules are missing, except under CI=true, where that is a failure (test.sh installs them).
/// </summary>
public sealed class NodeInteropFixture : IAsyncLifetime
{
    /// <summary>The longest the Node script may run (it takes about a second).</summary>
    public static TimeSpan ScriptTimeout => NodeScript.Timeout;

    private readonly ConcurrentQueue<string> _serverLog = new();
    private string? _tempDirectory;

    /// <summary>tests/interop in the repository.</summary>
    public static string InteropDirectory => NodeScript.InteropDirectory;

    /// <summary>Why the script cannot run here, or null.</summary>
    public string? UnavailableReason { get; private set; }

    /// <summary>The script's run, once <see cref="InitializeAsync"/> has completed and the modules are present.</summary>
    public NodeRun? Run { get; private set; }

    public async ValueTask InitializeAsync()
    {
        if (NodeScript.UnavailableReason is { } reason)
        {
            UnavailableReason = reason;
            return;
        }
        _tempDirectory = Directory.CreateTempSubdirectory("psig-interop-").FullName;
        try
        {
            await using var app = await StartRekorAsync(_tempDirectory);
            Run = await RunScriptAsync(app.Url);
            await app.App.StopAsync(TestContext.Current.CancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Run = new NodeRun(-1, "", "", null, false, ex.ToString(), [.. _serverLog]);
        }
    }

    /// <summary>Skips the calling test when the Node modules are missing, or fails it under CI; returns the run.</summary>
    public NodeRun Require()
    {
        if (UnavailableReason is not null)
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                Assert.Fail($"CI=true but {UnavailableReason}");
            }
            Assert.Skip(UnavailableReason);
        }
        return Run ?? throw new InvalidOperationException("the interop fixture did not run");
    }

    public ValueTask DisposeAsync()
    {
        if (_tempDirectory is not null)
        {
            try
            {
                Directory.Delete(_tempDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp directory is harmless.
            }
        }
        return ValueTask.CompletedTask;
    }

    /// <summary>Starts Rekor on a free loopback port; the port must be known before start (it is in the hostname).</summary>
    private async Task<RunningRekor> StartRekorAsync(string tempDirectory)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = FreeLoopbackPort();
            var dataDirectory = Directory.CreateDirectory(Path.Combine(tempDirectory, $"rekor-{attempt}")).FullName;
            string[] args =
            [
                "--urls", $"http://127.0.0.1:{port}",
                "--Rekor:DataDirectory", dataDirectory,
                "--Rekor:Hostname", $"127.0.0.1:{port}",
            ];
            var app = await RekorApp.BuildAsync(args, b =>
            {
                b.Logging.ClearProviders();
                b.Logging.AddProvider(new QueueLoggerProvider(_serverLog));
            }, TestContext.Current.CancellationToken);
            try
            {
                await app.StartAsync(TestContext.Current.CancellationToken);
                return new RunningRekor(app, $"http://127.0.0.1:{port}");
            }
            catch (IOException) when (attempt < 5)
            {
                // Another process took the port between probing and binding: try another one.
                await app.DisposeAsync();
            }
        }
    }

    private static int FreeLoopbackPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    private async Task<NodeRun> RunScriptAsync(string rekorUrl)
    {
        var run = await NodeScript.RunAsync("rekor-interop.mjs", new Dictionary<string, string> { ["REKOR_URL"] = rekorUrl }, TestContext.Current.CancellationToken);
        return new NodeRun(run.ExitCode, run.Stdout, run.Stderr, run.Summary, run.TimedOut, run.Error, [.. _serverLog]);
    }

    private sealed record RunningRekor(WebApplication App, string Url) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => App.DisposeAsync();
    }

    /// <summary>Keeps the service's warnings and errors for the failure report.</summary>
    private sealed class QueueLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new QueueLogger(categoryName, lines);

        public void Dispose()
        {
        }

        private sealed class QueueLogger(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (!IsEnabled(logLevel)) return;
                lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
            }
        }
    }
}

/// <summary>One run of the interop script: exit code, output, the parsed JSON summary, and the service's warnings.</summary>
public sealed record NodeRun(int ExitCode, string Stdout, string Stderr, JsonNode? Summary, bool TimedOut, string? Error, IReadOnlyList<string> ServerLog)
{
    /// <summary>Everything worth reading when an assertion fails.</summary>
    public string Report()
    {
        var text = new StringBuilder();
        text.AppendLine($"node exit code {ExitCode}{(TimedOut ? $" (killed after {NodeInteropFixture.ScriptTimeout})" : "")}");
        if (Error is not null) text.AppendLine("error: " + Error);
        text.AppendLine("--- node stdout ---").AppendLine(Stdout);
        text.AppendLine("--- node stderr ---").AppendLine(Stderr);
        text.AppendLine("--- Rekor warnings and errors ---");
        foreach (var line in ServerLog) text.AppendLine(line);
        return text.ToString();
    }
}
