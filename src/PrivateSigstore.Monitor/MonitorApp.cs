using System.Globalization;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Trust;
using PrivateSigstore.Hosting;

namespace PrivateSigstore.Monitor;

/// <summary>
/// Builds the transparency-log monitor: a follower (<see cref="BackgroundService"/>) per log, the identity watch, the
/// durable alert feed at <c>GET /api/v1/alerts</c>, webhooks, and the shared /healthz, /readyz, /metrics.
/// </summary>
public static class MonitorApp
{
    /// <summary>The default listen address (loopback only unless configured).</summary>
    public const string DefaultUrl = "http://127.0.0.1:8082";

    /// <summary>The named HTTP client used for logs and webhooks.</summary>
    public const string HttpClientName = "PrivateSigstore.Monitor";

    /// <summary>The service as the hosting layer sees it.</summary>
    public static readonly ServiceDescription Service = new(MonitorOptions.Section, DefaultUrl)
    {
        Meters = [MonitorMetrics.MeterName],
        RateLimitedGroups = ["alerts"],
    };

    /// <summary>Binds <see cref="MonitorOptions"/> from configuration (section "Monitor") and builds the application.</summary>
    public static Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default) =>
        BuildAsync(args, null, configure, cancellationToken);

    /// <summary>Builds the application with <paramref name="options"/> as given; throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public static Task<WebApplication> BuildAsync(MonitorOptions options, string[]? args = null, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default) =>
        BuildAsync(args ?? [], options ?? throw new ArgumentNullException(nameof(options)), configure, cancellationToken);

    private static Task<WebApplication> BuildAsync(string[] args, MonitorOptions? typed, Action<WebApplicationBuilder>? configure, CancellationToken cancellationToken) =>
        ServiceApp.BuildAsync(Service, args, typed, configure, _ => 64 * 1024, (b, o) => b.Services.AddMonitor(o), (app, _) =>
        {
            // The logs, their keys and the identity configuration were read by AddMonitor: a bad one has failed already.
            app.MapGet("/api/v1/alerts", (AlertStore store, long? since, int? limit) =>
                Results.Json(store.List(since ?? 0, Math.Clamp(limit ?? 1000, 1, 10_000)), MonitorJson.Default.ListMonitorAlert))
                .WithRateLimit("alerts");
            return Task.CompletedTask;
        }, cancellationToken);

    /// <summary>Registers the monitor: options (validated), logs, identity watch, alert store, followers, webhooks, readiness.</summary>
    public static IServiceCollection AddMonitor(this IServiceCollection services, MonitorOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        services.TryAddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<MonitorMetrics>();
        services.AddHttpClient(HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(options.HttpTimeoutSeconds));
        services.AddSingleton(sp => new AlertStore(options.DataDirectory, sp.GetRequiredService<MonitorMetrics>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(new LogStateStore(options.DataDirectory));
        var identities = options.IdentityConfigPath is { } path ? IdentityWatch.Load(path) : null;
        var targets = ResolveLogs(options);
        var witnesses = (options.Witnesses ?? []).Select(w => new Uri(w.EndsWith('/') ? w : w + "/")).ToList();
        foreach (var target in targets)
        {
            services.AddSingleton(sp => new LogFollower(
                CreateSource(target, sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName)),
                sp.GetRequiredService<LogStateStore>(), sp.GetRequiredService<AlertStore>(), identities, options,
                sp.GetRequiredService<MonitorMetrics>(), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<LogFollower>>())
            {
                Witnesses = target.Kind == MonitoredLogKind.Ct || witnesses.Count == 0 ? null : new WitnessFeed(sp.GetRequiredService<IHttpClientFactory>().CreateClient(HttpClientName), witnesses),
            });
        }
        services.AddSingleton<IHostedService>(sp => new FollowerHost(sp.GetServices<LogFollower>()));
        services.AddHostedService<WebhookDispatcher>();
        services.AddHealthChecks().AddCheck<MonitorReadiness>("monitor", tags: [ServiceApp.ReadyTag]);
        return services;
    }

    /// <summary>A log to follow, resolved from the trusted root and the explicit list.</summary>
    internal sealed record LogTarget(MonitoredLogKind Kind, Uri Url, byte[] PublicKey, string? Origin);

    internal static List<LogTarget> ResolveLogs(MonitorOptions options)
    {
        var byUrl = new Dictionary<string, LogTarget>(StringComparer.OrdinalIgnoreCase);
        if (options.TrustedRootPath is { } rootPath)
        {
            TrustedRoot root;
            try
            {
                root = TrustedRootJson.Parse(File.ReadAllBytes(rootPath));
            }
            catch (Exception e) when (e is PrivateSigstore.Core.WireFormatException or IOException or FormatException)
            {
                throw new ArgumentException($"Monitor:TrustedRootPath {rootPath}: {e.Message}", e);
            }
            foreach (var (log, ct) in root.Tlogs.Select(l => (l, false)).Concat(root.Ctlogs.Select(l => (l, true))))
            {
                if (!Uri.TryCreate(log.BaseUrl, UriKind.Absolute, out var url) || log.PublicKey?.RawBytes is not { Length: > 0 } key) continue;
                var kind = ct ? MonitoredLogKind.Ct
                    : PublicKeyInfo.Validate(key) == PublicKeyInfo.Ed25519Oid ? MonitoredLogKind.RekorV2 : MonitoredLogKind.RekorV1;
                byUrl[url.AbsoluteUri.TrimEnd('/')] = new LogTarget(kind, url, key, null);
            }
        }
        for (var i = 0; i < options.Logs.Count; i++)
        {
            var log = options.Logs[i];
            byte[] key;
            try
            {
                key = LogKeys.Parse(log.PublicKey ?? File.ReadAllText(log.PublicKeyPath!));
            }
            catch (Exception e) when (e is FormatException or PrivateSigstore.Core.WireFormatException or System.Security.Cryptography.CryptographicException or ArgumentException)
            {
                throw new ArgumentException($"Monitor:Logs:{i.ToString(CultureInfo.InvariantCulture)}: the public key does not parse: {e.Message}", e);
            }
            var url = new Uri(log.Url);
            byUrl[url.AbsoluteUri.TrimEnd('/')] = new LogTarget(log.Kind, url, key, log.Origin);
        }
        if (byUrl.Count == 0) throw new ArgumentException("Monitor:TrustedRootPath names no log with a URL and a key, and Monitor:Logs is empty");
        return [.. byUrl.Values];
    }

    private static ILogSource CreateSource(LogTarget target, HttpClient http) => target.Kind switch
    {
        MonitoredLogKind.RekorV1 => new RekorV1Source(http, target.Url, target.PublicKey),
        MonitoredLogKind.RekorV2 => new RekorV2Source(http, target.Url, target.PublicKey, target.Origin),
        _ => new CtSource(http, target.Url, target.PublicKey),
    };

    /// <summary>Starts and stops every follower.</summary>
    private sealed class FollowerHost(IEnumerable<LogFollower> followers) : IHostedService
    {
        private readonly LogFollower[] _followers = [.. followers];

        public Task StartAsync(CancellationToken cancellationToken) => Task.WhenAll(_followers.Select(f => f.StartAsync(cancellationToken)));

        public Task StopAsync(CancellationToken cancellationToken) => Task.WhenAll(_followers.Select(f => f.StopAsync(cancellationToken)));
    }
}

/// <summary>/readyz: ready once every log has a verified checkpoint.</summary>
internal sealed class MonitorReadiness(IEnumerable<LogFollower> followers) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var missing = followers.Count(f => f.State is null);
        return Task.FromResult(missing == 0
            ? HealthCheckResult.Healthy("every log has a verified checkpoint")
            : HealthCheckResult.Unhealthy($"{missing} log(s) without a verified checkpoint yet"));
    }
}
