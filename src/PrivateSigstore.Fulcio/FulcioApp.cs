using Microsoft.Extensions.Diagnostics.HealthChecks;
using PrivateSigstore.Hosting;
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

    /// <summary>The service as the hosting layer sees it (route group "issue" can be rate-limited).</summary>
    public static readonly ServiceDescription Service = new(FulcioOptions.Section, DefaultUrl)
    {
        Meters = ["PrivateSigstore.Fulcio"],
        RateLimitedGroups = ["issue", "read"],
    };

    /// <summary>
    /// Creates the web application from configuration: binds and validates options (failing closed), loads the issuer
    /// configuration and the CA (HSM, PEM or the development CA), connects the CT log, and maps the Fulcio routes plus
    /// /healthz, /readyz, /metrics.
    /// </summary>
    /// <param name="args">Command-line arguments (configuration overrides such as <c>--Fulcio:ConfigPath</c>).</param>
    /// <param name="configure">Adjusts the builder before options are read (tests, the Stack).</param>
    /// <param name="ctLog">A CT log to submit to instead of the one <c>Fulcio:CtLog:Url</c> names (the Stack, tests).</param>
    /// <param name="cancellationToken">Cancels start-up.</param>
    public static Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null, ICertificateTransparencyLog? ctLog = null, CancellationToken cancellationToken = default) =>
        BuildAsync(args, null, configure, ctLog, cancellationToken);

    /// <summary>Builds the service from typed options (the Stack); <paramref name="configure"/> sets URLs and logging.</summary>
    public static Task<WebApplication> BuildAsync(FulcioOptions options, Action<WebApplicationBuilder>? configure = null, ICertificateTransparencyLog? ctLog = null, CancellationToken cancellationToken = default) =>
        BuildAsync([], options ?? throw new ArgumentNullException(nameof(options)), configure, ctLog, cancellationToken);

    private static Task<WebApplication> BuildAsync(string[] args, FulcioOptions? typed, Action<WebApplicationBuilder>? configure, ICertificateTransparencyLog? ctLog, CancellationToken cancellationToken) =>
        ServiceApp.BuildAsync(Service, args, typed, configure, o => o.MaxRequestBytes, (b, o) => b.Services.AddFulcio(o, ctLog), (app, _) =>
        {
            app.UseCors();
            app.MapFulcio();
            return Task.CompletedTask;
        }, cancellationToken);

    /// <summary>
    /// Registers the CA: the issuance pipeline over the issuer configuration, the OIDC verifier, the CA key and chain and
    /// the CT log (opened at start-up, disposed by the container), CORS, and readiness.
    /// </summary>
    public static IServiceCollection AddFulcio(this IServiceCollection services, FulcioOptions options, ICertificateTransparencyLog? ctLog = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        services.AddStartupResource((sp, _) => Task.FromResult(FulcioResources.Open(options, ctLog, sp.GetRequiredService<ILoggerFactory>().CreateLogger("PrivateSigstore.Fulcio"))));
        services.AddSingleton(sp => sp.GetRequiredService<FulcioResources>().Issuance);
        services.AddSingleton(new PublishedCtLog(options.CtLog.Url, options.CtLog.PublicKeyPath is { } keyPath ? File.ReadAllText(keyPath) : null));
        // CORS only for configured origins (none by default, as upstream).
        services.AddCors(c => c.AddDefaultPolicy(p =>
        {
            if (options.CorsAllowedOrigins.Contains("*")) p.AllowAnyOrigin();
            else p.WithOrigins([.. options.CorsAllowedOrigins]);
            p.AllowAnyHeader().AllowAnyMethod();
        }));
        services.AddHealthChecks().AddCachedReadinessCheck<FulcioReadiness>("ca");
        return services;
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
}

/// <summary>The CT log this CA submits to, as published at <c>/api/v2/ctLogPublicKey</c> (trust material for air-gapped sites).</summary>
/// <param name="Url">The log's base URL, or null when CT is disabled.</param>
/// <param name="PublicKeyPem">The log's public key (PEM) the CA checks SCTs with, or null when not configured.</param>
public sealed record PublishedCtLog(string? Url, string? PublicKeyPem);

/// <summary>What the CA opens at start-up and the container disposes: the OIDC verifier, the CA key and chain, the CT log client.</summary>
internal sealed partial class FulcioResources : IDisposable
{
    private readonly OidcVerifier _verifier;
    private readonly CertificateAuthority _ca;
    private readonly ICertificateTransparencyLog? _ctLog;

    private FulcioResources(OidcVerifier verifier, CertificateAuthority ca, ICertificateTransparencyLog? ctLog, CertificateIssuance issuance)
    {
        _verifier = verifier;
        _ca = ca;
        _ctLog = ctLog;
        Issuance = issuance;
    }

    public CertificateIssuance Issuance { get; }

    public static FulcioResources Open(FulcioOptions options, ICertificateTransparencyLog? ctLog, ILogger logger)
    {
        var config = FulcioApp.LoadIssuerConfig(options, logger, out bool allowHttp);
        var ca = CaLoader.Load(options, logger);
        var verifier = new OidcVerifier(config, new OidcVerifierOptions { AllowHttpDiscovery = allowHttp, MaxTokenBytes = options.MaxTokenBytes });
        ctLog ??= CtLogConnection.Create(options.CtLog, logger);
        if (ctLog is null)
        {
            LogNoCt(logger);
        }
        var issuance = new CertificateIssuance(config, verifier, ca, ctLog, options.CtLog.Mode, options.CertificateValidity);
        return new FulcioResources(verifier, ca, ctLog, issuance);
    }

    public void Dispose()
    {
        _verifier.Dispose();
        (_ctLog as IDisposable)?.Dispose();
        _ca.Dispose();
    }

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "NO CT LOG CONFIGURED (Fulcio:CtLog:Url is empty): certificates carry no SCT, and unchanged Sigstore clients (sigstore-js, cosign, sigstore-python) will refuse to verify them")]
    private static partial void LogNoCt(ILogger logger);
}

/// <summary>/readyz: the CA key answers (an HSM session signs a probe; cached, not on every request).</summary>
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
