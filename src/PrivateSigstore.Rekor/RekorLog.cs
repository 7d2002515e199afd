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

    /// <summary>The active shard's witness policy, or null when no witness is configured.</summary>
    public CheckpointWitnessing? Witnessing { get; set; }

    /// <summary>
    /// The checkpoint to publish for <paramref name="shard"/> covering at least <paramref name="minSize"/> entries: the
    /// log's own, or for the active shard with witnesses the newest one that meets the policy, with the cosignatures.
    /// </summary>
    /// <exception cref="LogPushbackException">Failing closed and no published checkpoint covers <paramref name="minSize"/>.</exception>
    public async Task<LogCheckpoint> PublishedAsync(RekorShard shard, ulong minSize, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(shard);
        var own = shard.Log.LatestCheckpoint;
        if (Witnessing is null || !ReferenceEquals(shard, Shards.Active)) return own;
        WitnessedCheckpoint witnessed;
        try
        {
            witnessed = await Witnessing.WitnessAsync(shard.Log, minSize, ct).ConfigureAwait(false);
        }
        catch (LogPushbackException) when (Witnessing.Latest is { } latest && latest.Size >= minSize)
        {
            witnessed = latest;
        }
        return new LogCheckpoint(witnessed.Size, witnessed.RootHash, witnessed.SignedNote, own.TimestampMs);
    }

    /// <summary>The checkpoint origin of a tree: "&lt;hostname&gt; - &lt;treeID&gt;" (rekor pkg/util/checkpoint.go).</summary>
    public static string Origin(string hostname, long treeId) => string.Create(CultureInfo.InvariantCulture, $"{hostname} - {treeId}");

    /// <summary>
    /// Appends a canonical entry to the active shard and returns the response data (LogEntry with SET and inclusion
    /// proof) built from what was appended, without reading it back. The engine integrates before it returns, so the
    /// proof is against a published checkpoint. A duplicate throws <see cref="RekorDuplicateEntryException"/>; pushback,
    /// a frozen shard and an oversized leaf throw the engine's exceptions (the API's endpoint filter maps them).
    /// </summary>
    public async Task<RekorEntryResponse> AppendAsync(Entries.CanonicalEntry entry, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var shard = Shards.Active;
        var result = await shard.Log.AddAsync(entry.Body, ct).ConfigureAwait(false);
        var entryId = shard.TreeIdHex + Convert.ToHexStringLower(entry.LeafHash);
        if (result.Duplicate) throw new RekorDuplicateEntryException(entryId);
        return await BuildResponseAsync(shard, result.Index, entryId, entry.Body, result.TimestampMs, ct).ConfigureAwait(false);
    }

    /// <summary>Reads one stored entry and builds its LogEntry.</summary>
    public async Task<RekorEntryResponse> ReadAsync(RekorShard shard, ulong localIndex, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(shard);
        var entry = await shard.Log.GetEntryAsync(localIndex, ct).ConfigureAwait(false);
        var leafHash = await shard.Log.GetLeafHashAsync(localIndex, ct).ConfigureAwait(false);
        var entryId = shard.TreeIdHex + Convert.ToHexStringLower(leafHash);
        return await BuildResponseAsync(shard, localIndex, entryId, entry.Leaf, entry.TimestampMs, ct).ConfigureAwait(false);
    }

    private async Task<RekorEntryResponse> BuildResponseAsync(RekorShard shard, ulong localIndex, string entryId, ReadOnlyMemory<byte> leaf, long timestampMs, CancellationToken ct)
    {
        var cp = await PublishedAsync(shard, localIndex + 1, ct).ConfigureAwait(false);
        var proof = await shard.Log.GetInclusionProofAsync(localIndex, cp.Size, ct).ConfigureAwait(false);
        var body = Convert.ToBase64String(leaf.Span);
        var integratedTime = timestampMs / 1000;
        var globalIndex = shard.Offset + (long)localIndex;
        // SET: ECDSA over RFC 8785 {"body","integratedTime","logID","logIndex"} (rekor pkg/api/entries.go signEntry).
        var set = _key.Sign(SignedEntryTimestamp.Payload(body, integratedTime, LogIdHex, globalIndex));
        return new RekorEntryResponse(entryId, body, integratedTime, LogIdHex, globalIndex, localIndex, cp, proof, set);
    }

    /// <summary>Writes <c>"&lt;entryID&gt;": {LogEntry}</c> (rekor openapi.yaml LogEntry).</summary>
    public static void WriteEntry(Utf8JsonWriter w, RekorEntryResponse e)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(e);
        w.WriteStartObject(e.EntryId);
        w.WriteString("body", e.Body);
        w.WriteNumber("integratedTime", e.IntegratedTime);
        w.WriteString("logID", e.LogId);
        w.WriteNumber("logIndex", e.GlobalIndex);
        w.WriteStartObject("verification");
        w.WriteStartObject("inclusionProof");
        w.WriteString("checkpoint", e.Checkpoint.SignedNote);
        w.WriteStartArray("hashes");
        foreach (var h in e.Proof) w.WriteStringValue(Convert.ToHexStringLower(h));
        w.WriteEndArray();
        w.WriteNumber("logIndex", (long)e.LocalIndex);
        w.WriteString("rootHash", Convert.ToHexStringLower(e.Checkpoint.RootHash));
        w.WriteNumber("treeSize", (long)e.Checkpoint.Size);
        w.WriteEndObject();
        w.WriteBase64String("signedEntryTimestamp", e.SignedEntryTimestamp);
        w.WriteEndObject();
        w.WriteEndObject();
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

    private void WriteTreeInfo(Utf8JsonWriter w, RekorShard s)
    {
        // The active shard's published (witnessed) checkpoint when there is one; GetLogInfo refreshes it first.
        var cp = ReferenceEquals(s, Shards.Active) && Witnessing?.Latest is { } w2
            ? new LogCheckpoint(w2.Size, w2.RootHash, w2.SignedNote, 0)
            : s.Log.LatestCheckpoint;
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
        Witnessing?.Dispose();
        _key.Dispose();
    }
}

/// <summary>One LogEntry as the API answers it.</summary>
/// <param name="EntryId">80-hex entry id (tree id + leaf hash).</param>
/// <param name="Body">The canonical body, base64.</param>
/// <param name="IntegratedTime">Unix seconds.</param>
/// <param name="LogId">hex SHA-256 of the log key's SPKI.</param>
/// <param name="GlobalIndex">Index across shards.</param>
/// <param name="LocalIndex">Index in its shard (the inclusion proof's).</param>
/// <param name="Checkpoint">The checkpoint the proof is against.</param>
/// <param name="Proof">Inclusion proof hashes.</param>
/// <param name="SignedEntryTimestamp">The SET (DER ECDSA).</param>
internal sealed record RekorEntryResponse(string EntryId, string Body, long IntegratedTime, string LogId, long GlobalIndex, ulong LocalIndex, LogCheckpoint Checkpoint, byte[][] Proof, byte[] SignedEntryTimestamp);

/// <summary>An equivalent entry is already in the log (409 with Location of the existing entry).</summary>
internal sealed class RekorDuplicateEntryException(string entryId) : Exception($"an equivalent entry already exists in the transparency log with UUID {entryId}")
{
    /// <summary>The existing entry's id.</summary>
    public string EntryId { get; } = entryId;
}
