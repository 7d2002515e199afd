using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PrivateSigstore.Identity.Tests.TestSupport;

/// <summary>A real identity provider on a free loopback port with a fresh data directory (Kestrel, SQLite, dev key); every log line is kept.</summary>
public sealed class IdentityServer : IAsyncDisposable
{
    private IdentityServer(WebApplication app, string url, string dataDirectory, ConcurrentQueue<string> logs, bool ownsDirectory)
    {
        App = app;
        Url = url;
        DataDirectory = dataDirectory;
        Logs = logs;
        _ownsDirectory = ownsDirectory;
    }

    private readonly bool _ownsDirectory;

    public WebApplication App { get; }

    /// <summary>The listen URL, e.g. http://127.0.0.1:41234 (no trailing slash).</summary>
    public string Url { get; }

    /// <summary>The exact <c>iss</c> of its tokens.</summary>
    public string Issuer => IdentityApp.CanonicalIssuer(Url);

    public string DataDirectory { get; }

    /// <summary>Every log line (Debug and above) with its exception.</summary>
    public ConcurrentQueue<string> Logs { get; }

    public static async Task<IdentityServer> StartAsync(IEnumerable<string>? extraArgs = null, Action<WebApplicationBuilder>? configure = null, string? dataDirectory = null)
    {
        var owns = dataDirectory is null;
        dataDirectory ??= Directory.CreateTempSubdirectory("psig-identity-tests-").FullName;
        var logs = new ConcurrentQueue<string>();
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var url = $"http://127.0.0.1:{port}";
            // Many sign-ins from one address in one run: the default limits are raised here (a later argument wins, so a test that
            // checks a limit sets its own).
            string[] args =
            [
                "--urls", url, "--Identity:DataDirectory", dataDirectory,
                "--RateLimits:login:PermitLimit", "10000", "--RateLimits:login-account:PermitLimit", "10000",
                "--RateLimits:token:PermitLimit", "10000", "--RateLimits:device:PermitLimit", "10000",
                .. extraArgs ?? [],
            ];
            var app = await IdentityApp.BuildAsync(args, b =>
            {
                b.Logging.ClearProviders();
                b.Logging.SetMinimumLevel(LogLevel.Debug);
                b.Logging.AddProvider(new QueueLoggerProvider(logs));
                configure?.Invoke(b);
            }, TestContext.Current.CancellationToken);
            try
            {
                await app.StartAsync(TestContext.Current.CancellationToken);
                return new IdentityServer(app, url, dataDirectory, logs, owns);
            }
            catch (IOException) when (attempt < 5)
            {
                await app.DisposeAsync();
            }
        }
    }

    /// <summary>An HTTP client with its own cookies that does not follow redirects (tests follow them step by step).</summary>
    public HttpClient NewBrowser() => new(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer(), UseCookies = true })
    {
        BaseAddress = new Uri(Url),
    };

    /// <summary>The admin API on the running service's store.</summary>
    public async Task<T> AdminAsync<T>(Func<IdentityAdmin, Task<T>> action)
    {
        await using var scope = App.Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<IdentityAdmin>());
    }

    /// <summary>Runs an <c>admin</c> command against this service's store, as the CLI does.</summary>
    public Task<(int Exit, string Output, string Error)> CliAsync(params string[] args) => CliWithInputAsync(null, args);

    public async Task<(int Exit, string Output, string Error)> CliWithInputAsync(string? stdin, params string[] args)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Identity:DataDirectory"] = DataDirectory }).Build();
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await AdminCommands.RunAsync(args, output, error, configuration, stdin is null ? null : new StringReader(stdin), TestContext.Current.CancellationToken);
        return (exit, output.ToString(), error.ToString());
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync(CancellationToken.None);
        await App.DisposeAsync();
        if (_ownsDirectory)
        {
            try
            {
                Directory.Delete(DataDirectory, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp directory is harmless.
            }
        }
    }

    private sealed class QueueLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new QueueLogger(categoryName, lines);

        public void Dispose()
        {
        }

        private sealed class QueueLogger(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception}");
            }
        }
    }
}
