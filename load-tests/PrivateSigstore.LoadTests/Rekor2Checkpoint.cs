using System.Globalization;
using System.Text;

namespace PrivateSigstore.LoadTests;

/// <summary>The tree size of a Rekor v2 log from its tlog-tiles checkpoint (GET /api/v2/checkpoint).</summary>
internal sealed record Rekor2Checkpoint(long TreeSize, string RootHash)
{
    /// <summary>Reads the checkpoint; a service that does not answer 200 stops the run before it starts.</summary>
    public static async Task<Rekor2Checkpoint> ReadAsync(HttpClient http, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync("api/v2/checkpoint", ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new ArgumentException($"GET {http.BaseAddress}api/v2/checkpoint failed: {ex.Message} (is the service running?)");
        }
        using (response)
        {
            var body = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) throw new ArgumentException($"GET {http.BaseAddress}api/v2/checkpoint answered {(int)response.StatusCode}");
            var lines = Encoding.UTF8.GetString(body).Split('\n');
            return new Rekor2Checkpoint(long.Parse(lines[1], CultureInfo.InvariantCulture), lines[2]);
        }
    }
}
