using Microsoft.Extensions.Diagnostics.HealthChecks;
using PrivateSigstore.Hosting;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Pkcs11;
using PrivateSigstore.Log;
using PrivateSigstore.Log.Storage;

namespace PrivateSigstore.Rekor.V2;

/// <summary>
/// Builds the Rekor v2 service (rekor-tiles compatible write API + C2SP tlog-tiles reads), a second personality of the
/// Rekor service with its own log, origin and checkpoint key; also hosted in-process by the Stack and by tests.
/// </summary>
public static class RekorV2App
{
    /// <summary>The default listen address (DESIGN: Rekor v2 on 3001, loopback only unless configured).</summary>
    public const string DefaultUrl = "http://127.0.0.1:3001";

    /// <summary>The service as the hosting layer sees it (route groups "write" and "read" can be rate-limited).</summary>
    public static readonly ServiceDescription Service = new(RekorV2Options.Section, DefaultUrl)
    {
        Meters = ["PrivateSigstore.Log"],
        RateLimitedGroups = ["write", "read"],
    };

    /// <summary>Builds the service from configuration (command line, environment, appsettings: section "RekorV2").</summary>
    public static Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default) =>
        BuildAsync(args, null, configure, cancellationToken);

    /// <summary>Builds the service from typed options (the Stack); <paramref name="configure"/> sets URLs and logging.</summary>
    public static Task<WebApplication> BuildAsync(RekorV2Options options, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default) =>
        BuildAsync([], options ?? throw new ArgumentNullException(nameof(options)), configure, cancellationToken);

    private static Task<WebApplication> BuildAsync(string[] args, RekorV2Options? typed, Action<WebApplicationBuilder>? configure, CancellationToken cancellationToken) =>
        ServiceApp.BuildAsync(Service, args, typed, configure, o => o.MaxRequestBytes, (b, o) => b.Services.AddRekorV2(o), (app, _) =>
        {
            app.MapRekorV2();
            return Task.CompletedTask;
        }, cancellationToken);

    /// <summary>Registers the Rekor v2 personality: the log (opened with its checkpoint key at start-up) and readiness. Options must already be registered.</summary>
    public static IServiceCollection AddRekorV2(this IServiceCollection services, RekorV2Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddHttpClient(WitnessClient, c => c.Timeout = options.Witnessing.Timeout + TimeSpan.FromSeconds(1));
        services.AddStartupResource((sp, ct) =>
        {
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("PrivateSigstore.Rekor.V2");
            var witnessing = options.Witnessing.Enabled
                ? new CheckpointWitnessing(options.Witnessing, sp.GetRequiredService<IHttpClientFactory>().CreateClient(WitnessClient), logger)
                : null;
            return OpenLogAsync(options, logger, ct, witnessing);
        });
        services.AddHealthChecks().AddCachedReadinessCheck<RekorV2Readiness>("log-v2").AddStoreReadinessCheck<RekorV2Log>("store", (rekor, ct) => rekor.Log.CheckStoreAsync(ct));
        if (options.Storage == StorageProvider.Postgres)
        {
            // Other instances append to the same log: follow them.
            services.AddHostedService<RekorV2Follower>();
        }
        return services;
    }

    /// <summary>
    /// What trusted_root.json needs about the running log (checkpoint key SPKI, key details, logId = checkpointKeyId);
    /// the base URL is the host's to add.
    /// </summary>
    public static RekorV2TrustInfo GetRekorV2TrustInfo(this IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.GetRequiredService<RekorV2Log>().Trust;
    }

    private const string WitnessClient = "rekor-v2-witnesses";

    /// <summary>Opens the log with its checkpoint key (HSM, PEM file, or the development key in the data directory).</summary>
    internal static async Task<RekorV2Log> OpenLogAsync(RekorV2Options options, ILogger logger, CancellationToken ct, CheckpointWitnessing? witnessing = null)
    {
        var key = SigningKeyFactory.Create(options.Key, Path.Combine(options.DataDirectory, "checkpoint-key.pem"), logger);
        ILogStore? store = null;
        try
        {
            var trust = RekorV2TrustInfo.For(options.Origin, key.SubjectPublicKeyInfo);
            var signer = new SigningKeyNoteSigner(options.Origin, key);
            store = LogStorage.OpenLogStore(options.ToStorageOptions(), options.LogId);
            var log = await TransparencyLog.OpenAsync(store, options.ToLogOptions(), [signer], logger: logger, cancellationToken: ct).ConfigureAwait(false);
            return new RekorV2Log(log, key, store, trust, witnessing);
        }
        catch
        {
            witnessing?.Dispose();
            if (store is not null) await store.DisposeAsync().ConfigureAwait(false);
            key.Dispose();
            throw;
        }
    }
}

/// <summary>/readyz: the store answers and the checkpoint key signs (cached: not on every probe).</summary>
internal sealed class RekorV2Readiness(RekorV2Log rekor) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await rekor.Log.GetRootHashAsync(rekor.Log.Size, cancellationToken).ConfigureAwait(false);
            rekor.Key.Sign("readyz"u8);
            return HealthCheckResult.Healthy($"tree size {rekor.Log.Size}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy(ex.Message, ex);
        }
    }
}
