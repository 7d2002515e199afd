using System.Numerics;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Log;

public sealed partial class TransparencyLog
{
    /// <summary>
    /// Calls <see cref="RefreshAsync"/> every <paramref name="interval"/> until cancelled: the loop of every replica that
    /// follows a shared store (Rekor v1 and v2, the CT log). A failed refresh (the store unreachable for a moment; /readyz
    /// reports it) goes to <paramref name="failed"/> and is retried on the next tick.
    /// </summary>
    public static async Task FollowAsync(Func<TransparencyLog> log, TimeSpan interval, Action<Exception> failed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(failed);
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                await log().RefreshAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failed(e);
            }
        }
    }

    /// <summary>
    /// Follows appends made by other processes sharing the store (for read replicas and standby writers):
    /// loads the newer committed state and indexes its new leaves.
    /// </summary>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        var stored = await _store.ReadStateAsync(cancellationToken).ConfigureAwait(false);
        if (stored is null || (stored.Size == _state.Size && stored.Frozen == _state.Frozen)) return;
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (stored.Size > _state.Size) await CatchUpAsync(stored, cancellationToken).ConfigureAwait(false);
            else if (stored.Size == _state.Size) _state = _state with { Frozen = stored.Frozen };
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task PublishEmptyAsync(CancellationToken ct)
    {
        var tx = await _store.BeginAppendAsync(ct).ConfigureAwait(false);
        await using (tx.ConfigureAwait(false))
        {
            if (tx.State is { } raced)
            {
                await LoadAsync(raced, ct).ConfigureAwait(false);
                return;
            }
            var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            var root = Rfc6962.EmptyRoot.ToArray();
            var checkpoint = CheckpointText.Sign(CheckpointText.Body(_options.Origin, 0, root), _signers);
            await tx.WriteStateAsync(new StoredLogState(0, root, [], checkpoint, now, false), ct).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
            _state = new State(0, root, CompactRange.Empty(), checkpoint, now, false);
        }
    }

    /// <summary>Loads a committed state after checking that the store agrees with itself.</summary>
    private async Task LoadAsync(StoredLogState stored, CancellationToken ct)
    {
        var range = CheckState(stored);
        CheckCheckpoint(stored);

        // Every node of the compact range must be readable from the tiles and equal the stored node: this finds
        // a missing or damaged right-edge tile without reading the whole tree.
        var start = 0UL;
        for (var i = 0; i < range.Hashes.Count; i++)
        {
            var level = 63 - BitOperations.LeadingZeroCount(stored.Size - start);
            var node = new NodeId(level, start >> level);
            var fromTiles = await GetNodeAsync(node, ct).ConfigureAwait(false);
            if (!fromTiles.AsSpan().SequenceEqual(range.Hashes[i]))
            {
                throw new LogCorruptedException($"tiles disagree with the committed tree at node {level}/{node.Index} (size {stored.Size})");
            }
            start += 1UL << level;
        }

        // Every acknowledged entry must be in a segment, and segments must cover exactly [0, size).
        var summary = await _store.SummarizeSegmentsAsync(ct).ConfigureAwait(false);
        if (summary.Entries != stored.Size || summary.End != stored.Size)
        {
            throw new LogCorruptedException($"stored segments hold {summary.Entries} entries ending at {summary.End}, but the tree size is {stored.Size} (torn or missing batch)");
        }
        await IndexLeavesAsync(0, stored.Size, ct).ConfigureAwait(false);
        await CheckLastSegmentAsync(stored.Size, ct).ConfigureAwait(false);
        _state = new State(stored.Size, stored.RootHash, range, SignedByCurrentKeys(stored.Checkpoint), stored.TimestampMs, stored.Frozen);
    }

    /// <summary>
    /// After a key rotation the stored checkpoint carries the retired key's signature: serve the same checkpoint text
    /// signed by the current signers instead (in memory; the next batch stores a fresh checkpoint), so that readers and
    /// witnesses never see a retired key sign the head. A checkpoint every current signer already signed is kept as stored.
    /// </summary>
    private string SignedByCurrentKeys(string checkpoint)
    {
        SignedNote note;
        try
        {
            note = SignedNote.Parse(checkpoint);
        }
        catch (WireFormatException ex)
        {
            throw new LogCorruptedException($"the stored checkpoint is not a signed note: {ex.Reason}", ex);
        }

        return _signers.All(s => note.Signatures.Any(n => n.Name == s.Name && n.KeyHash == s.KeyHash))
            ? checkpoint
            : SignedNote.Sign(note.Text, [.. _signers]).Serialize();
    }

    private async Task CatchUpAsync(StoredLogState stored, CancellationToken ct)
    {
        if (stored.Size < _state.Size) throw new LogCorruptedException($"the store's tree size went back from {_state.Size} to {stored.Size}");
        var range = CheckState(stored);
        _tiles.ResetRightEdge();
        await IndexLeavesAsync(_state.Size, stored.Size, ct).ConfigureAwait(false);
        _state = new State(stored.Size, stored.RootHash, range, stored.Checkpoint, stored.TimestampMs, stored.Frozen);
    }

    private static CompactRange CheckState(StoredLogState stored)
    {
        CompactRange range;
        try
        {
            range = new CompactRange(stored.Size, stored.CompactRange);
        }
        catch (WireFormatException ex)
        {
            throw new LogCorruptedException($"the stored compact range is invalid: {ex.Reason}", ex);
        }
        if (!range.GetRootHash().AsSpan().SequenceEqual(stored.RootHash))
        {
            throw new LogCorruptedException($"the stored compact range does not hash to the stored root at size {stored.Size}");
        }
        return range;
    }

    private void CheckCheckpoint(StoredLogState stored)
    {
        var body = CheckpointText.Body(_options.Origin, stored.Size, stored.RootHash);
        if (!stored.Checkpoint.StartsWith(body, StringComparison.Ordinal))
        {
            var firstLine = stored.Checkpoint.Split('\n')[0];
            if (firstLine != _options.Origin)
            {
                throw new InvalidOperationException($"the log was created with origin \"{firstLine}\" but is configured with \"{_options.Origin}\"; the origin of a log cannot change");
            }
            throw new LogCorruptedException($"the stored checkpoint does not match the stored tree at size {stored.Size}");
        }
    }

    /// <summary>Adds the leaves [from, to) to the in-memory leaf index, reading level-0 tiles; a gap is corruption.</summary>
    private async Task IndexLeavesAsync(ulong from, ulong to, CancellationToken ct)
    {
        if (from >= to) return;
        var expected = from >> 8;
        var keys = new ulong[TileCache.TileWidth];
        await foreach (var tile in _store.ReadTilesAsync(0, from >> 8, ct).ConfigureAwait(false))
        {
            if (tile.Index != expected) throw new LogCorruptedException($"level-0 tile {expected} is missing");
            var tileStart = tile.Index << 8;
            if (tileStart >= to) break;
            var width = tile.Hashes.Length / TileCache.HashSize;
            var wanted = (int)Math.Min(TileCache.TileWidth, to - tileStart);
            if (width < wanted) throw new LogCorruptedException($"level-0 tile {tile.Index} holds {width} hashes, expected {wanted}");
            var first = (int)(Math.Max(from, tileStart) - tileStart);
            var n = 0;
            for (var i = first; i < wanted; i++) keys[n++] = LeafIndex.KeyOf(tile.Hashes.AsSpan(i * 32, 32));
            _leafIndex.AddRange(keys.AsSpan(0, n), tileStart + (ulong)first);
            _tiles.AddFromStore(tile);
            expected++;
        }
        if (expected << 8 < to) throw new LogCorruptedException($"level-0 tile {expected} is missing (tree size {to})");
    }

    /// <summary>The newest batch's leaves must hash to the level-0 tile: detects a torn or altered last batch.</summary>
    private async Task CheckLastSegmentAsync(ulong size, CancellationToken ct)
    {
        if (size == 0) return;
        var segment = await _store.ReadSegmentAsync(size - 1, ct).ConfigureAwait(false)
            ?? throw new LogCorruptedException($"no segment holds the last entry {size - 1}");
        var leaves = SegmentCodec.GetAll(segment);
        for (var i = 0; i < leaves.Count; i++)
        {
            var stored = await GetNodeAsync(new NodeId(0, segment.Start + (ulong)i), ct).ConfigureAwait(false);
            if (!Rfc6962.HashLeaf(leaves[i].Span).AsSpan().SequenceEqual(stored))
            {
                throw new LogCorruptedException($"entry {segment.Start + (ulong)i} does not hash to its leaf hash in the tiles");
            }
        }
        _segments.Add(segment);
    }
}
