using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PrivateSigstore.Tuf.Server;

/// <summary>One published role: its version and when it expires.</summary>
public sealed record TufRoleExpiry(TufRole Role, long Version, DateTimeOffset Expires);

/// <summary>What <see cref="TufRepositoryMonitor.Evaluate"/> found: a verdict, why, and each published role's expiry.</summary>
public sealed record TufRepositoryHealth(HealthStatus Status, string Description, IReadOnlyList<TufRoleExpiry> Roles, DateTimeOffset CheckedAt);

/// <summary>
/// Watches the published metadata: Unhealthy when something clients need has expired (timestamp or snapshot that
/// could not be renewed, targets, root) or nothing is published; Degraded when the offline roles (targets, root) expire
/// within <see cref="TufOptions.ExpiryWarningDays"/> — an operator must sign new ones in time — or the last online
/// renewal failed; Healthy otherwise. Warns in the log once per role version and day.
/// </summary>
public sealed partial class TufRepositoryMonitor(TufServedRepository served, TufOptions options, TimeProvider time, ILogger<TufRepositoryMonitor> logger)
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _warned = new(StringComparer.Ordinal);
    private volatile TufRepositoryHealth? _current;
    private volatile string? _renewalFailure;

    /// <summary>The last verdict (null before the first evaluation).</summary>
    public TufRepositoryHealth? Current => _current;

    /// <summary>Records the outcome of the last online renewal (null: it worked).</summary>
    internal void RenewalOutcome(string? failure) => _renewalFailure = failure;

    /// <summary>Reads the published metadata and judges it now.</summary>
    public TufRepositoryHealth Evaluate()
    {
        var now = time.GetUtcNow();
        var health = Judge(now);
        _current = health;
        return health;
    }

    private TufRepositoryHealth Judge(DateTimeOffset now)
    {
        var repository = served.Repository;
        TufMetadata? root, targets, snapshot, timestamp;
        try
        {
            timestamp = repository.Timestamp;
            snapshot = repository.Snapshot;
            targets = repository.PublishedTargets;
            root = repository.PublishedRoot;
        }
        catch (Exception e) when (e is TufException or IOException or UnauthorizedAccessException or KeyNotFoundException)
        {
            return new(HealthStatus.Unhealthy, $"the published metadata in {repository.PublishedDirectory} cannot be read: {e.Message}", [], now);
        }

        if (root is null || timestamp is null || snapshot is null || targets is null)
        {
            return new(HealthStatus.Unhealthy, $"nothing is published in {repository.PublishedDirectory} yet: sign root and targets and publish them (psig tuf)", [], now);
        }

        var roles = new List<TufRoleExpiry>();
        var problems = new List<string>();
        var warnings = new List<string>();
        var window = TimeSpan.FromDays(options.ExpiryWarningDays);
        foreach (var metadata in new[] { root, targets, snapshot, timestamp })
        {
            roles.Add(new TufRoleExpiry(metadata.Role, metadata.Version, metadata.Expires));
            var name = $"{metadata.Role.Name()} v{metadata.Version}";
            var online = metadata.Role is TufRole.Snapshot or TufRole.Timestamp;
            if (metadata.Expires <= now)
            {
                // Expired metadata makes every client refuse the repository (TUF 5.3.10, 5.4.4, 5.5.6, 5.6.7).
                problems.Add(online
                    ? $"{name} expired at {metadata.Expires:u} and could not be renewed{(_renewalFailure is { } failure ? $": {failure}" : "")}"
                    : $"{name} expired at {metadata.Expires:u}: clients refuse the repository until a new {metadata.Role.Name()} is signed offline and published (psig tuf)");
            }
            else if (!online && options.ExpiryWarningDays > 0 && metadata.Expires - now <= window)
            {
                var days = (metadata.Expires - now).TotalDays.ToString("0.#", CultureInfo.InvariantCulture);
                warnings.Add($"{name} expires at {metadata.Expires:u} (in {days} days): it is signed offline, so stage, sign and publish a new {metadata.Role.Name()} before then (psig tuf)");
                WarnOnce(metadata, now, days);
            }
        }

        if (problems.Count > 0) return new(HealthStatus.Unhealthy, string.Join("; ", problems), roles, now);
        if (_renewalFailure is { } renewal) warnings.Add($"the last renewal of timestamp/snapshot failed: {renewal}");
        if (warnings.Count > 0) return new(HealthStatus.Degraded, string.Join("; ", warnings), roles, now);
        return new(HealthStatus.Healthy, string.Join(", ", roles.Select(r => $"{r.Role.Name()} v{r.Version} until {r.Expires:u}")), roles, now);
    }

    private void WarnOnce(TufMetadata metadata, DateTimeOffset now, string days)
    {
        var key = $"{metadata.Role.Name()}/{metadata.Version}";
        if (_warned.TryGetValue(key, out var last) && now - last < TimeSpan.FromDays(1)) return;
        _warned[key] = now;
        LogExpiresSoon(logger, metadata.Role.Name(), metadata.Version, metadata.Expires, days);
    }

    [LoggerMessage(EventId = 8110, Level = LogLevel.Warning, Message =
        "TUF {Role} v{Version} expires at {Expires:u} (in {Days} days). It is signed with offline keys: stage, sign and publish a new one before then (psig tuf), or every client will refuse the repository")]
    private static partial void LogExpiresSoon(ILogger logger, string role, long version, DateTimeOffset expires, string days);
}

/// <summary>The service's instruments (meter "PrivateSigstore.Tuf").</summary>
public sealed class TufMetrics : IDisposable
{
    /// <summary>The meter name to subscribe to.</summary>
    public const string MeterName = "PrivateSigstore.Tuf";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _renewals;

    /// <summary>Creates the instruments; the expiry gauge reads <paramref name="monitor"/>'s last verdict.</summary>
    public TufMetrics(TufRepositoryMonitor monitor, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        ArgumentNullException.ThrowIfNull(time);
        _meter.CreateObservableGauge("privatesigstore.tuf.time_to_expiry", () => Observe(monitor, time), "s",
            "Seconds until each role's published metadata expires (negative once expired), by role");
        _renewals = _meter.CreateCounter<long>("privatesigstore.tuf.renewals", "{renewal}",
            "Online re-signing of timestamp and snapshot, by role and outcome (renewed, failed)");
    }

    /// <summary>The meter (each instance has its own, so in-process hosts and tests can tell them apart).</summary>
    internal Meter Meter => _meter;

    private static IEnumerable<Measurement<double>> Observe(TufRepositoryMonitor monitor, TimeProvider time)
    {
        var now = time.GetUtcNow();
        foreach (var role in monitor.Current?.Roles ?? [])
        {
            yield return new Measurement<double>((role.Expires - now).TotalSeconds, new KeyValuePair<string, object?>("role", role.Role.Name()));
        }
    }

    /// <summary>Counts one renewal of <paramref name="role"/> ("timestamp", "snapshot", or "online" for a failure).</summary>
    public void Renewal(string role, string outcome) =>
        _renewals.Add(1, new KeyValuePair<string, object?>("role", role), new KeyValuePair<string, object?>("outcome", outcome));

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}

/// <summary>/readyz for the repository: the monitor's verdict (reads a few small files; no signing).</summary>
public sealed class TufReadiness(TufRepositoryMonitor monitor) : IHealthCheck
{
    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var health = monitor.Evaluate();
        return Task.FromResult(new HealthCheckResult(health.Status, health.Description));
    }
}
