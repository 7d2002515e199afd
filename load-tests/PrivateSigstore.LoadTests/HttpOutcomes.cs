using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;

namespace PrivateSigstore.LoadTests;

/// <summary>Thread-safe counts of request outcomes: HTTP status codes ("201", "503") and exception kinds ("exception:TaskCanceledException").</summary>
internal sealed class HttpOutcomes
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public void Status(int code) => _counts.AddOrUpdate(code.ToString(CultureInfo.InvariantCulture), 1, static (_, n) => n + 1);

    public void Exception(Exception ex) => Add("exception:" + Kind(ex));

    public void Add(string outcome) => _counts.AddOrUpdate(outcome, 1, static (_, n) => n + 1);

    public long Total => _counts.Values.Sum();

    /// <summary>"201: 12,345  503: 17  exception:HttpRequestException: 2", most frequent first.</summary>
    public string Summary() => _counts.IsEmpty
        ? "none"
        : string.Join("  ", _counts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}: {p.Value:N0}"));

    public JsonObject ToJson()
    {
        var o = new JsonObject();
        foreach (var (k, v) in _counts.OrderBy(p => p.Key, StringComparer.Ordinal)) o[k] = v;
        return o;
    }

    /// <summary>A timeout shows as "timeout", a refused/reset connection as the socket error, anything else as its type.</summary>
    private static string Kind(Exception ex) => ex switch
    {
        TaskCanceledException { InnerException: TimeoutException } => "timeout",
        HttpRequestException { HttpRequestError: not HttpRequestError.Unknown } h => "HttpRequestException." + h.HttpRequestError,
        _ => ex.GetType().Name,
    };
}
