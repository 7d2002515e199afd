using System.Text.Json.Nodes;
using HdrHistogram;

namespace PrivateSigstore.LoadTests;

/// <summary>Thread-safe latency histogram in microseconds (HdrHistogram, 3 significant digits).</summary>
internal sealed class LatencyRecorder
{
    private readonly LongConcurrentHistogram _histogram = new(1, TimeStamp.Minutes(10) / 10, 3);

    public void Record(TimeSpan elapsed) => _histogram.RecordValue(Math.Max(1, (long)(elapsed.Ticks / 10)));

    public long Count => _histogram.TotalCount;

    public double Percentile(double p) => _histogram.TotalCount == 0 ? 0 : _histogram.GetValueAtPercentile(p) / 1000.0;

    public string Summary() =>
        $"p50 {Percentile(50):F2} ms  p90 {Percentile(90):F2} ms  p99 {Percentile(99):F2} ms  p99.9 {Percentile(99.9):F2} ms  max {Percentile(100):F2} ms";

    public JsonObject ToJson() => new()
    {
        ["count"] = Count,
        ["p50_ms"] = Percentile(50),
        ["p90_ms"] = Percentile(90),
        ["p99_ms"] = Percentile(99),
        ["p999_ms"] = Percentile(99.9),
        ["max_ms"] = Percentile(100),
    };
}
