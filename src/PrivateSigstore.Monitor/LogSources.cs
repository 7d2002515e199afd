using PrivateSigstore.Core.Rekor;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Client;
using PrivateSigstore.Client.Rekor;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Ct;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Core.Json;

namespace PrivateSigstore.Monitor;

/// <summary>A log answered something that does not parse: alerted as <see cref="AlertKinds.MalformedResponse"/>.</summary>
internal sealed class MalformedLogResponseException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The head's signature does not verify with the trusted key: alerted as <see cref="AlertKinds.InvalidSignature"/>.</summary>
internal sealed class BadLogSignatureException(string message, string evidence) : Exception(message)
{
    public string Evidence { get; } = evidence;
}

/// <summary>A verified tree head.</summary>
/// <param name="Size">Tree size.</param>
/// <param name="RootHash">Root hash.</param>
/// <param name="Evidence">The note or STH JSON as served.</param>
/// <param name="Timestamp">The STH's timestamp (CT only).</param>
internal sealed record LogHead(long Size, byte[] RootHash, string Evidence, DateTimeOffset? Timestamp);

/// <summary>An entry read from a log.</summary>
/// <param name="Index">Its index.</param>
/// <param name="Leaf">The Merkle leaf's data (what is hashed with the 0x00 prefix).</param>
/// <param name="Uuid">Its UUID (Rekor v1), else null.</param>
/// <param name="Time">When the log says it recorded it.</param>
/// <param name="Material">The certificates (DER) and public keys (SPKI) it carries, or null when they are in the JSON body (found only when an identity watch asks).</param>
internal sealed record LogEntryRead(long Index, byte[] Leaf, string? Uuid, DateTimeOffset? Time, EntryMaterial? Material)
{
    /// <summary>The material, read from the JSON body when the source did not give it.</summary>
    public EntryMaterial GetMaterial() => Material ?? EntryMaterial.FromJsonBody(Leaf);
}

/// <summary>One log, as the follower sees it.</summary>
internal interface ILogSource
{
    /// <summary>The log's URL (its name in alerts, state and metrics).</summary>
    string Name { get; }

    MonitoredLogKind Kind { get; }

    /// <summary>The latest head, its signature verified; throws <see cref="BadLogSignatureException"/> or <see cref="MalformedLogResponseException"/>.</summary>
    Task<LogHead> GetHeadAsync(CancellationToken cancellationToken);

    /// <summary>The consistency proof from <paramref name="size1"/> to <paramref name="head"/>.</summary>
    Task<IReadOnlyList<byte[]>> GetConsistencyProofAsync(long size1, LogHead head, CancellationToken cancellationToken);

    /// <summary>Entries from <paramref name="start"/> (inclusive) to at most <paramref name="end"/> (exclusive); at least one when start &lt; end.</summary>
    Task<IReadOnlyList<LogEntryRead>> GetEntriesAsync(long start, long end, LogHead head, CancellationToken cancellationToken);

    /// <summary>
    /// Where a read starting at <paramref name="start"/> ends when the source reads in fixed chunks (a tiled log's entry
    /// bundles), so several can be read at once; null when only the answer says how far a read got (one at a time).
    /// </summary>
    long? ChunkEnd(long start, long end) => null;
}

/// <summary>Rekor v1 through its REST API.</summary>
internal sealed class RekorV1Source(HttpClient http, Uri url, byte[] publicKey) : ILogSource
{
    private readonly RekorClient _client = new(http, url);
    private readonly INoteVerifier _verifier = LogKeys.NoteVerifier(url.Host, publicKey);

    public string Name { get; } = url.AbsoluteUri.TrimEnd('/');

    public MonitoredLogKind Kind => MonitoredLogKind.RekorV1;

