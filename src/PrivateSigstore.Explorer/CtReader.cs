using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Ct;
using PrivateSigstore.Core.Json;

namespace PrivateSigstore.Explorer;

/// <summary>A CT log's signed tree head as get-sth serves it.</summary>
internal sealed record CtTreeHead(ulong TreeSize, ulong Timestamp, byte[] RootHash, byte[] Signature, string Json);

/// <summary>One CT entry: the leaf, its chain (extra_data) and the certificates in it.</summary>
internal sealed record CtEntry(ulong Index, byte[] LeafInput, MerkleTreeLeaf Leaf, byte[] ExtraData, byte[] Certificate, IReadOnlyList<byte[]> Chain)
{
    public bool IsPrecert => Leaf.EntryType == CtLogEntryType.Precert;

    public DateTimeOffset Time => DateTimeOffset.FromUnixTimeMilliseconds((long)Leaf.Timestamp);

    public string LeafHashHex => Convert.ToHexStringLower(Core.Merkle.Rfc6962.HashLeaf(LeafInput));
}

/// <summary>
/// Reads an RFC 6962 CT log: get-sth, get-entries, get-proof-by-hash, get-sth-consistency, and its search index
/// (<c>GET /api/v1/search?san=|serial=|issuer=|fingerprint=</c>, PrivateSigstore's CT log).
/// </summary>
internal sealed class CtReader(HttpClient http, ExplorerLog log, EntryCache cache)
{
    private readonly string _base = log.BaseUrl.AbsoluteUri.TrimEnd('/');

    public ExplorerLog Log => log;

    public async Task<CtTreeHead> GetSthAsync(CancellationToken ct)
    {
        var (json, text) = await GetAsync("/ct/v1/get-sth", ct).ConfigureAwait(false);
        try
        {
            return new CtTreeHead(json["tree_size"]!.GetValue<ulong>(), json["timestamp"]!.GetValue<ulong>(),
                Convert.FromBase64String(json["sha256_root_hash"]!.GetValue<string>()), Convert.FromBase64String(json["tree_head_signature"]!.GetValue<string>()), text);
        }
        catch (Exception e) when (e is NullReferenceException or FormatException or InvalidOperationException)
        {
            throw Malformed("get-sth", e);
        }
    }

    public async Task<CtEntry> GetEntryAsync(ulong index, CancellationToken ct)
    {
        if (cache.Get<CtEntry>(log.Name, (long)index) is { } hit) return hit;
        var list = await GetEntriesAsync(index, index, ct).ConfigureAwait(false);
        return list.Count > 0 ? list[0] : throw new ExplorerNotFoundException(string.Create(CultureInfo.InvariantCulture, $"no entry {index} in the CT log"));
    }

    public async Task<IReadOnlyList<CtEntry>> GetEntriesAsync(ulong start, ulong end, CancellationToken ct)
    {
        JsonNode json;
        try
        {
            (json, _) = await GetAsync(string.Create(CultureInfo.InvariantCulture, $"/ct/v1/get-entries?start={start}&end={end}"), ct).ConfigureAwait(false);
        }
        catch (LogUnavailableException e) when (e.Status == 400)
        {
            throw new ExplorerNotFoundException(string.Create(CultureInfo.InvariantCulture, $"no entry {start} in the CT log"));
        }
        var result = new List<CtEntry>();
        try
        {
            var index = start;
            foreach (var item in json["entries"]!.AsArray())
            {
                var leafInput = Convert.FromBase64String(item!["leaf_input"]!.GetValue<string>());
                var extra = Convert.FromBase64String(item["extra_data"]?.GetValue<string>() ?? "");
                var leaf = MerkleTreeLeaf.Parse(leafInput);
                var chain = ReadChain(extra, leaf.EntryType == CtLogEntryType.Precert, out var precert);
                var entry = new CtEntry(index, leafInput, leaf, extra, leaf.EntryType == CtLogEntryType.X509 ? leaf.Certificate : precert!, chain);
                cache.Set(log.Name, (long)index, entry);
                result.Add(entry);
                index++;
            }
        }
        catch (Exception e) when (e is NullReferenceException or FormatException or InvalidOperationException or Core.WireFormatException or ArgumentException)
        {
            throw Malformed("get-entries", e);
        }
        return result;
    }

