using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace PrivateSigstore.Monitor;

/// <summary>The monitor's instruments (meter "PrivateSigstore.Monitor").</summary>
public sealed class MonitorMetrics : IDisposable
{
    /// <summary>The meter name to subscribe to.</summary>
    public const string MeterName = "PrivateSigstore.Monitor";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _checkpoints;
    private readonly Counter<long> _entries;
    private readonly Counter<long> _alerts;
    private readonly Counter<long> _webhooks;
    private readonly Counter<long> _emails;
    private readonly ConcurrentDictionary<string, long> _sizes = new(StringComparer.Ordinal);

    /// <summary>Creates the instruments.</summary>
    public MonitorMetrics()
    {
        _checkpoints = _meter.CreateCounter<long>("privatesigstore.monitor.checkpoints_verified", "{checkpoint}", "New checkpoints verified (signature and consistency), by log");
        _entries = _meter.CreateCounter<long>("privatesigstore.monitor.entries_read", "{entry}", "Entries read (identity watch, full audit), by log");
        _alerts = _meter.CreateCounter<long>("privatesigstore.monitor.alerts", "{alert}", "Alerts raised, by kind and log");
        _webhooks = _meter.CreateCounter<long>("privatesigstore.monitor.webhook_deliveries", "{delivery}", "Webhook deliveries by outcome (delivered, failed)");
        _emails = _meter.CreateCounter<long>("privatesigstore.monitor.email_deliveries", "{delivery}", "Alert emails by outcome (delivered, failed)");
        _meter.CreateObservableGauge("privatesigstore.monitor.tree_size", () =>
            _sizes.Select(kv => new Measurement<long>(kv.Value, new KeyValuePair<string, object?>("log", kv.Key))), "{entry}", "The last verified tree size, by log");
    }

    /// <summary>The meter.</summary>
    internal Meter Meter => _meter;

    /// <summary>A checkpoint of <paramref name="log"/> at <paramref name="size"/> verified.</summary>
    public void CheckpointVerified(string log, long size)
    {
        _checkpoints.Add(1, new KeyValuePair<string, object?>("log", log));
        _sizes[log] = size;
    }

    /// <summary>The last verified size of <paramref name="log"/> (restored state).</summary>
    public void TreeSize(string log, long size) => _sizes[log] = size;

    /// <summary><paramref name="count"/> entries of <paramref name="log"/> read.</summary>
    public void EntriesRead(string log, long count) => _entries.Add(count, new KeyValuePair<string, object?>("log", log));

    /// <summary>An alert raised.</summary>
    public void Alert(string kind, string log) =>
        _alerts.Add(1, new KeyValuePair<string, object?>("kind", kind), new KeyValuePair<string, object?>("log", log));

    /// <summary>A webhook delivery's outcome.</summary>
    public void Webhook(string outcome) => _webhooks.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>An alert email's outcome.</summary>
    public void Email(string outcome) => _emails.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
