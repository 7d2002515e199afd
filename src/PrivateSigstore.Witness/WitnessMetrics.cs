using System.Diagnostics.Metrics;

namespace PrivateSigstore.Witness;

/// <summary>Outcomes of the witness (meter "PrivateSigstore.Witness").</summary>
public sealed class WitnessMetrics : IDisposable
{
    /// <summary>The meter name to subscribe to.</summary>
    public const string MeterName = "PrivateSigstore.Witness";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _addCheckpoint;

    /// <summary>Creates the instruments.</summary>
    public WitnessMetrics() =>
        _addCheckpoint = _meter.CreateCounter<long>("privatesigstore.witness.add_checkpoint", "{request}",
            "POST /add-checkpoint by outcome and status: cosigned (200), malformed (400), forbidden (403: log signature), unknown_origin (404), conflict (409: old size), inconsistent (422: proof or root), failed (500)");

    /// <summary>The meter (each instance has its own, so in-process hosts and tests can tell them apart).</summary>
    internal Meter Meter => _meter;

    /// <summary>Counts one add-checkpoint request.</summary>
    public void AddCheckpoint(string outcome, int status) =>
        _addCheckpoint.Add(1, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("status", status));

    /// <summary>Publishes the tree size of the latest cosigned checkpoint per origin (<c>privatesigstore.witness.tree_size</c>).</summary>
    internal void ObserveTreeSizes(Func<IEnumerable<Measurement<long>>> observe) =>
        _meter.CreateObservableGauge("privatesigstore.witness.tree_size", observe, "{leaf}", "Size of the latest checkpoint the witness cosigned, per origin");

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