    /// <summary>get-proof-by-hash: the leaf index and audit path of <paramref name="leafHash"/> in a tree of <paramref name="size"/>.</summary>
    public async Task<(ulong Index, byte[][] Path)?> GetProofByHashAsync(byte[] leafHash, ulong size, CancellationToken ct)
    {
        JsonNode json;
        try
        {
            (json, _) = await GetAsync(string.Create(CultureInfo.InvariantCulture, $"/ct/v1/get-proof-by-hash?hash={Uri.EscapeDataString(Convert.ToBase64String(leafHash))}&tree_size={size}"), ct).ConfigureAwait(false);
        }
        catch (LogUnavailableException e) when (e.Status is 400 or 404)
        {
            return null;
        }
        try
        {
            return (json["leaf_index"]!.GetValue<ulong>(), [.. json["audit_path"]!.AsArray().Select(h => Convert.FromBase64String(h!.GetValue<string>()))]);
        }
        catch (Exception e) when (e is NullReferenceException or FormatException or InvalidOperationException)
        {
            throw Malformed("get-proof-by-hash", e);
        }
    }

    public async Task<byte[][]> GetConsistencyAsync(ulong first, ulong second, CancellationToken ct)
    {
        var (json, _) = await GetAsync(string.Create(CultureInfo.InvariantCulture, $"/ct/v1/get-sth-consistency?first={first}&second={second}"), ct).ConfigureAwait(false);
        try
        {
            return [.. json["consistency"]!.AsArray().Select(h => Convert.FromBase64String(h!.GetValue<string>()))];
        }
        catch (Exception e) when (e is NullReferenceException or FormatException or InvalidOperationException)
        {
            throw Malformed("get-sth-consistency", e);
        }
    }

    /// <summary>The CT log's search index: leaf indexes of entries whose certificate has this SAN, serial, OIDC issuer or SHA-256.</summary>
    public async Task<IReadOnlyList<ulong>> SearchAsync(string field, string value, CancellationToken ct)
    {
        JsonNode json;
        try
        {
            (json, _) = await GetAsync($"/api/v1/search?{field}={Uri.EscapeDataString(value)}", ct).ConfigureAwait(false);
        }
        catch (LogUnavailableException e) when (e.Status == 400)
        {
            throw new ExplorerBadQueryException($"the CT log refused the search: {e.Message}");
        }
        try
        {
            return [.. json["indexes"]!.AsArray().Select(i => i!.GetValue<ulong>())];
        }
        catch (Exception e) when (e is NullReferenceException or FormatException or InvalidOperationException)
        {
            throw Malformed("search", e);
        }
    }

    /// <summary>RFC 6962 §4.6 extra_data: for a precert entry the precertificate then the chain; for x509 the chain.</summary>
    private static List<byte[]> ReadChain(byte[] extra, bool precert, out byte[]? precertificate)
    {
        var offset = 0;
        precertificate = null;
        if (precert) precertificate = Read24(extra, ref offset);
        var chain = new List<byte[]>();
        var total = Length24(extra, ref offset);
        var end = offset + total;
        if (end > extra.Length) throw new FormatException("extra_data chain is truncated");
        while (offset < end) chain.Add(Read24(extra, ref offset));
        return chain;
    }

    private static int Length24(byte[] data, ref int offset)
    {
        if (offset + 3 > data.Length) throw new FormatException("extra_data is truncated");
        var length = (data[offset] << 16) | (data[offset + 1] << 8) | data[offset + 2];
        offset += 3;
        return length;
    }

    private static byte[] Read24(byte[] data, ref int offset)
    {
        var length = Length24(data, ref offset);
        if (offset + length > data.Length) throw new FormatException("extra_data certificate is truncated");
        var bytes = data[offset..(offset + length)];
        offset += length;
        return bytes;
    }

    private LogUnavailableException Malformed(string what, Exception e) => new(log.Title, 502, $"{log.Title} answered a malformed {what}: {e.Message}", e);

    private async Task<(JsonNode Json, string Text)> GetAsync(string path, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_base + path));
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
            var text = System.Text.Encoding.UTF8.GetString(bytes);
            if (!response.IsSuccessStatusCode)
            {
                var status = (int)response.StatusCode is 400 or 404 ? (int)response.StatusCode : 502;
                throw new LogUnavailableException(log.Title, status, $"{log.Title} answered HTTP {(int)response.StatusCode}: {text[..Math.Min(text.Length, 200)]}");
            }
            try
            {
                return (StrictJson.Parse(bytes) ?? throw new JsonException("empty"), text);
            }
            catch (JsonException e)
            {
                throw new LogUnavailableException(log.Title, 502, $"{log.Title} answered something that is not JSON", e);
            }
        }
    }
}
