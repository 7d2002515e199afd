using System.Text.Json;

namespace PrivateSigstore.LoadTests;

/// <summary>The parts of Rekor's GET /api/v1/log (LogInfo) a load run needs.</summary>
internal sealed record RekorLogInfo(long TreeSize, string RootHash)
{
    /// <summary>Reads LogInfo; a service that does not answer 200 stops the run before it starts.</summary>
    public static async Task<RekorLogInfo> ReadAsync(HttpClient http, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync("api/v1/log", ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new ArgumentException($"GET {http.BaseAddress}api/v1/log failed: {ex.Message} (is the service running?)");
        }
        using (response)
        {
            var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) throw new ArgumentException($"GET {http.BaseAddress}api/v1/log answered {(int)response.StatusCode}");
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            return new RekorLogInfo(root.GetProperty("treeSize").GetInt64(), root.GetProperty("rootHash").GetString() ?? "");
        }
    }
}
