using PrivateSigstore.Core.Merkle;

namespace PrivateSigstore.Log;

public sealed partial class TransparencyLog
{
    /// <summary>Reads entry <paramref name="index"/>.</summary>
    /// <exception cref="LogRangeException">The index is not in the published tree.</exception>
    public async Task<LogEntry> GetEntryAsync(ulong index, CancellationToken cancellationToken = default)
    {
        if (index >= _state.Size) throw new LogRangeException($"index {index} is beyond the tree size {_state.Size}");
        var segment = _segments.Find(index)
            ?? await _store.ReadSegmentAsync(index, cancellationToken).ConfigureAwait(false)
            ?? throw new LogCorruptedException($"no stored segment holds entry {index}");
        if (index < segment.Start || index >= segment.Start + (ulong)segment.Count)
        {
            throw new LogCorruptedException($"the segment read for entry {index} covers [{segment.Start}, {segment.Start + (ulong)segment.Count})");
        }
        _segments.Add(segment);
        return new LogEntry(index, SegmentCodec.Get(segment, (int)(index - segment.Start)), segment.TimestampMs);
    }

    /// <summary>Finds the index of the entry whose RFC 6962 leaf hash is <paramref name="leafHash"/>, or null.</summary>
    public async Task<ulong?> FindIndexAsync(byte[] leafHash, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(leafHash);
        if (leafHash.Length != Rfc6962.HashSize) throw new ArgumentException("a leaf hash is 32 bytes", nameof(leafHash));
        var r = await FindCommittedAsync(leafHash, cancellationToken).ConfigureAwait(false);
        return r?.Index;
    }

