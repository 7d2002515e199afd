using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PrivateSigstore.Hosting;
using PrivateSigstore.Keys.Pkcs11;

namespace PrivateSigstore.Witness;

/// <summary>
/// Builds the C2SP tlog-witness. Two layers, so another host (the Stack) can take only the second:
/// <see cref="BuildAsync(WitnessOptions, string[], Action{WebApplicationBuilder}?, CancellationToken)"/> makes a whole web
/// application (Kestrel on <see cref="DefaultUrl"/>, /healthz, /readyz, /metrics); <see cref="AddWitness"/> +
/// <see cref="WitnessEndpoints.MapWitness"/> put the witness into any service collection and route table.
/// </summary>
public static class WitnessApp
{
    /// <summary>The default listen address (DESIGN: witness on 8083, loopback only unless configured).</summary>
    public const string DefaultUrl = "http://127.0.0.1:8083";

    /// <summary>The service as the hosting layer sees it (route groups "write" and "read" can be rate-limited).</summary>
    public static readonly ServiceDescription Service = new(WitnessOptions.Section, DefaultUrl)
    {
        Meters = [WitnessMetrics.MeterName],
        MaxRequestBodyBytes = WitnessOptions.DefaultMaxRequestBytes,
        RateLimitedGroups = ["write", "read"],
    };

    /// <summary>Binds <see cref="WitnessOptions"/> from configuration (section "Witness") and builds the application.</summary>
    public static Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default) =>
        BuildAsync(args, null, configure, cancellationToken);

    /// <summary>
    /// Builds the application with <paramref name="options"/> as given (configuration is still read for the host: URLs,
    /// logging). Throws <see cref="ArgumentException"/> naming the bad setting, or the key/state error.
    /// </summary>
    public static Task<WebApplication> BuildAsync(WitnessOptions options, string[]? args = null, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default) =>
        BuildAsync(args ?? [], options ?? throw new ArgumentNullException(nameof(options)), configure, cancellationToken);

    private static Task<WebApplication> BuildAsync(string[] args, WitnessOptions? typed, Action<WebApplicationBuilder>? configure, CancellationToken cancellationToken) =>
        ServiceApp.BuildAsync(Service, args, typed, configure, o => o.MaxRequestBytes, (b, o) => b.Services.AddWitness(o), (app, _) =>
        {
            app.MapWitness();
            return Task.CompletedTask;
        }, cancellationToken);

    /// <summary>
    /// Registers the witness: validates <paramref name="options"/> (throwing <see cref="ArgumentException"/> naming the bad
    /// setting), the witness itself (key and state opened at start-up), metrics and the cached readiness check (the key cosigns).
    /// </summary>
    public static IServiceCollection AddWitness(this IServiceCollection services, WitnessOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<WitnessMetrics>();
        services.AddStartupResource((sp, _) => Task.FromResult(Open(options, sp)));
        services.AddHealthChecks().AddCachedReadinessCheck<WitnessReadiness>("witness");
        return services;
    }

    /// <summary>
    /// The verifier key (<c>name+hex8+base64(0x04 ‖ key)</c>) the witness with these options cosigns under, for logs to be
    /// configured with before the witness runs (opens the key once; creates the development key file if missing).
    /// </summary>
    public static string VerifierKey(WitnessOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        using var key = SigningKeyFactory.Create(options.Key, Path.Combine(options.DataDirectory, "witness-key.pem"), logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        return new Cosigner(options.Name, key).VerifierKey;
    }

    private static CheckpointWitness Open(WitnessOptions options, IServiceProvider sp)
    {
        var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("PrivateSigstore.Witness");
        var key = SigningKeyFactory.Create(options.Key, Path.Combine(options.DataDirectory, "witness-key.pem"), logger);
        CheckpointStore? store = null;
        try
        {
            store = CheckpointStore.Open(options.DataDirectory);
            return new CheckpointWitness(options, key, store, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<WitnessMetrics>(), logger);
        }
        catch
        {
            store?.Dispose();
            key.Dispose();
            throw;
        }
    }
}

/// <summary>/readyz: the witness key cosigns a probe checkpoint (cached by the hosting layer: not on every probe).</summary>
internal sealed class WitnessReadiness(CheckpointWitness witness) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            witness.Probe();
            return Task.FromResult(HealthCheckResult.Healthy($"{witness.Cosigner.VerifierKey}; {witness.Cosigner.KeyDescription}"));
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"the witness key does not cosign: {ex.Message}", ex));
        }
    }
}
