using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Client;
using PrivateSigstore.Client.Rekor;
using PrivateSigstore.Core.Json;

namespace PrivateSigstore.Explorer;

/// <summary>
/// Reads a Rekor v1 log through its public API only: log info, entries by index or UUID, the search index
/// (<c>POST /api/v1/index/retrieve</c>), batched retrieval (<c>POST /api/v1/log/entries/retrieve</c>, at most 10 per
/// request as upstream), consistency proofs. Entries are immutable, so they are cached (bounded).
/// </summary>
internal sealed class RekorV1Reader(HttpClient http, ExplorerLog log, EntryCache cache)
{
    public const int MaxRetrieve = 10;
    private readonly RekorClient _client = new(http, log.BaseUrl);

    public ExplorerLog Log => log;

    public Task<RekorLogInfo> GetLogInfoAsync(CancellationToken ct) => Call(() => _client.GetLogInfoAsync(ct));

    public async Task<RekorEntry> GetByIndexAsync(long index, CancellationToken ct)
    {
        if (cache.Get<RekorEntry>(log.Name, index) is { } hit) return hit;
        var entry = await Call(() => _client.GetEntryByIndexAsync(index, ct), $"no entry {index.ToString(CultureInfo.InvariantCulture)} in {log.Title}").ConfigureAwait(false);
        cache.Set(log.Name, entry.LogIndex, entry);
        return entry;
    }

    public async Task<RekorEntry> GetByUuidAsync(string uuid, CancellationToken ct)
    {
        var entry = await Call(() => _client.GetEntryByUuidAsync(uuid, ct), $"no entry with UUID {uuid} in {log.Title}").ConfigureAwait(false);
        cache.Set(log.Name, entry.LogIndex, entry);
        return entry;
    }

    public Task<RekorConsistencyProof> GetConsistencyProofAsync(long first, long last, CancellationToken ct) =>
        Call(() => _client.GetConsistencyProofAsync(first, last, ct));

    /// <summary>UUIDs the search index holds for <paramref name="search"/> (a SearchIndex JSON object).</summary>
    public async Task<IReadOnlyList<string>> SearchIndexAsync(JsonObject search, CancellationToken ct)
    {
        var json = await PostAsync("api/v1/index/retrieve", search, ct).ConfigureAwait(false);
        try
        {
            return [.. json.AsArray().Select(n => n!.GetValue<string>())];
        }
        catch (Exception e) when (e is InvalidOperationException or NullReferenceException)
        {
            throw new LogUnavailableException(log.Title, 502, $"{log.Title} answered a malformed search result", e);
        }
    }

    /// <summary>Entries for <paramref name="uuids"/> (batches of <see cref="MaxRetrieve"/>); unknown ones are left out.</summary>
    public async Task<IReadOnlyList<RekorEntry>> RetrieveAsync(IReadOnlyList<string> uuids, CancellationToken ct)
    {
        var result = new List<RekorEntry>();
        foreach (var chunk in uuids.Chunk(MaxRetrieve))
        {
            var body = new JsonObject { ["entryUUIDs"] = new JsonArray([.. chunk.Select(u => (JsonNode)u)]) };
            var json = await PostAsync("api/v1/log/entries/retrieve", body, ct).ConfigureAwait(false);
            result.AddRange(ParseList(json));
        }
        foreach (var e in result) cache.Set(log.Name, e.LogIndex, e);
        return result;
    }

    /// <summary>Entries at <paramref name="indexes"/> (batches of <see cref="MaxRetrieve"/>, cached ones not asked again).</summary>
    public async Task<IReadOnlyList<RekorEntry>> RetrieveByIndexAsync(IReadOnlyList<long> indexes, CancellationToken ct)
    {
        var found = new Dictionary<long, RekorEntry>();
        var missing = new List<long>();
        foreach (var i in indexes.Distinct())
        {
            if (cache.Get<RekorEntry>(log.Name, i) is { } hit) found[i] = hit;
            else missing.Add(i);
        }
        foreach (var chunk in missing.Chunk(MaxRetrieve))
        {
            var body = new JsonObject { ["logIndexes"] = new JsonArray([.. chunk.Select(i => (JsonNode)i)]) };
            var json = await PostAsync("api/v1/log/entries/retrieve", body, ct).ConfigureAwait(false);
            foreach (var e in ParseList(json))
            {
                cache.Set(log.Name, e.LogIndex, e);
                found[e.LogIndex] = e;
            }
        }
        return [.. indexes.Where(found.ContainsKey).Select(i => found[i])];
    }

    private List<RekorEntry> ParseList(JsonNode json)
    {
        var list = new List<RekorEntry>();
        try
        {
            foreach (var map in json.AsArray())
            {
                foreach (var (uuid, entry) in map!.AsObject())
                {
                    list.Add(new RekorEntry(uuid, Convert.FromBase64String(entry!["body"]!.GetValue<string>()), entry["integratedTime"]!.GetValue<long>(),
                        entry["logID"]!.GetValue<string>(), entry["logIndex"]!.GetValue<long>(), null, null));
                }
            }
        }
        catch (Exception e) when (e is InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new LogUnavailableException(log.Title, 502, $"{log.Title} answered malformed entries", e);
        }
        return list;
    }

    private async Task<JsonNode> PostAsync(string path, JsonObject body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(log.BaseUrl, path))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new LogUnavailableException(log.Title, 503, $"{log.Title} at {log.BaseUrl} does not answer", e);
        }
        using (response)
        {
            var bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw new LogUnavailableException(log.Title, 502, $"{log.Title} answered HTTP {(int)response.StatusCode} to {path}");
            }
            try
            {
                return StrictJson.Parse(bytes) ?? throw new JsonException("empty");
            }
            catch (JsonException e)
            {
                throw new LogUnavailableException(log.Title, 502, $"{log.Title} answered something that is not JSON to {path}", e);
            }
        }
    }

    private async Task<T> Call<T>(Func<Task<T>> call, string? notFound = null)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (ServiceClientException e) when (notFound is not null && e.StatusCode == 404)
        {
            throw new ExplorerNotFoundException(notFound);
        }
        catch (ServiceClientException e) when (e.StatusCode == 0 && e.InnerException is HttpRequestException or TaskCanceledException)
        {
            throw new LogUnavailableException(log.Title, 503, $"{log.Title} at {log.BaseUrl} does not answer", e);
        }
        catch (ServiceClientException e)
        {
            throw new LogUnavailableException(log.Title, 502, $"{log.Title} answered an error: {e.Message}", e);
        }
        catch (TaskCanceledException e)
        {
            throw new LogUnavailableException(log.Title, 503, $"{log.Title} at {log.BaseUrl} did not answer in time", e);
        }
    }
}