    /// <summary>The RFC 6962 leaf hash of entry <paramref name="index"/>, read from the level-0 tile.</summary>
    public async Task<byte[]> GetLeafHashAsync(ulong index, CancellationToken cancellationToken = default)
    {
        if (index >= _state.Size) throw new LogRangeException($"index {index} is beyond the tree size {_state.Size}");
        return await GetNodeAsync(new NodeId(0, index), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The inclusion proof of <paramref name="index"/> in the tree of size <paramref name="treeSize"/>, leaf to root.</summary>
    public async Task<byte[][]> GetInclusionProofAsync(ulong index, ulong treeSize, CancellationToken cancellationToken = default)
    {
        if (treeSize > _state.Size) throw new LogRangeException($"tree size {treeSize} is beyond the published size {_state.Size}");
        if (index >= treeSize) throw new LogRangeException($"index {index} is not below tree size {treeSize}");
        var nodes = ProofBuilder.Inclusion(index, treeSize);
        return nodes.Rehash(await GetNodesAsync(nodes.Ids, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>The consistency proof between tree sizes <paramref name="size1"/> and <paramref name="size2"/>.</summary>
    public async Task<byte[][]> GetConsistencyProofAsync(ulong size1, ulong size2, CancellationToken cancellationToken = default)
    {
        if (size2 > _state.Size) throw new LogRangeException($"tree size {size2} is beyond the published size {_state.Size}");
        if (size1 > size2) throw new LogRangeException($"first size {size1} is larger than second size {size2}");
        if (size1 == 0 || size1 == size2) return [];
        var nodes = ProofBuilder.Consistency(size1, size2);
        return nodes.Rehash(await GetNodesAsync(nodes.Ids, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>Reads the committed state from the store itself (not the published state in memory): readiness, which must fail when the store is unreachable.</summary>
    public async Task CheckStoreAsync(CancellationToken cancellationToken = default) =>
        _ = await _store.ReadStateAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>The RFC 6962 root hash of the tree of size <paramref name="treeSize"/> (any size up to the published one).</summary>
    public async Task<byte[]> GetRootHashAsync(ulong treeSize, CancellationToken cancellationToken = default)
    {
        var state = _state;
        if (treeSize > state.Size) throw new LogRangeException($"tree size {treeSize} is beyond the published size {state.Size}");
        if (treeSize == state.Size) return state.Root;
        if (treeSize == 0) return Rfc6962.EmptyRoot.ToArray();
        // The tree of size n is the perfect subtrees of n's binary decomposition, folded right to left.
        var ids = new List<NodeId>();
        ulong start = 0;
        for (var level = 63; level >= 0; level--)
        {
            if ((treeSize & (1UL << level)) == 0) continue;
            ids.Add(new NodeId(level, start >> level));
            start += 1UL << level;
        }
        var hashes = await GetNodesAsync(ids, cancellationToken).ConfigureAwait(false);
        var root = hashes[^1];
        for (var i = hashes.Count - 2; i >= 0; i--) root = Rfc6962.HashChildren(hashes[i], root);
        return root;
    }

    /// <summary>
    /// The tile (<paramref name="level"/>, <paramref name="index"/>) at <paramref name="width"/> hashes (1..256),
    /// as C2SP tlog-tiles serves it: <c>width × 32</c> bytes.
    /// </summary>
    public async Task<byte[]> GetTileAsync(int level, ulong index, int width, CancellationToken cancellationToken = default)
    {
        if (level is < 0 or > 63) throw new LogRangeException($"tile level {level} is out of range");
        if (width is < 1 or > TileCache.TileWidth) throw new LogRangeException($"tile width {width} is out of range");
        var nodesAtLevel = level * 8 >= 64 ? 0 : _state.Size >> (8 * level);
        if (index > (nodesAtLevel - 1) >> 8 || nodesAtLevel == 0 || (index << 8) + (ulong)width > nodesAtLevel)
        {
            throw new LogRangeException($"tile {level}/{index} of width {width} is beyond the published tree");
        }
        var tile = await GetTileDataAsync(level, index, width, cancellationToken).ConfigureAwait(false);
        return tile.AsSpan(0, width * TileCache.HashSize).ToArray();
    }

    /// <summary>The entries [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) in order.</summary>
    public async Task<IReadOnlyList<LogEntry>> GetEntriesAsync(ulong start, int count, CancellationToken cancellationToken = default)
    {
        var list = new List<LogEntry>(Math.Max(0, count));
        var size = _state.Size;
        var end = count <= 0 || start >= size ? start : Math.Min(size, start + (ulong)count);
        var index = start;
        while (index < end)
        {
            // One segment (a batch of entries stored together) serves every requested entry it holds: it is found once and
            // split once, not scanned again from its start for each entry.
            var segment = _segments.Find(index)
                ?? await _store.ReadSegmentAsync(index, cancellationToken).ConfigureAwait(false)
                ?? throw new LogCorruptedException($"no stored segment holds entry {index}");
            if (index < segment.Start || index >= segment.Start + (ulong)segment.Count)
            {
                throw new LogCorruptedException($"the segment read for entry {index} covers [{segment.Start}, {segment.Start + (ulong)segment.Count})");
            }
            _segments.Add(segment);
            var segmentEnd = Math.Min(end, segment.Start + (ulong)segment.Count);
            var entries = SegmentCodec.GetRange(segment, (int)(index - segment.Start), (int)(segmentEnd - index));
            foreach (var entry in entries) list.Add(new LogEntry(index++, entry, segment.TimestampMs));
        }
        return list;
    }

    private async Task<AppendResult?> FindCommittedAsync(byte[] hash, CancellationToken ct)
    {
        if (!_leafIndex.MayContain(hash)) return null;
        var candidates = new List<ulong>(1);
        _leafIndex.FindCandidates(hash, candidates);
        foreach (var index in candidates)
        {
            var stored = await GetNodeAsync(new NodeId(0, index), ct).ConfigureAwait(false);
            if (stored.AsSpan().SequenceEqual(hash))
            {
                var segment = _segments.Find(index) ?? await _store.ReadSegmentAsync(index, ct).ConfigureAwait(false);
                return new AppendResult(index, true, segment?.TimestampMs ?? 0);
            }
        }
        return null;
    }

    private async Task<List<byte[]>> GetNodesAsync(IReadOnlyList<NodeId> ids, CancellationToken ct)
    {
        // Several proof nodes often live in one tile (the right border above all): read each tile once per proof.
        var tiles = new Dictionary<(int, ulong), byte[]>();
        var list = new List<byte[]>(ids.Count);
        foreach (var id in ids) list.Add(await GetNodeAsync(id, ct, tiles).ConfigureAwait(false));
        return list;
    }

    /// <summary>
    /// A perfect-subtree node from the tiles: node (l, i) is stored in tile level l/8 when l is a multiple of 8,
    /// otherwise it is recomputed from the 2^(l mod 8) tile hashes beneath it (at most 255 hashes).
    /// </summary>
    private async Task<byte[]> GetNodeAsync(NodeId id, CancellationToken ct, Dictionary<(int, ulong), byte[]>? tiles = null)
    {
        var tileLevel = id.Level / 8;
        var sub = id.Level % 8;
        var first = id.Index << sub;
        var count = 1 << sub;
        var tileIndex = first >> 8;
        var slot = (int)(first & 0xff);
        if (count > 1 && _computedNodes.TryGetValue(id, out var memo)) return memo;
        if (tiles is null || !tiles.TryGetValue((tileLevel, tileIndex), out var data) || data.Length < (slot + count) * 32)
        {
            data = await GetTileDataAsync(tileLevel, tileIndex, slot + count, ct).ConfigureAwait(false);
            if (tiles is not null) tiles[(tileLevel, tileIndex)] = data;
        }
        if (count == 1) return data.AsSpan(slot * 32, 32).ToArray();
        var hashes = new byte[count * 32];
        data.AsSpan(slot * 32, count * 32).CopyTo(hashes);
        // Level-by-level, in place, with the multi-buffer hasher.
        for (var n = count; n > 1; n /= 2) Rfc6962.HashChildPairs(hashes.AsSpan(0, n * 32), hashes.AsSpan(0, n / 2 * 32));
        var node = hashes.AsSpan(0, 32).ToArray();
        // Nodes under a perfect subtree never change: remember them (bounded; cleared when full).
        // (ConcurrentDictionary.Count takes every lock, so the size is tracked separately.)
        if (Interlocked.Increment(ref _computedNodeCount) > MaxComputedNodes)
        {
            _computedNodes.Clear();
            Interlocked.Exchange(ref _computedNodeCount, 0);
        }
        _computedNodes[id] = node;
        return node;
    }

    private async Task<byte[]> GetTileDataAsync(int level, ulong index, int minWidth, CancellationToken ct)
    {
        var cached = _tiles.Get(level, index, minWidth);
        if (cached is not null) return cached.Hashes;
        var stored = await _store.ReadTileAsync(level, index, ct).ConfigureAwait(false);
        if (stored is null || stored.Length < minWidth * TileCache.HashSize || stored.Length % TileCache.HashSize != 0)
        {
            throw new LogCorruptedException($"tile {level}/{index} is missing or holds fewer than {minWidth} hashes");
        }
        _tiles.AddFromStore(new StoredTile(level, index, stored));
        return stored;
    }
}
