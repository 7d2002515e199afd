using System.Buffers.Binary;
using System.Security.Cryptography;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PrivateSigstore.Hosting;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Pkcs11;
using PrivateSigstore.Log;
using PrivateSigstore.Log.Storage;

namespace PrivateSigstore.Rekor;

/// <summary>Builds the Rekor-compatible service (also hosted in-process by the Stack and by tests).</summary>
public static class RekorApp
{
    /// <summary>The default listen address (DESIGN: Rekor on 3000, loopback only unless configured).</summary>
    public const string DefaultUrl = "http://127.0.0.1:3000";

    /// <summary>The service as the hosting layer sees it (route groups "write" and "read" can be rate-limited).</summary>
    public static readonly ServiceDescription Service = new(RekorOptions.Section, DefaultUrl)
    {
        Meters = ["PrivateSigstore.Log"],
        RateLimitedGroups = ["write", "read"],
    };

    /// <summary>Builds the service from configuration (command line, environment, appsettings: section "Rekor").</summary>
    public static Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default) =>
        BuildAsync(args, null, configure, cancellationToken);

    /// <summary>Builds the service from typed options (the Stack); <paramref name="configure"/> sets URLs and logging.</summary>
    public static Task<WebApplication> BuildAsync(RekorOptions options, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default) =>
        BuildAsync([], options ?? throw new ArgumentNullException(nameof(options)), configure, cancellationToken);

    private static Task<WebApplication> BuildAsync(string[] args, RekorOptions? typed, Action<WebApplicationBuilder>? configure, CancellationToken cancellationToken) =>
        ServiceApp.BuildAsync(Service, args, typed, configure, o => o.MaxRequestBytes, (b, o) => b.Services.AddRekor(o), (app, _) =>
        {
            app.MapRekor();
            return Task.CompletedTask;
        }, cancellationToken);

    /// <summary>
    /// Registers the Rekor personality: the shards (opened with the log key when the application starts), the search
    /// index, readiness, and with PostgreSQL the follower of other instances. Options must already be registered.
    /// </summary>
    public static IServiceCollection AddRekor(this IServiceCollection services, RekorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddHttpClient(WitnessClient, c => c.Timeout = options.Witnessing.Timeout + TimeSpan.FromSeconds(1));
        services.AddStartupResource(async (sp, ct) =>
        {
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("PrivateSigstore.Rekor");
            var rekor = await OpenShardsAsync(options, logger, ct).ConfigureAwait(false);
            if (options.Witnessing.Enabled)
            {
                rekor.Witnessing = new CheckpointWitnessing(options.Witnessing, sp.GetRequiredService<IHttpClientFactory>().CreateClient(WitnessClient), logger);
            }
            return rekor;
        });
        services.AddStartupResource((sp, ct) => LogStorage.OpenRekorSearchIndexAsync(options.ToStorageOptions(), sp.GetRequiredService<ILoggerFactory>().CreateLogger("PrivateSigstore.Rekor"), ct));
        services.AddHealthChecks().AddCachedReadinessCheck<RekorReadiness>("log").AddStoreReadinessCheck<RekorLog>("store", (rekor, ct) => rekor.Shards.Active.Log.CheckStoreAsync(ct));
        if (options.Storage == StorageProvider.Postgres)
        {
            // Other instances append to the same log: follow them (RekorFollower).
            services.AddHostedService<RekorFollower>();
        }
        return services;
    }

    /// <summary>
    /// A stable positive tree id from the log key when none is configured (upstream lets Trillian pick one). A host that
    /// rotates the log key pins <see cref="RekorOptions.TreeId"/> to this value of the first key, so the tree is kept.
    /// </summary>
    /// <param name="spki">The log key's DER SubjectPublicKeyInfo.</param>
    public static long DeriveTreeId(byte[] spki)
    {
        var id = BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(spki)) & long.MaxValue;
        return id == 0 ? 1 : id;
    }

    private const string WitnessClient = "rekor-witnesses";

    private static async Task<RekorLog> OpenShardsAsync(RekorOptions options, ILogger logger, CancellationToken ct)
    {
        var key = SigningKeyFactory.Create(options.Key, Path.Combine(options.DataDirectory, "rekor-key.pem"), logger);
        var shards = new List<RekorShard>();
        var stores = new List<ILogStore>();
        try
        {
            // SET verifiers (sigstore-go VerifySET) accept only ECDSA log keys.
            if (key.Algorithm is not (SigningAlgorithm.EcdsaP256Sha256 or SigningAlgorithm.EcdsaP384Sha384 or SigningAlgorithm.EcdsaP521Sha512))
            {
                throw new InvalidOperationException($"the Rekor log key must be ECDSA (clients verify SETs only with ECDSA keys); got {key.Algorithm}");
            }
            var treeId = options.TreeId != 0 ? options.TreeId : DeriveTreeId(key.SubjectPublicKeyInfo);
            var signer = new SigningKeyNoteSigner(options.Hostname, key);
            var storage = options.ToStorageOptions();
            long offset = 0;
            var specs = options.InactiveShards.Select(s => (s.TreeId, s.LogId, Active: false)).Append((TreeId: treeId, LogId: "", Active: true));
            foreach (var (id, logId, active) in specs)
            {
                var name = string.IsNullOrEmpty(logId) ? $"rekor-{id}" : logId;
                var store = LogStorage.OpenLogStore(storage, name);
                stores.Add(store);
                var logOptions = new LogOptions { Origin = RekorLog.Origin(options.Hostname, id), ReadOnly = !active };
                var log = await TransparencyLog.OpenAsync(store, logOptions, [signer], logger: logger, cancellationToken: ct).ConfigureAwait(false);
                shards.Add(new RekorShard(id, log, offset, active));
                offset += (long)log.Size;
            }
            return new RekorLog(new RekorShards(shards), key, options.Hostname, stores);
        }
        catch
        {
            foreach (var s in shards) await s.Log.DisposeAsync().ConfigureAwait(false);
            foreach (var s in stores) await s.DisposeAsync().ConfigureAwait(false);
            key.Dispose();
            throw;
        }
    }
}

/// <summary>/readyz: the active shard's store answers and the log key signs (cached: not on every probe).</summary>
internal sealed class RekorReadiness(RekorLog rekor) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await rekor.Shards.Active.Log.GetRootHashAsync(rekor.Shards.Active.Log.Size, cancellationToken).ConfigureAwait(false);
            rekor.Key.Sign("readyz"u8);
            return HealthCheckResult.Healthy($"tree size {rekor.Shards.Active.Log.Size}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy(ex.Message, ex);
        }
    }
}
