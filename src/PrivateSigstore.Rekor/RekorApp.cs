using System.Buffers.Binary;
using System.Security.Cryptography;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
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

    /// <summary>
    /// Creates the web application: binds and validates options (failing closed), opens the log key and the
    /// shards, and maps the Rekor v1 routes plus /healthz, /readyz and /metrics.
    /// </summary>
    public static async Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
        configure?.Invoke(builder);
        var options = builder.Configuration.GetSection(RekorOptions.Section).Get<RekorOptions>() ?? new RekorOptions();
        options.Validate();
        builder.Services.AddSingleton(Options.Create(options));
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxRequestBytes);

        // The engine and the index are opened before the host exists, so they log through this factory, which
        // lives as long as the application (disposed when it stops), not only during start-up.
        var bootLoggerFactory = LoggerFactory.Create(l => l.AddConfiguration(builder.Configuration.GetSection("Logging")).AddConsole());
        var logger = bootLoggerFactory.CreateLogger("PrivateSigstore.Rekor");
        var key = SigningKeyFactory.Create(options.Key, Path.Combine(options.DataDirectory, "rekor-key.pem"), logger);
        // SET verifiers (sigstore-go VerifySET) accept only ECDSA log keys.
        if (key.Algorithm is not (SigningAlgorithm.EcdsaP256Sha256 or SigningAlgorithm.EcdsaP384Sha384 or SigningAlgorithm.EcdsaP521Sha512))
        {
            throw new InvalidOperationException($"the Rekor log key must be ECDSA (clients verify SETs only with ECDSA keys); got {key.Algorithm}");
        }
        var treeId = options.TreeId != 0 ? options.TreeId : DeriveTreeId(key.SubjectPublicKeyInfo);
        var rekor = await OpenShardsAsync(options, key, treeId, logger, cancellationToken).ConfigureAwait(false);
        var index = await RekorIndex.OpenAsync(options, logger, cancellationToken).ConfigureAwait(false);
        builder.Services.AddSingleton(rekor);
        builder.Services.AddSingleton(index);
        builder.Services.AddHealthChecks().AddCheck<RekorReadiness>("log", tags: ["ready"]);
        if (options.Storage == "Postgres")
        {
            // Other instances append to the same log: follow them (RekorFollower).
            builder.Services.AddHostedService<RekorFollower>();
        }
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter("PrivateSigstore.Log")
            .AddAspNetCoreInstrumentation()
            .AddRuntimeInstrumentation()
            .AddPrometheusExporter());

        var app = builder.Build();
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            index.DisposeAsync().AsTask().GetAwaiter().GetResult();
            rekor.DisposeAsync().AsTask().GetAwaiter().GetResult();
            bootLoggerFactory.Dispose();
        });
        app.MapRekor();
        app.MapHealthChecks("/healthz", new() { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new() { Predicate = c => c.Tags.Contains("ready") });
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }

    /// <summary>A stable positive tree id from the log key when none is configured (upstream lets Trillian pick one).</summary>
    internal static long DeriveTreeId(byte[] spki)
    {
        var id = BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(spki)) & long.MaxValue;
        return id == 0 ? 1 : id;
    }

    private static async Task<RekorLog> OpenShardsAsync(RekorOptions options, ISigningKey key, long treeId, ILogger logger, CancellationToken ct)
    {
        var signer = new SigningKeyNoteSigner(options.Hostname, key);
        var shards = new List<RekorShard>();
        var stores = new List<ILogStore>();
        long offset = 0;
        var specs = options.InactiveShards.Select(s => (s.TreeId, s.LogId, Active: false)).Append((TreeId: treeId, LogId: "", Active: true));
        foreach (var (id, logId, active) in specs)
        {
            var name = string.IsNullOrEmpty(logId) ? $"rekor-{id}" : logId;
            ILogStore store = options.Storage == "Postgres"
                ? new PostgresLogStore(options.PostgresConnectionString!, name)
                : new SqliteLogStore(Path.Combine(options.DataDirectory, name + ".db"), name);
            stores.Add(store);
            var logOptions = new LogOptions { Origin = RekorLog.Origin(options.Hostname, id), ReadOnly = !active };
            var log = await TransparencyLog.OpenAsync(store, logOptions, [signer], logger: logger, cancellationToken: ct).ConfigureAwait(false);
            shards.Add(new RekorShard(id, log, offset, active));
            offset += (long)log.Size;
        }
        return new RekorLog(new RekorShards(shards), key, options.Hostname, stores);
    }
}

/// <summary>/readyz: the active shard's store answers and the log key signs.</summary>
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
