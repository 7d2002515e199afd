using System.Text;
using System.Text.Json;
using PrivateSigstore.Core;

namespace PrivateSigstore.Rekor;

/// <summary>POST /api/v1/log/entries/retrieve body (openapi.yaml SearchLogQuery).</summary>
internal sealed record SearchLogQueryRequest(IReadOnlyList<string> EntryUuids, IReadOnlyList<long> LogIndexes, IReadOnlyList<byte[]> Entries)
{
    public int Count => EntryUuids.Count + LogIndexes.Count + Entries.Count;

    public static SearchLogQueryRequest Parse(byte[] json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 32 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new WireFormatException("the search query must be a JSON object");
            var uuids = new List<string>();
            var indexes = new List<long>();
            var entries = new List<byte[]>();
            foreach (var p in doc.RootElement.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "entryUUIDs":
                        foreach (var e in Array(p)) uuids.Add(e.GetString() ?? throw new WireFormatException("entryUUIDs must be strings"));
                        break;
                    case "logIndexes":
                        foreach (var e in Array(p)) indexes.Add(e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var v) ? v : throw new WireFormatException("logIndexes must be integers"));
                        break;
                    case "entries":
                        foreach (var e in Array(p)) entries.Add(Encoding.UTF8.GetBytes(e.GetRawText()));
                        break;
                    default:
                        break; // Unknown fields are ignored, as go-swagger does.
                }
            }
            return new SearchLogQueryRequest(uuids, indexes, entries);
        }
        catch (JsonException ex)
        {
            throw new WireFormatException($"the search query is not valid JSON: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new WireFormatException($"the search query has a field of the wrong type: {ex.Message}", ex);
        }
    }

    private static JsonElement.ArrayEnumerator Array(JsonProperty p) =>
        p.Value.ValueKind == JsonValueKind.Array ? p.Value.EnumerateArray() : throw new WireFormatException($"{p.Name} must be an array");
}

/// <summary>POST /api/v1/index/retrieve body (openapi.yaml SearchIndex), turned into lookup keys as rekor pkg/api/index.go does.</summary>
internal sealed record SearchIndexRequest(IReadOnlyList<string> Keys, bool And)
{
    public static SearchIndexRequest Parse(byte[] json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 32 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new WireFormatException("the search must be a JSON object");
            var keys = new List<string>();
            if (root.TryGetProperty("hash", out var hash)) keys.Add(HashKey(hash.GetString() ?? ""));
            if (root.TryGetProperty("publicKey", out var pk)) keys.Add(PublicKeyKey(pk));
            if (root.TryGetProperty("email", out var email)) keys.Add((email.GetString() ?? "").ToLowerInvariant());
            if (root.TryGetProperty("subject", out var subject)) keys.Add((subject.GetString() ?? "").ToLowerInvariant());
            var op = root.TryGetProperty("operator", out var o) ? o.GetString() : "or";
            if (op is not ("and" or "or")) throw new WireFormatException("operator must be \"and\" or \"or\"");
            if (keys.Count == 0 || keys.Any(string.IsNullOrEmpty)) throw new WireFormatException("at least one of hash, publicKey, email or subject must be given and non-empty");
            return new SearchIndexRequest(keys, op == "and");
        }
        catch (JsonException ex)
        {
            throw new WireFormatException($"the search is not valid JSON: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            throw new WireFormatException($"the search has a field of the wrong type: {ex.Message}", ex);
        }
    }

    /// <summary>"[sha256:|sha1:|sha512:]hex" → "alg:hex", lowercased (rekor util.PrefixSHA).</summary>
    private static string HashKey(string value)
    {
        var v = value.ToLowerInvariant();
        var colon = v.IndexOf(':', StringComparison.Ordinal);
        var alg = colon < 0 ? v.Length switch { 40 => "sha1", 64 => "sha256", 96 => "sha384", 128 => "sha512", _ => "" } : v[..colon];
        var hex = colon < 0 ? v : v[(colon + 1)..];
        var expected = alg switch { "sha1" => 40, "sha256" => 64, "sha384" => 96, "sha512" => 128, _ => -1 };
        if (expected < 0 || hex.Length != expected || !hex.All(Uri.IsHexDigit)) throw new WireFormatException($"invalid hash value {value}");
        return $"{alg}:{hex}";
    }

    /// <summary>hex(SHA-256(canonical PEM)) of an x509 public key or certificate (rekor pkg/api/index.go).</summary>
    private static string PublicKeyKey(JsonElement pk)
    {
        var format = pk.TryGetProperty("format", out var f) ? f.GetString() : null;
        if (format != "x509") throw new WireFormatException($"unsupported public key format {format}; only x509 is indexed here");
        var content = pk.TryGetProperty("content", out var c) ? c.GetString() : null;
        if (string.IsNullOrEmpty(content)) throw new WireFormatException("publicKey.content is required");
        byte[] raw;
        try
        {
            raw = Convert.FromBase64String(content);
        }
        catch (FormatException ex)
        {
            throw new WireFormatException("publicKey.content is not valid base64", ex);
        }
        // The same canonicalization and hash the entry kinds index keys under.
        return Entries.RekorEntries.PublicKeyIndexKey(raw);
    }
}