    public async Task<LogHead> GetHeadAsync(CancellationToken cancellationToken)
    {
        var info = await Wrap(() => _client.GetLogInfoAsync(cancellationToken)).ConfigureAwait(false);
        SignedCheckpoint checkpoint;
        try
        {
            checkpoint = SignedCheckpoint.Parse(info.SignedTreeHead);
        }
        catch (WireFormatException e)
        {
            throw new MalformedLogResponseException($"the signed tree head does not parse: {e.Message}", e);
        }
        if (!checkpoint.VerifyRekorV1(_verifier)) throw new BadLogSignatureException("the checkpoint is not signed by the log's trusted key", info.SignedTreeHead);
        return new LogHead(checked((long)checkpoint.Checkpoint.Size), checkpoint.Checkpoint.RootHash, info.SignedTreeHead, null);
    }

    public async Task<IReadOnlyList<byte[]>> GetConsistencyProofAsync(long size1, LogHead head, CancellationToken cancellationToken)
    {
        var proof = await Wrap(() => _client.GetConsistencyProofAsync(size1, head.Size, cancellationToken)).ConfigureAwait(false);
        return proof.Hashes;
    }

    public async Task<IReadOnlyList<LogEntryRead>> GetEntriesAsync(long start, long end, LogHead head, CancellationToken cancellationToken)
    {
        var entry = await Wrap(() => _client.GetEntryByIndexAsync(start, cancellationToken)).ConfigureAwait(false);
        if (entry.LogIndex != start) throw new MalformedLogResponseException($"asked for entry {start}, got {entry.LogIndex}");
        return [new LogEntryRead(start, entry.Body, entry.Uuid, DateTimeOffset.FromUnixTimeSeconds(entry.IntegratedTime), null)];
    }

    internal static async Task<T> Wrap<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (ServiceClientException e) when (e.StatusCode is 0 or (>= 200 and < 300))
        {
            // Not an HTTP error: the log answered, but something that does not parse.
            throw e.InnerException is HttpRequestException ? new HttpRequestException(e.Message, e) : new MalformedLogResponseException(e.Message, e);
        }
        catch (ServiceClientException e)
        {
            throw new HttpRequestException(e.Message, e);
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or JsonException or WireFormatException or OverflowException)
        {
            throw new MalformedLogResponseException(e.Message, e);
        }
    }
}

/// <summary>Rekor v2 through its checkpoint and tiles (consistency proofs computed from tiles).</summary>
internal sealed class RekorV2Source(HttpClient http, Uri url, byte[] publicKey, string? origin) : ILogSource
{
    private readonly RekorV2Client _client = new(http, url);
    private readonly string _origin = origin ?? url.Host;
    private readonly INoteVerifier _verifier = LogKeys.NoteVerifier(origin ?? url.Host, publicKey);
    private TiledLogReader? _reader;

    public string Name { get; } = url.AbsoluteUri.TrimEnd('/');

    public MonitoredLogKind Kind => MonitoredLogKind.RekorV2;

    public async Task<LogHead> GetHeadAsync(CancellationToken cancellationToken)
    {
        var note = await RekorV1Source.Wrap(() => _client.GetCheckpointAsync(cancellationToken)).ConfigureAwait(false);
        SignedCheckpoint checkpoint;
        try
        {
            checkpoint = SignedCheckpoint.Parse(note);
        }
        catch (WireFormatException e)
        {
            throw new MalformedLogResponseException($"the checkpoint does not parse: {e.Message}", e);
        }
        try
        {
            checkpoint.Verify([_verifier], _origin);
        }
        catch (WireFormatException e)
        {
            throw new BadLogSignatureException($"the checkpoint does not verify: {e.Message}", note);
        }
        return new LogHead(checked((long)checkpoint.Checkpoint.Size), checkpoint.Checkpoint.RootHash, note, null);
    }

    private TiledLogReader Reader(LogHead head)
    {
        if (_reader is null || _reader.TreeSize != (ulong)head.Size) _reader = new TiledLogReader(_client, (ulong)head.Size);
        return _reader;
    }

    public async Task<IReadOnlyList<byte[]>> GetConsistencyProofAsync(long size1, LogHead head, CancellationToken cancellationToken) =>
        await RekorV1Source.Wrap(() => Reader(head).ConsistencyProofAsync((ulong)size1, (ulong)head.Size, cancellationToken)).ConfigureAwait(false);

