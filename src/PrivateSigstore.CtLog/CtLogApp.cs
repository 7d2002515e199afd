using Microsoft.Extensions.Diagnostics.HealthChecks;
using PrivateSigstore.Hosting;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Pkcs11;
using PrivateSigstore.Log;
using PrivateSigstore.Log.Storage;

namespace PrivateSigstore.CtLog;

/// <summary>Builds the RFC 6962 Certificate Transparency log service (also hosted in-process by the Stack and by tests).</summary>
public static partial class CtLogApp
{
    /// <summary>The default listen address (DESIGN: CT log on 6962, loopback only unless configured).</summary>
    public const string DefaultUrl = "http://127.0.0.1:6962";

    /// <summary>The service as the hosting layer sees it (route groups "write" and "read" can be rate-limited).</summary>
    public static readonly ServiceDescription Service = new(CtLogOptions.Section, DefaultUrl)
    {
        Meters = ["PrivateSigstore.Log", CtLogMetrics.MeterName],
        RateLimitedGroups = ["write", "read"],
    };

    /// <summary>Builds the service from configuration (command line, environment, appsettings: section "CtLog").</summary>
    public static Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default) =>
        BuildAsync(args, null, configure, cancellationToken);

    /// <summary>Builds the service from typed options (the Stack); <paramref name="configure"/> sets URLs and logging.</summary>
    public static Task<WebApplication> BuildAsync(CtLogOptions options, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default) =>
        BuildAsync([], options ?? throw new ArgumentNullException(nameof(options)), configure, cancellationToken);

    private static Task<WebApplication> BuildAsync(string[] args, CtLogOptions? typed, Action<WebApplicationBuilder>? configure, CancellationToken cancellationToken) =>
        ServiceApp.BuildAsync(Service, args, typed, configure, o => o.MaxRequestBytes, (b, o) => b.Services.AddCtLog(o), (app, o) =>
        {
            app.MapCtLog(o.Prefix);
            app.MapCtSearch();
            return Task.CompletedTask;
        }, cancellationToken);

    /// <summary>Registers the CT personality: the log (opened with its key, tree and chain store at start-up), metrics and readiness.</summary>
    public static IServiceCollection AddCtLog(this IServiceCollection services, CtLogOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddHttpClient("ctlog-witnesses", c => c.Timeout = options.Witnessing.Timeout + TimeSpan.FromSeconds(1));
        services.AddStartupResource(async (sp, ct) =>
        {
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("PrivateSigstore.CtLog");
            var log = await OpenAsync(options, logger, ct).ConfigureAwait(false);
            if (options.Witnessing.Enabled)
            {
                log.Witnessing = new CheckpointWitnessing(options.Witnessing, sp.GetRequiredService<IHttpClientFactory>().CreateClient("ctlog-witnesses"), logger);
            }
            return log;
        });
        services.AddSingleton<CtLogMetrics>();
        services.AddHealthChecks().AddCachedReadinessCheck<CtLogReadiness>("log").AddStoreReadinessCheck<CertificateLog>("store", async (log, ct) =>
        {
            // The tree store and the extra_data store.
            await log.Log.CheckStoreAsync(ct).ConfigureAwait(false);
            await log.Entries.PingAsync(ct).ConfigureAwait(false);
        });
        if (options.Storage == StorageProvider.Postgres)
        {
            // Other replicas append to the same tree: follow them (CtLogFollower).
            services.AddHostedService(sp => new CtLogFollower(sp.GetRequiredService<CertificateLog>(), TimeSpan.FromMilliseconds(options.RefreshIntervalMilliseconds), sp.GetRequiredService<ILogger<CtLogFollower>>()));
        }
        return services;
    }

    private static List<byte[]> LoadRoots(CtLogOptions options)
    {
        var roots = new List<byte[]>();
        if (options.RootsPemFile is not null) roots.AddRange(CtChainPolicy.ParsePemBundle(File.ReadAllText(options.RootsPemFile)));
        if (options.RootsPem is not null) roots.AddRange(CtChainPolicy.ParsePemBundle(options.RootsPem));
        return roots;
    }

    private static async Task<CertificateLog> OpenAsync(CtLogOptions options, ILogger logger, CancellationToken ct)
    {
        var policy = new CtChainPolicy(LoadRoots(options), options.AllowedExtKeyUsages(), options.MaxChainLength);
        if (policy.Roots.Count == 0) NoRoots(logger);
        var key = SigningKeyFactory.Create(options.Key, Path.Combine(options.DataDirectory, "ctlog-key.pem"), logger);
        var storage = options.ToStorageOptions();
        ILogStore? store = null;
        ICtChainStore? entries = null;
        IRekorSearchIndex? search = null;
        try
        {
            // SCT verifiers (sigstore-js, sigstore-python, Core's SctVerification) take ECDSA P-256 CT log keys.
            if (key.Algorithm != SigningAlgorithm.EcdsaP256Sha256)
            {
                throw new InvalidOperationException($"the CT log key must be ECDSA P-256 (RFC 6962 §2.1.4; Sigstore clients verify SCTs with it); got {key.Algorithm}");
            }
            store = LogStorage.OpenLogStore(storage, options.LogId);
            entries = await LogStorage.OpenCtChainStoreAsync(storage, options.LogId, logger, ct).ConfigureAwait(false);
            // The read-only search index (SAN, serial, issuer → leaf index): the store's index table (SQLite index.db).
            search = await LogStorage.OpenRekorSearchIndexAsync(storage, logger, ct).ConfigureAwait(false);
            var logOptions = new LogOptions { Origin = options.Origin };
            var tree = await TransparencyLog.OpenAsync(store, logOptions, [new SigningKeyNoteSigner(options.Origin, key)], logger: logger, cancellationToken: ct).ConfigureAwait(false);
            return new CertificateLog(tree, store, entries, key, policy, logOptions.MaxLeafSize, TimeProvider.System, search, options.LogId);
        }
        catch
        {
            if (entries is not null) await entries.DisposeAsync().ConfigureAwait(false);
            if (search is not null) await search.DisposeAsync().ConfigureAwait(false);
            if (store is not null) await store.DisposeAsync().ConfigureAwait(false);
            key.Dispose();
            throw;
        }
    }

    [LoggerMessage(EventId = 6200, Level = LogLevel.Warning, Message = "CT log: no trusted roots are configured (CtLog:RootsPemFile / CtLog:RootsPem); every add-chain and add-pre-chain will be refused")]
    private static partial void NoRoots(ILogger logger);
}

/// <summary>/readyz: the tree and the extra_data store answer and the log key signs.</summary>
internal sealed class CtLogReadiness(CertificateLog log) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await log.Log.GetRootHashAsync(log.Log.Size, cancellationToken).ConfigureAwait(false);
            await log.Entries.PingAsync(cancellationToken).ConfigureAwait(false);
            log.Key.Sign("readyz"u8);
            return HealthCheckResult.Healthy($"tree size {log.Log.Size}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy(ex.Message, ex);
        }
    }
}
