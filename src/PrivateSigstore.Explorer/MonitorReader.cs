using System.Text.Json;
using System.Text.Json.Serialization;

namespace PrivateSigstore.Explorer;

/// <summary>One alert of the monitor's feed (the monitor's <c>MonitorAlert</c> JSON).</summary>
internal sealed record AlertView
{
    public long Id { get; init; }

    public string Kind { get; init; } = "";

    public string Log { get; init; } = "";

    public string LogKind { get; init; } = "";

    public DateTimeOffset Time { get; init; }

    public string Message { get; init; } = "";

    public long? LogIndex { get; init; }

    public string? EntryUuid { get; init; }

    public string? Identity { get; init; }

    public string? Issuer { get; init; }

    public DateTimeOffset? EntryTime { get; init; }

    public Dictionary<string, string> Evidence { get; init; } = [];
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(List<AlertView>))]
internal sealed partial class ExplorerJson : JsonSerializerContext;

/// <summary>Reads the monitor's alert feed (<c>GET /api/v1/alerts</c>).</summary>
internal sealed class MonitorReader(HttpClient http, Uri baseUrl)
{
    public Uri BaseUrl => baseUrl;

    public async Task<IReadOnlyList<AlertView>> GetAlertsAsync(int limit, CancellationToken ct)
    {
        var url = new Uri(baseUrl.AbsoluteUri.TrimEnd('/') + "/api/v1/alerts?limit=" + limit.ToString(System.Globalization.CultureInfo.InvariantCulture));
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(url, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new LogUnavailableException("The monitor", 503, $"the monitor at {baseUrl} does not answer", e);
        }
        using (response)
        {
            if (!response.IsSuccessStatusCode) throw new LogUnavailableException("The monitor", 502, $"the monitor answered HTTP {(int)response.StatusCode}");
            try
            {
                var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                return await JsonSerializer.DeserializeAsync(stream, ExplorerJson.Default.ListAlertView, ct).ConfigureAwait(false) ?? [];
            }
            catch (JsonException e)
            {
                throw new LogUnavailableException("The monitor", 502, "the monitor answered a malformed alert feed", e);
            }
        }
    }
}