    public long? ChunkEnd(long start, long end) => Math.Min(end, (start / TileLayout.TileWidth + 1) * TileLayout.TileWidth);

    /// <summary>The entries of <paramref name="start"/>'s entry bundle from <paramref name="start"/> on (one request per bundle).</summary>
    public async Task<IReadOnlyList<LogEntryRead>> GetEntriesAsync(long start, long end, LogHead head, CancellationToken cancellationToken)
    {
        var size = (ulong)head.Size;
        var bundle = (ulong)start / TileLayout.TileWidth;
        var width = TileLayout.WidthAt(0, bundle, size);
        var entries = await RekorV1Source.Wrap(async () =>
        {
            try
            {
                return await _client.GetEntryBundleAsync(bundle, width, cancellationToken).ConfigureAwait(false);
            }
            catch (ServiceClientException e) when (e.StatusCode == 404 && width < TileLayout.TileWidth)
            {
                // The partial bundle may be gone once the full one exists.
                return [.. (await _client.GetEntryBundleAsync(bundle, TileLayout.TileWidth, cancellationToken).ConfigureAwait(false)).Take(width)];
            }
        }).ConfigureAwait(false);
        var first = (int)((ulong)start % TileLayout.TileWidth);
        var list = new List<LogEntryRead>();
        for (var i = first; i < entries.Count && start + (i - first) < end; i++)
        {
            list.Add(new LogEntryRead(start + (i - first), entries[i], null, null, null));
        }
        return list.Count > 0 ? list : throw new MalformedLogResponseException($"entry bundle {bundle} has no entry {start}");
    }
}

/// <summary>An RFC 6962 CT log (<c>/ct/v1/</c>).</summary>
internal sealed class CtSource(HttpClient http, Uri url, byte[] publicKey) : ILogSource
{
    private readonly Uri _base = new(url.AbsoluteUri.TrimEnd('/') + "/ct/v1/");
    private readonly PublicKey _key = PublicKey.FromSubjectPublicKeyInfo(publicKey);

    public string Name { get; } = url.AbsoluteUri.TrimEnd('/');

    public MonitoredLogKind Kind => MonitoredLogKind.Ct;

    public async Task<LogHead> GetHeadAsync(CancellationToken cancellationToken)
    {
        var (json, text) = await GetAsync("get-sth", cancellationToken).ConfigureAwait(false);
        ulong size, timestamp;
        byte[] root;
        DigitallySigned signature;
        try
        {
            size = json["tree_size"]!.GetValue<ulong>();
            timestamp = json["timestamp"]!.GetValue<ulong>();
            root = Convert.FromBase64String(json["sha256_root_hash"]!.GetValue<string>());
            signature = DigitallySigned.Parse(Convert.FromBase64String(json["tree_head_signature"]!.GetValue<string>()));
            if (root.Length != 32) throw new FormatException("sha256_root_hash is not 32 bytes");
        }
        catch (Exception e) when (e is NullReferenceException or FormatException or InvalidOperationException or WireFormatException or OverflowException)
        {
            throw new MalformedLogResponseException($"get-sth: malformed signed tree head: {e.Message}", e);
        }
        if (signature.HashAlgorithm != 4 || !_key.VerifyMessage(TreeHeadSignature.SignedData(timestamp, size, root), signature.Signature, System.Security.Cryptography.HashAlgorithmName.SHA256))
        {
            throw new BadLogSignatureException("the signed tree head is not signed by the log's trusted key", text);
        }
        return new LogHead(checked((long)size), root, text, DateTimeOffset.FromUnixTimeMilliseconds(checked((long)timestamp)));
    }

    public async Task<IReadOnlyList<byte[]>> GetConsistencyProofAsync(long size1, LogHead head, CancellationToken cancellationToken)
    {
        var (json, _) = await GetAsync(string.Create(CultureInfo.InvariantCulture, $"get-sth-consistency?first={size1}&second={head.Size}"), cancellationToken).ConfigureAwait(false);
        try
        {
            return [.. json["consistency"]!.AsArray().Select(h => Convert.FromBase64String(h!.GetValue<string>()))];
        }
        catch (Exception e) when (e is NullReferenceException or FormatException or InvalidOperationException)
        {
            throw new MalformedLogResponseException($"get-sth-consistency: malformed proof: {e.Message}", e);
        }
    }

