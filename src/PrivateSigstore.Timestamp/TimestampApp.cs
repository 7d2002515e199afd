using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PrivateSigstore.Hosting;

namespace PrivateSigstore.Timestamp;

/// <summary>
/// Builds the RFC 3161 timestamp authority. Two layers, so another host (the Stack, the shared hosting library) can
/// take only the second: <see cref="BuildAsync(string[], Action{WebApplicationBuilder}?, CancellationToken)"/> makes a
/// whole web application (Kestrel on <see cref="DefaultUrl"/>, /healthz, /readyz, /metrics);
/// <see cref="AddTimestampAuthority"/> + <see cref="TimestampEndpoints.MapTimestampAuthority"/> put the authority into
/// any service collection and route table.
/// </summary>
public static class TimestampApp
{
    /// <summary>The default listen address (DESIGN: TSA on 3004, loopback only unless configured).</summary>
    public const string DefaultUrl = "http://127.0.0.1:3004";

    /// <summary>The service as the hosting layer sees it (route group "stamp" can be rate-limited).</summary>
    public static readonly ServiceDescription Service = new(TimestampOptions.Section, DefaultUrl)
    {
        Meters = [TimestampMetrics.MeterName],
        RateLimitedGroups = ["stamp"],
    };

    /// <summary>Binds <see cref="TimestampOptions"/> from configuration (section "Timestamp") and builds the application.</summary>
    public static Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default) =>
        BuildAsync(args, null, configure, cancellationToken);

    /// <summary>
    /// Builds the application with <paramref name="options"/> as given (configuration is still read for the host:
    /// URLs, logging). Throws <see cref="ArgumentException"/> naming the bad setting, or the key/chain error.
    /// </summary>
    public static Task<WebApplication> BuildAsync(TimestampOptions options, string[]? args = null, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default) =>
        BuildAsync(args ?? [], options ?? throw new ArgumentNullException(nameof(options)), configure, cancellationToken);

    private static Task<WebApplication> BuildAsync(string[] args, TimestampOptions? typed, Action<WebApplicationBuilder>? configure, CancellationToken cancellationToken) =>
        ServiceApp.BuildAsync(Service, args, typed, configure, o => o.MaxRequestBytes, (b, o) => b.Services.AddTimestampAuthority(o), (app, options) =>
        {
            // Open the key and check the chain now, so a bad configuration fails here, naming the setting.
            _ = app.Services.GetRequiredService<TimestampAuthority>();
            app.MapTimestampAuthority();
            return Task.CompletedTask;
        }, cancellationToken);

    /// <summary>
    /// Registers the authority: validates <paramref name="options"/> (throwing <see cref="ArgumentException"/> naming the
    /// bad setting), the authority itself (key and chain opened on first use), the clock check, metrics, and the
    /// readiness check (tag "ready": one timestamp signed and verified at start-up, plus the clock verdict).
    /// </summary>
    public static IServiceCollection AddTimestampAuthority(this IServiceCollection services, TimestampOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<TimestampMetrics>();
        services.AddSingleton(sp => new ClockMonitor(options.ClockCheck, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<ClockMonitor>>()));
        services.AddHostedService(sp => sp.GetRequiredService<ClockMonitor>());
        services.AddSingleton(sp => new TimestampAuthority(
            TsaCredentials.Open(options, sp.GetRequiredService<ILoggerFactory>().CreateLogger("PrivateSigstore.Timestamp")),
            options,
            sp.GetRequiredService<ClockMonitor>(),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<TimestampReadiness>();
        services.AddHostedService(sp => sp.GetRequiredService<TimestampReadiness>());
        // Cached: the probe signs with the TSA key (the HSM), which must not happen on every readiness request (issue 20 #9).
        services.AddHealthChecks().AddCachedReadinessCheck<TimestampReadiness>("tsa");
        return services;
    }
}

/// <summary>
/// /readyz for the authority: at start-up it issues one timestamp, verifies it with the BCL's
/// <see cref="Rfc3161TimestampToken"/> against the TSA certificate and caches the outcome (readiness probes never reach
/// the HSM); ready = that outcome is good and the clock check allows issuing.
/// </summary>
public sealed partial class TimestampReadiness(TimestampAuthority authority, ILogger<TimestampReadiness> logger) : IHealthCheck, IHostedService
{
    private volatile string? _probeFailure = "the start-up probe has not run";

    /// <summary>Signs and verifies the probe timestamp.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var hash = SHA256.HashData("privatesigstore tsa readiness probe"u8);
            var query = TimestampQuery.FromJson(System.Text.Encoding.UTF8.GetBytes($"{{\"artifactHash\":\"{Convert.ToBase64String(hash)}\",\"hashAlgorithm\":\"sha256\",\"nonce\":1}}"), authority.AcceptedPolicies);
            var reply = authority.IssueProbe(query);
            var response = new System.Formats.Asn1.AsnReader(reply, System.Formats.Asn1.AsnEncodingRules.DER).ReadSequence();
            response.ReadSequence();
            if (!Rfc3161TimestampToken.TryDecode(response.ReadEncodedValue(), out var token, out _) || token is null)
            {
                throw new CryptographicException("the probe token does not decode");
            }
            if (!token.VerifySignatureForHash(hash, HashAlgorithmName.SHA256, out _, [authority.Credentials.Leaf]))
            {
                throw new CryptographicException("the probe token's signature does not verify against the TSA certificate");
            }
            _probeFailure = null;
        }
        catch (Exception e) when (e is CryptographicException or System.Formats.Asn1.AsnContentException or ObjectDisposedException)
        {
            _probeFailure = e.Message;
            LogProbeFailed(logger, e);
        }
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (_probeFailure is { } failure) return Task.FromResult(HealthCheckResult.Unhealthy($"start-up signing probe failed: {failure}"));
        if (authority.Clock.RefusalReason() is { } reason) return Task.FromResult(HealthCheckResult.Unhealthy(reason));
        return Task.FromResult(HealthCheckResult.Healthy($"{authority.Credentials.Key.Description}; {authority.Clock.Current.Reason}"));
    }

    [LoggerMessage(EventId = 6430, Level = LogLevel.Error, Message = "TSA start-up probe failed: the service is not ready")]
    private static partial void LogProbeFailed(ILogger logger, Exception exception);
}
