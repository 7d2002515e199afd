using System.Diagnostics;
using PrivateSigstore.Core.Merkle;

namespace PrivateSigstore.Log;

public sealed partial class TransparencyLog
{
    private async Task SequenceLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Pending>(_options.BatchMaxSize);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            Drain(batch);
            if (batch.Count < _options.BatchMaxSize && _options.BatchMaxAge > TimeSpan.Zero)
            {
                // Let the batch fill for at most BatchMaxAge after its first entry arrived.
                await Task.Delay(_options.BatchMaxAge, _time).ConfigureAwait(false);
                Drain(batch);
            }
            if (batch.Count == 0) continue;
            Interlocked.Add(ref _outstanding, -batch.Count);
            await _writeLock.WaitAsync().ConfigureAwait(false);
            try
            {
                await WriteBatchAsync(batch).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogMessages.BatchFailed(_logger, ex, batch.Count);
                // Nothing of this batch was committed: every waiter learns its entry was not accepted.
                var failure = ex is LogFrozenException or LogPushbackException ? ex : new LogPushbackException("the log could not durably store the batch; retry later", ex);
                foreach (var p in batch) p.Completion.TrySetException(failure);
            }
            finally
            {
                _writeLock.Release();
            }
        }
    }

    private void Drain(List<Pending> batch)
    {
        while (batch.Count < _options.BatchMaxSize && _queue.Reader.TryRead(out var p)) batch.Add(p);
    }

    private async Task WriteBatchAsync(List<Pending> batch)
    {
        var started = Stopwatch.GetTimestamp();
        var ct = _stop.Token;
        var tx = await _store.BeginAppendAsync(ct).ConfigureAwait(false);
        await using (tx.ConfigureAwait(false))
        {
            // Another process sharing the store may have appended since we last looked: follow it first.
            if (tx.State is { } committed && committed.Size != _state.Size)
            {
                await CatchUpAsync(committed, ct).ConfigureAwait(false);
            }
            if (_options.ReadOnly || tx.State?.Frozen == true) throw new LogFrozenException();

            var state = _state;
            var accepted = new List<Pending>(batch.Count);
            var duplicates = new List<(Pending Entry, AppendResult Result)>();
            var inBatch = new Dictionary<HashKey, ulong>(batch.Count);
            foreach (var p in batch)
            {
                // Dedupe against the committed log (exact: candidates are confirmed by leaf hash), then within the batch.
                if (await FindCommittedAsync(p.Hash, ct).ConfigureAwait(false) is { } dup)
                {
                    duplicates.Add((p, dup));
                }
                else if (inBatch.TryGetValue(new HashKey(p.Hash), out var idx))
                {
                    duplicates.Add((p, new AppendResult(idx, true, 0)));
                }
                else
                {
                    inBatch[new HashKey(p.Hash)] = state.Size + (ulong)accepted.Count;
                    accepted.Add(p);
                }
            }
            if (accepted.Count == 0)
            {
                foreach (var (p, r) in duplicates) p.Completion.TrySetResult(r);
                return;
            }

            // Integrate: extend a copy of the compact range; every new node at a tile level lands in a tile.
            var edges = await LoadRightEdgesAsync(state.Size, ct).ConfigureAwait(false);
            var writer = new TileWriter(edges);
            var range = state.Range.Clone();
            // Level-by-level batch hashing (multi-buffer SHA-256) rather than one append at a time.
            var hashes = new byte[accepted.Count * Rfc6962.HashSize];
            for (var i = 0; i < accepted.Count; i++) accepted[i].Hash.CopyTo(hashes, i * Rfc6962.HashSize);
            range.AppendMany(hashes, writer.Visit);
            var root = range.GetRootHash();
            var newSize = state.Size + (ulong)accepted.Count;
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var checkpoint = CheckpointText.Sign(CheckpointText.Body(_options.Origin, newSize, root), _signers);
            var tiles = writer.Tiles();
            // Entries are stored in segments of at most MaxSegmentEntries, so a random entry read fetches a small row.
            var segments = new List<EntrySegment>((accepted.Count + MaxSegmentEntries - 1) / MaxSegmentEntries);
            for (var first = 0; first < accepted.Count; first += MaxSegmentEntries)
            {
                var n = Math.Min(MaxSegmentEntries, accepted.Count - first);
                var leaves = new List<ReadOnlyMemory<byte>>(n);
                for (var i = first; i < first + n; i++) leaves.Add(accepted[i].Leaf);
                segments.Add(new EntrySegment(state.Size + (ulong)first, n, now, SegmentCodec.Encode(leaves)));
            }
            var newState = new StoredLogState(newSize, root, range.Hashes, checkpoint, now, false);

            foreach (var segment in segments) await tx.WriteSegmentAsync(segment, ct).ConfigureAwait(false);
            await tx.WriteTilesAsync(tiles, ct).ConfigureAwait(false);
            await tx.WriteStateAsync(newState, ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);

            // Publish: only after the commit is durable.
            _tiles.Publish(tiles);
            foreach (var segment in segments) _segments.Add(segment);
            var keys = new ulong[accepted.Count];
            for (var i = 0; i < keys.Length; i++) keys[i] = LeafIndex.KeyOf(accepted[i].Hash);
            _leafIndex.AddRange(keys, state.Size);
            _state = new State(newSize, root, range, checkpoint, now, false);
            _metrics.Batch(accepted.Count, Stopwatch.GetElapsedTime(started));
            for (var i = 0; i < accepted.Count; i++)
            {
                accepted[i].Completion.TrySetResult(new AppendResult(state.Size + (ulong)i, false, now));
            }
            foreach (var (p, r) in duplicates)
            {
                p.Completion.TrySetResult(r.TimestampMs == 0 ? r with { TimestampMs = now } : r);
            }
        }
    }

    /// <summary>The partial right-edge tile of each tile level at <paramref name="size"/>, from cache or store.</summary>
    private async Task<Dictionary<int, StoredTile>> LoadRightEdgesAsync(ulong size, CancellationToken ct)
    {
        var edges = new Dictionary<int, StoredTile>();
        for (var level = 0; (size >> (8 * level)) > 0; level++)
        {
            var nodes = size >> (8 * level);
            var width = (int)(nodes & 0xff);
            if (width == 0) continue;
            var index = nodes >> 8;
            var tile = _tiles.RightEdge(level);
            if (tile is null || tile.Index != index || tile.Hashes.Length != width * TileCache.HashSize)
            {
                var hashes = await _store.ReadTileAsync(level, index, ct).ConfigureAwait(false);
                if (hashes is null || hashes.Length < width * TileCache.HashSize)
                {
                    throw new LogCorruptedException($"tile {level}/{index} is missing or shorter than {width} hashes at tree size {size}");
                }
                tile = new StoredTile(level, index, hashes.AsSpan(0, width * TileCache.HashSize).ToArray());
            }
            edges[level] = tile;
        }
        return edges;
    }

    private readonly record struct HashKey(byte[] Hash)
    {
        public bool Equals(HashKey other) => Hash.AsSpan().SequenceEqual(other.Hash);

        public override int GetHashCode() => BitConverter.ToInt32(Hash, 0);
    }
}