    public async Task<IReadOnlyList<LogEntryRead>> GetEntriesAsync(long start, long end, LogHead head, CancellationToken cancellationToken)
    {
        var (json, _) = await GetAsync(string.Create(CultureInfo.InvariantCulture, $"get-entries?start={start}&end={end - 1}"), cancellationToken).ConfigureAwait(false);
        try
        {
            var list = new List<LogEntryRead>();
            var index = start;
            foreach (var item in json["entries"]!.AsArray())
            {
                if (index >= end) break;
                var leafBytes = Convert.FromBase64String(item!["leaf_input"]!.GetValue<string>());
                var extra = Convert.FromBase64String(item["extra_data"]?.GetValue<string>() ?? "");
                var leaf = MerkleTreeLeaf.Parse(leafBytes);
                byte[] cert = leaf.EntryType == CtLogEntryType.X509 ? leaf.Certificate : FirstCertificate(extra);
                list.Add(new LogEntryRead(index, leafBytes, null, DateTimeOffset.FromUnixTimeMilliseconds(checked((long)leaf.Timestamp)), new EntryMaterial([cert], [])));
                index++;
            }
            return list.Count > 0 ? list : throw new MalformedLogResponseException($"get-entries returned no entry for {start}..{end - 1}");
        }
        catch (Exception e) when (e is NullReferenceException or FormatException or InvalidOperationException or WireFormatException or OverflowException or ArgumentException)
        {
            throw new MalformedLogResponseException($"get-entries: malformed entries: {e.Message}", e);
        }
    }

    /// <summary>The pre_certificate of a PrecertChainEntry (uint24 length, then the DER).</summary>
    private static byte[] FirstCertificate(byte[] extra)
    {
        if (extra.Length < 3) throw new FormatException("extra_data is too short for a precertificate");
        var length = (extra[0] << 16) | (extra[1] << 8) | extra[2];
        if (length == 0 || extra.Length < 3 + length) throw new FormatException("extra_data's precertificate is truncated");
        return extra[3..(3 + length)];
    }

    private async Task<(JsonNode Json, string Text)> GetAsync(string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_base, path));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw new HttpRequestException($"GET {path}: HTTP {(int)response.StatusCode}", null, response.StatusCode);
        var text = Encoding.UTF8.GetString(bytes);
        try
        {
            return (StrictJson.Parse(bytes) ?? throw new MalformedLogResponseException($"GET {path}: empty response"), text);
        }
        catch (JsonException e)
        {
            throw new MalformedLogResponseException($"GET {path}: response is not JSON: {e.Message}", e);
        }
    }
}

/// <summary>Log keys.</summary>
internal static class LogKeys
{
    /// <summary>A note verifier for <paramref name="spki"/> (ECDSA or Ed25519) named <paramref name="name"/>.</summary>
    public static INoteVerifier NoteVerifier(string name, byte[] spki) => PublicKeyInfo.Validate(spki) switch
    {
        PublicKeyInfo.Ed25519Oid => Ed25519NoteVerifier.FromSubjectPublicKeyInfo(name, spki),
        PublicKeyInfo.EcPublicKeyOid => new EcdsaNoteVerifier(name, spki),
        _ => throw new ArgumentException("a checkpoint key must be ECDSA or Ed25519"),
    };

    /// <summary>PEM or base64 DER SubjectPublicKeyInfo.</summary>
    public static byte[] Parse(string text)
    {
        text = text.Trim();
        if (text.StartsWith("-----BEGIN", StringComparison.Ordinal)) return PublicKey.FromPem(text).SubjectPublicKeyInfo;
        return PublicKey.FromSubjectPublicKeyInfo(Convert.FromBase64String(text)).SubjectPublicKeyInfo;
    }
}
