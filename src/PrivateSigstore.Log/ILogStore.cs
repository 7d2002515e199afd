namespace PrivateSigstore.Log;

/// <summary>
/// The narrow storage contract of the log engine. One store holds one log. Implementations MUST make each
/// <see cref="IAppendTransaction"/> atomic and durable on <see cref="IAppendTransaction.CommitAsync"/>, and MUST
/// serialize append transactions across every process sharing the store (a writer lock held for the
/// transaction's lifetime), so that exactly one writer integrates at a time.
/// </summary>
public interface ILogStore : IAsyncDisposable
{
    /// <summary>Creates or migrates the schema. Safe to call on every start.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Reads the committed state, or null for a log that has never been written.</summary>
    Task<StoredLogState?> ReadStateAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Starts an append transaction, waiting for the store's writer lock. The returned transaction reports the
    /// state as committed at the moment the lock was taken. Disposing without commit rolls everything back.
    /// </summary>
    Task<IAppendTransaction> BeginAppendAsync(CancellationToken cancellationToken);

    /// <summary>Reads the stored hashes of tile (<paramref name="level"/>, <paramref name="index"/>), or null.</summary>
    Task<byte[]?> ReadTileAsync(int level, ulong index, CancellationToken cancellationToken);

    /// <summary>Streams the stored tiles of one level from <paramref name="fromIndex"/> upwards, in index order.</summary>
    IAsyncEnumerable<StoredTile> ReadTilesAsync(int level, ulong fromIndex, CancellationToken cancellationToken);

    /// <summary>Reads the segment (batch) holding entry <paramref name="index"/>, or null.</summary>
    Task<EntrySegment?> ReadSegmentAsync(ulong index, CancellationToken cancellationToken);

    /// <summary>Reads the checkpoint published at exactly <paramref name="size"/>, or null.</summary>
    Task<string?> ReadCheckpointAsync(ulong size, CancellationToken cancellationToken);

    /// <summary>Counts segments and entries, for the start-up integrity check.</summary>
    Task<SegmentSummary> SummarizeSegmentsAsync(CancellationToken cancellationToken);

    /// <summary>Marks the log frozen (read-only) or not, durably.</summary>
    Task SetFrozenAsync(bool frozen, CancellationToken cancellationToken);
}

/// <summary>One append transaction. See <see cref="ILogStore.BeginAppendAsync"/>.</summary>
public interface IAppendTransaction : IAsyncDisposable
{
    /// <summary>The committed state when the writer lock was taken; null for an empty, never-written log.</summary>
    StoredLogState? State { get; }

    /// <summary>Writes a new segment of entries. Segments never overlap and are never rewritten.</summary>
    Task WriteSegmentAsync(EntrySegment segment, CancellationToken cancellationToken);

    /// <summary>Inserts or replaces tiles (a partial tile grows; its existing prefix never changes).</summary>
    Task WriteTilesAsync(IReadOnlyList<StoredTile> tiles, CancellationToken cancellationToken);

    /// <summary>Replaces the log state and records its checkpoint in the checkpoint history.</summary>
    Task WriteStateAsync(StoredLogState state, CancellationToken cancellationToken);

    /// <summary>Commits atomically and durably.</summary>
    Task CommitAsync(CancellationToken cancellationToken);
}

/// <summary>The committed state of a log: tree size, root, compact range, and the signed checkpoint for them.</summary>
/// <param name="Size">Tree size.</param>
/// <param name="RootHash">RFC 6962 root hash at <paramref name="Size"/>.</param>
/// <param name="CompactRange">The compact range [0, Size): roots of the perfect subtrees, largest first.</param>
/// <param name="Checkpoint">The signed checkpoint (C2SP signed note) for this size and root.</param>
/// <param name="TimestampMs">When this state was committed (Unix milliseconds).</param>
/// <param name="Frozen">True when the log accepts no more appends.</param>
public sealed record StoredLogState(ulong Size, byte[] RootHash, IReadOnlyList<byte[]> CompactRange, string Checkpoint, long TimestampMs, bool Frozen);

/// <summary>A tile's stored hashes (<c>Hashes.Length / 32</c> is its width).</summary>
public sealed record StoredTile(int Level, ulong Index, byte[] Hashes);

/// <summary>
/// A batch of consecutive entries stored together: <paramref name="Data"/> is the concatenation of
/// <c>uint32 big-endian length || leaf bytes</c> for each entry (see <see cref="SegmentCodec"/>).
/// </summary>
public sealed record EntrySegment(ulong Start, int Count, long TimestampMs, byte[] Data);

/// <summary>Summary of stored segments used to detect gaps and torn batches.</summary>
public sealed record SegmentSummary(long Segments, ulong Entries, ulong End);
