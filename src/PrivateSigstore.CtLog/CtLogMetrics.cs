using System.Diagnostics.Metrics;

namespace PrivateSigstore.CtLog;

/// <summary>Submission outcomes of the CT log (meter "PrivateSigstore.CtLog"); the tree's own metrics come from "PrivateSigstore.Log".</summary>
internal sealed class CtLogMetrics : IDisposable
{
    /// <summary>The meter name to subscribe to.</summary>
    public const string MeterName = "PrivateSigstore.CtLog";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _submissions;

    public CtLogMetrics() =>
        _submissions = _meter.CreateCounter<long>("privatesigstore.ctlog.submissions", "{request}",
            "add-chain / add-pre-chain requests by outcome: sct, refused (4xx), busy (503)");

    public void Submission(string operation, string outcome) =>
        _submissions.Add(1, new KeyValuePair<string, object?>("operation", operation), new KeyValuePair<string, object?>("outcome", outcome));

    public void Dispose() => _meter.Dispose();
}
