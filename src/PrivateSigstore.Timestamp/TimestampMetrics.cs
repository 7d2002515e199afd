using System.Diagnostics.Metrics;

namespace PrivateSigstore.Timestamp;

/// <summary>Outcomes of the timestamp authority (meter "PrivateSigstore.Timestamp").</summary>
public sealed class TimestampMetrics : IDisposable
{
    /// <summary>The meter name to subscribe to.</summary>
    public const string MeterName = "PrivateSigstore.Timestamp";

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _requests;

    /// <summary>Creates the instruments.</summary>
    public TimestampMetrics() =>
        _requests = _meter.CreateCounter<long>("privatesigstore.tsa.requests", "{request}",
            "POST /api/v1/timestamp by outcome: issued, refused (400), clock (503: clock check), failed (500: key store)");

    /// <summary>The meter (each instance has its own, so in-process hosts and tests can tell them apart).</summary>
    internal Meter Meter => _meter;

    /// <summary>Counts one request with its outcome and request format (der, json).</summary>
    public void Request(string outcome, string format) =>
        _requests.Add(1, new KeyValuePair<string, object?>("outcome", outcome), new KeyValuePair<string, object?>("format", format));

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
