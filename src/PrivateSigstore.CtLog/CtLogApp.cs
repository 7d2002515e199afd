using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
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

    /// <summary>
    /// Creates the web application: binds and validates options (failing closed), loads the trusted roots, opens the
    /// log key, the tree and the extra_data store, and maps the RFC 6962 routes plus /healthz, /readyz and /metrics.
    /// </summary>
    public static async Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
        configure?.Invoke(builder);
        var options = builder.Configuration.GetSection(CtLogOptions.Section).Get<CtLogOptions>() ?? new CtLogOptions();
        options.Validate();
        builder.Services.AddSingleton(Options.Create(options));
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxRequestBytes);

        var bootLoggerFactory = LoggerFactory.Create(l => l.AddConfiguration(builder.Configuration.GetSection("Logging")).AddConsole());
        var logger = bootLoggerFactory.CreateLogger("PrivateSigstore.CtLog");
        var policy = new CtChainPolicy(LoadRoots(options), options.AllowedExtKeyUsages(), options.MaxChainLength);
        if (policy.Roots.Count == 0) NoRoots(logger);
        var key = SigningKeyFactory.Create(options.Key, Path.Combine(options.DataDirectory, "ctlog-key.pem"), logger);
        // SCT verifiers (sigstore-js, sigstore-python, Core's SctVerification) take ECDSA P-256 CT log keys.
        if (key.Algorithm != SigningAlgorithm.EcdsaP256Sha256)
        {
            key.Dispose();
            throw new InvalidOperationException($"the CT log key must be ECDSA P-256 (RFC 6962 §2.1.4; Sigstore clients verify SCTs with it); got {key.Algorithm}");
        }
        var log = await OpenAsync(options, key, policy, logger, cancellationToken).ConfigureAwait(false);
        builder.Services.AddSingleton(log);
        builder.Services.AddSingleton<CtLogMetrics>();
        builder.Services.AddHealthChecks().AddCheck<CtLogReadiness>("log", tags: ["ready"]);
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter("PrivateSigstore.Log")
            .AddMeter(CtLogMetrics.MeterName)
            .AddAspNetCoreInstrumentation()
            .AddRuntimeInstrumentation()
            .AddPrometheusExporter());

        var app = builder.Build();
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            log.DisposeAsync().AsTask().GetAwaiter().GetResult();
            bootLoggerFactory.Dispose();
        });
        app.MapCtLog(options.Prefix);
        app.MapHealthChecks("/healthz", new() { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new() { Predicate = c => c.Tags.Contains("ready") });
        app.MapPrometheusScrapingEndpoint("/metrics");
        return app;
    }

    private static List<byte[]> LoadRoots(CtLogOptions options)
    {
        var roots = new List<byte[]>();
        if (options.RootsPemFile is not null) roots.AddRange(CtChainPolicy.ParsePemBundle(File.ReadAllText(options.RootsPemFile)));
        if (options.RootsPem is not null) roots.AddRange(CtChainPolicy.ParsePemBundle(options.RootsPem));
        return roots;
    }

    private static async Task<CertificateLog> OpenAsync(CtLogOptions options, ISigningKey key, CtChainPolicy policy, ILogger logger, CancellationToken ct)
    {
        ILogStore store = options.Storage == "Postgres"
            ? new PostgresLogStore(options.PostgresConnectionString!, options.LogId)
            : new SqliteLogStore(Path.Combine(options.DataDirectory, options.LogId + ".db"), options.LogId);
        CtEntryStore? entries = null;
        try
        {
            entries = await CtEntryStore.OpenAsync(options, logger, ct).ConfigureAwait(false);
            var logOptions = new LogOptions { Origin = options.Origin };
            var tree = await TransparencyLog.OpenAsync(store, logOptions, [new SigningKeyNoteSigner(options.Origin, key)], logger: logger, cancellationToken: ct).ConfigureAwait(false);
            return new CertificateLog(tree, store, entries, key, policy, logOptions.MaxLeafSize, TimeProvider.System);
        }
        catch
        {
            if (entries is not null) await entries.DisposeAsync().ConfigureAwait(false);
            await store.DisposeAsync().ConfigureAwait(false);
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
