using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using PrivateSigstore.Fulcio.Api;
using PrivateSigstore.Fulcio.Ca;
using PrivateSigstore.Fulcio.Config;
using PrivateSigstore.Fulcio.Issuance;
using PrivateSigstore.Fulcio.Oidc;

namespace PrivateSigstore.Fulcio;

/// <summary>Builds the Fulcio-compatible CA service (also hosted in-process by the Stack and by tests).</summary>
public static partial class FulcioApp
{
    /// <summary>The default listen address (DESIGN: Fulcio on 5555, loopback only unless configured).</summary>
    public const string DefaultUrl = "http://127.0.0.1:5555";

    /// <summary>
    /// Creates the web application: binds and validates options (failing closed), loads the issuer configuration and the
    /// CA (HSM, PEM or the development CA), connects the CT log, and maps the Fulcio routes plus /healthz, /readyz, /metrics.
    /// </summary>
    /// <param name="args">Command-line arguments (configuration overrides such as <c>--Fulcio:ConfigPath</c>).</param>
    /// <param name="configure">Adjusts the builder before options are read (tests, the Stack).</param>
    /// <param name="ctLog">A CT log to submit to instead of the one <c>Fulcio:CtLog:Url</c> names (the Stack, tests).</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    public static Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null, ICertificateTransparencyLog? ctLog = null, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var builder = WebApplication.CreateBuilder(args);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        configure?.Invoke(builder);
        var options = new FulcioOptions();
        builder.Configuration.GetSection(FulcioOptions.Section).Bind(options);
        options.Validate();
        builder.Services.AddSingleton(Options.Create(options));
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxRequestBytes);

        var bootLoggerFactory = LoggerFactory.Create(l => l.AddConfiguration(builder.Configuration.GetSection("Logging")).AddConsole());
        var logger = bootLoggerFactory.CreateLogger("PrivateSigstore.Fulcio");
        var config = LoadIssuerConfig(options, logger, out bool allowHttp);
        var ca = CaLoader.Load(options, logger);
        var verifier = new OidcVerifier(config, new OidcVerifierOptions { AllowHttpDiscovery = allowHttp, MaxTokenBytes = options.MaxTokenBytes });
        ctLog ??= CtLogConnection.Create(options.CtLog, logger);
        if (ctLog is null)
        {
            LogNoCt(logger);
        }

        var issuance = new CertificateIssuance(config, verifier, ca, ctLog, options.CtLog.Mode, options.CertificateValidity);
        builder.Services.AddSingleton(issuance);
        builder.Services.AddSingleton(new PublishedCtLog(options.CtLog.Url, options.CtLog.PublicKeyPath is { } keyPath ? File.ReadAllText(keyPath) : null));
        builder.Services.AddCors(c => c.AddDefaultPolicy(p => p.AllowAnyOrigin().AllowAnyHeader().AllowAnyMethod()));
        builder.Services.AddHealthChecks().AddCheck<FulcioReadiness>("ca", tags: ["ready"]);
        builder.Services.AddOpenTelemetry().WithMetrics(m => m
            .AddMeter("PrivateSigstore.Fulcio")
            .AddAspNetCoreInstrumentation()
            .AddRuntimeInstrumentation()
            .AddPrometheusExporter());

        var app = builder.Build();
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            verifier.Dispose();
            (ctLog as IDisposable)?.Dispose();
            ca.Dispose();
            bootLoggerFactory.Dispose();
        });
        app.UseCors();
        app.MapFulcio();
        app.MapHealthChecks("/healthz", new() { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new() { Predicate = c => c.Tags.Contains("ready") });
        app.MapPrometheusScrapingEndpoint("/metrics");
        return Task.FromResult(app);
    }

    /// <summary>
    /// The issuer configuration: the file at <see cref="FulcioOptions.ConfigPath"/>, or — with none — only the local identity
    /// provider (type email), fetched over HTTP because it listens on loopback.
    /// </summary>
    internal static FulcioConfig LoadIssuerConfig(FulcioOptions options, ILogger logger, out bool allowHttp)
    {
        if (!string.IsNullOrEmpty(options.ConfigPath))
        {
            allowHttp = options.AllowHttpIssuers;
            return FulcioConfig.Load(options.ConfigPath);
        }

        var url = options.DefaultIssuerUrl;
        allowHttp = options.AllowHttpIssuers || (Uri.TryCreate(url, UriKind.Absolute, out var u) && u.IsLoopback);
        LogDefaultIssuer(logger, url);
        var json = new System.Text.Json.Nodes.JsonObject
        {
            ["OIDCIssuers"] = new System.Text.Json.Nodes.JsonObject
            {
                [url] = new System.Text.Json.Nodes.JsonObject { ["IssuerURL"] = url, ["ClientID"] = FulcioConfig.DefaultClientId, ["Type"] = IssuerTypes.Email },
            },
        };
        return FulcioConfig.Parse(json.ToJsonString());
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "No Fulcio:ConfigPath: trusting only the local identity provider {IssuerUrl} (type email)")]
    private static partial void LogDefaultIssuer(ILogger logger, string issuerUrl);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "NO CT LOG CONFIGURED (Fulcio:CtLog:Url is empty): certificates carry no SCT, and unchanged Sigstore clients (sigstore-js, cosign, sigstore-python) will refuse to verify them")]
    private static partial void LogNoCt(ILogger logger);
}

/// <summary>The CT log this CA submits to, as published at <c>/api/v2/ctLogPublicKey</c> (trust material for air-gapped sites).</summary>
/// <param name="Url">The log's base URL, or null when CT is disabled.</param>
/// <param name="PublicKeyPem">The log's public key (PEM) the CA checks SCTs with, or null when not configured.</param>
public sealed record PublishedCtLog(string? Url, string? PublicKeyPem);

/// <summary>/readyz: the CA key answers (an HSM session signs a probe).</summary>
internal sealed class FulcioReadiness(CertificateIssuance issuance) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            issuance.Authority.Key.Sign("readyz"u8);
            return Task.FromResult(HealthCheckResult.Healthy($"issuing CA {issuance.Authority.Issuer.Subject}"));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(ex.Message, ex));
        }
    }
}
