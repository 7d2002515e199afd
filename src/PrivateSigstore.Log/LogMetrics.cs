using System.Diagnostics.Metrics;

namespace PrivateSigstore.Log;

/// <summary>OpenTelemetry-compatible metrics of one log (meter "PrivateSigstore.Log").</summary>
internal sealed class LogMetrics : IDisposable
{
    /// <summary>The meter name to subscribe to.</summary>
    public const string MeterName = "PrivateSigstore.Log";

    private static readonly double[] LatencyBucketsMs = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000];
    private readonly Meter _meter;
    private readonly Histogram<double> _appendDuration;
    private readonly Histogram<double> _batchDuration;
    private readonly Histogram<int> _batchSize;
    private readonly Counter<long> _entries;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _pushbacks;
    private readonly KeyValuePair<string, object?> _origin;

    public LogMetrics(string origin, Func<int> queueDepth, Func<long> treeSize)
    {
        _origin = new("log.origin", origin);
        _meter = new Meter(MeterName);
        _appendDuration = _meter.CreateHistogram("privatesigstore.log.append.duration", "ms",
            "Time from AddAsync to durable integration", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBucketsMs });
        _batchDuration = _meter.CreateHistogram("privatesigstore.log.batch.duration", "ms",
            "Time to integrate and commit one batch", advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = LatencyBucketsMs });
        _batchSize = _meter.CreateHistogram<int>("privatesigstore.log.batch.size", "{entry}", "Entries per committed batch");
        _entries = _meter.CreateCounter<long>("privatesigstore.log.entries", "{entry}", "Entries appended");
        _duplicates = _meter.CreateCounter<long>("privatesigstore.log.duplicates", "{entry}", "Appends answered with an existing entry");
        _pushbacks = _meter.CreateCounter<long>("privatesigstore.log.pushbacks", "{request}", "Appends refused because the queue was full");
        _meter.CreateObservableGauge("privatesigstore.log.queue.depth", () => new Measurement<int>(queueDepth(), _origin), "{entry}", "Entries waiting to be sequenced");
        _meter.CreateObservableGauge("privatesigstore.log.tree.size", () => new Measurement<long>(treeSize(), _origin), "{entry}", "Published tree size");
    }

    public void Appended(TimeSpan elapsed, bool duplicate)
    {
        _appendDuration.Record(elapsed.TotalMilliseconds, _origin);
        if (duplicate) _duplicates.Add(1, _origin);
    }

    public void Batch(int size, TimeSpan elapsed)
    {
        _batchSize.Record(size, _origin);
        _batchDuration.Record(elapsed.TotalMilliseconds, _origin);
        _entries.Add(size, _origin);
    }

    public void Pushback() => _pushbacks.Add(1, _origin);

    public void Dispose() => _meter.Dispose();
}
