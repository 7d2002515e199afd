using System.Globalization;
using System.Text.Json;
using PrivateSigstore.Core.Rekor;
using PrivateSigstore.Keys;
using PrivateSigstore.Log;

namespace PrivateSigstore.Rekor;

/// <summary>
/// The Rekor v1 personality over the log engine: shards, the log key, and the exact response shapes
/// (rekor openapi.yaml LogEntry, LogInfo, ConsistencyProof).
/// </summary>
internal sealed class RekorLog : IAsyncDisposable
{
    private readonly ISigningKey _key;
    private readonly IReadOnlyList<ILogStore> _stores;

    public RekorLog(RekorShards shards, ISigningKey key, string hostname, IReadOnlyList<ILogStore> stores)
    {
        _stores = stores;
        Shards = shards;
        _key = key;
        Hostname = hostname;
        LogIdHex = Convert.ToHexStringLower(KeyIds.LogId(key.SubjectPublicKeyInfo));
        PublicKeyPem = Core.Pem.GoPem.EncodePublicKey(key.SubjectPublicKeyInfo);
    }

    public RekorShards Shards { get; }

    public string Hostname { get; }

    /// <summary>hex(SHA-256(DER SPKI of the log key)) (rekor pkg/sharding/ranges.go).</summary>
    public string LogIdHex { get; }

    /// <summary>The log key as Go writes PEM.</summary>
    public string PublicKeyPem { get; }

    public ISigningKey Key => _key;

    /// <summary>The checkpoint origin of a tree: "&lt;hostname&gt; - &lt;treeID&gt;" (rekor pkg/util/checkpoint.go).</summary>
    public static string Origin(string hostname, long treeId) => string.Create(CultureInfo.InvariantCulture, $"{hostname} - {treeId}");

    /// <summary>Writes <c>"&lt;entryID&gt;": {LogEntry}</c> for one entry and returns the entry id.</summary>
    public async Task<string> WriteEntryAsync(Utf8JsonWriter w, RekorShard shard, ulong localIndex, CancellationToken ct)
    {
        var entry = await shard.Log.GetEntryAsync(localIndex, ct).ConfigureAwait(false);
        var leafHash = await shard.Log.GetLeafHashAsync(localIndex, ct).ConfigureAwait(false);
        var cp = shard.Log.LatestCheckpoint;
        var proof = await shard.Log.GetInclusionProofAsync(localIndex, cp.Size, ct).ConfigureAwait(false);
        var entryId = shard.TreeIdHex + Convert.ToHexStringLower(leafHash);
        var body = Convert.ToBase64String(entry.Leaf.Span);
        var integratedTime = entry.TimestampMs / 1000;
        var globalIndex = shard.Offset + (long)localIndex;
        // SET: ECDSA over RFC 8785 {"body","integratedTime","logID","logIndex"} (rekor pkg/api/entries.go signEntry).
        var set = _key.Sign(SignedEntryTimestamp.Payload(body, integratedTime, LogIdHex, globalIndex));

        w.WriteStartObject(entryId);
        w.WriteString("body", body);
        w.WriteNumber("integratedTime", integratedTime);
        w.WriteString("logID", LogIdHex);
        w.WriteNumber("logIndex", globalIndex);
        w.WriteStartObject("verification");
        w.WriteStartObject("inclusionProof");
        w.WriteString("checkpoint", cp.SignedNote);
        w.WriteStartArray("hashes");
        foreach (var h in proof) w.WriteStringValue(Convert.ToHexStringLower(h));
        w.WriteEndArray();
        w.WriteNumber("logIndex", (long)localIndex);
        w.WriteString("rootHash", Convert.ToHexStringLower(cp.RootHash));
        w.WriteNumber("treeSize", (long)cp.Size);
        w.WriteEndObject();
        w.WriteBase64String("signedEntryTimestamp", set);
        w.WriteEndObject();
        w.WriteEndObject();
        return entryId;
    }

    /// <summary>Finds an entry by its 64- or 80-hex id: (shard, local index), or null.</summary>
    public async Task<(RekorShard Shard, ulong Index)?> FindAsync(string entryId, CancellationToken ct)
    {
        if (!Entries.RekorLogEntry.TryParseEntryId(entryId, out var treeId, out var leafHash)) return null;
        // 80 hex: the tree must be one of ours (tree id 0 means "any"); 64 hex: search active first, then older shards.
        IEnumerable<RekorShard> candidates = treeId is { } t && t != 0
            ? Shards.ByTreeId(t) is { } s ? [s] : []
            : Shards.All.Reverse();
        foreach (var shard in candidates)
        {
            if (await shard.Log.FindIndexAsync(leafHash, ct).ConfigureAwait(false) is { } index) return (shard, index);
        }
        return null;
    }

    /// <summary>Writes LogInfo for the active shard with the inactive shards' cached states.</summary>
    public void WriteLogInfo(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        WriteTreeInfo(w, Shards.Active);
        w.WriteStartArray("inactiveShards");
        foreach (var s in Shards.Inactive)
        {
            w.WriteStartObject();
            WriteTreeInfo(w, s);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteTreeInfo(Utf8JsonWriter w, RekorShard s)
    {
        var cp = s.Log.LatestCheckpoint;
        w.WriteString("rootHash", Convert.ToHexStringLower(cp.RootHash));
        w.WriteNumber("treeSize", (long)cp.Size);
        w.WriteString("signedTreeHead", cp.SignedNote);
        // treeID is a decimal string (rekor#712: JavaScript loses precision on large numbers).
        w.WriteString("treeID", s.TreeId.ToString(CultureInfo.InvariantCulture));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var s in Shards.All) await s.Log.DisposeAsync().ConfigureAwait(false);
        foreach (var s in _stores) await s.DisposeAsync().ConfigureAwait(false);
        _key.Dispose();
    }
}
