namespace PrivateSigstore.Log;

/// <summary>
/// Rekor's search index (POST /api/v1/index/retrieve): lookup key → entry ids. Keys are written off the append hot
/// path, in batches, after the entry is integrated; upstream documents the index as "may be incomplete". Rows are
/// idempotent, so the index can be rebuilt from the log. Owned by the Rekor personality; implemented by
/// <c>PrivateSigstore.Log.Storage</c> (SQLite or PostgreSQL), so the service never sees a database driver.
/// </summary>
public interface IRekorSearchIndex : IAsyncDisposable
{
    /// <summary>Queues the keys of a new entry; never blocks the append path (a full queue drops, as upstream may).</summary>
    void Enqueue(IReadOnlyList<string> keys, string entryId);

    /// <summary>Entry ids matching all (<paramref name="matchAll"/>) or any of the keys, sorted.</summary>
    Task<IReadOnlyList<string>> SearchAsync(IReadOnlyList<string> keys, bool matchAll, CancellationToken cancellationToken);

    /// <summary>Completes when everything queued so far is written (tests and shutdown).</summary>
    Task FlushAsync(CancellationToken cancellationToken);
}

/// <summary>
/// The CT log's durable chain store (RFC 6962 <c>extra_data</c>), keyed by the entry identity (the leaf minus its
/// timestamp). A row is committed (group commit) before its leaf is appended, and the SCT is signed only after both are
/// durable. Owned by the CT personality; implemented by <c>PrivateSigstore.Log.Storage</c>.
/// </summary>
public interface ICtChainStore : IAsyncDisposable
{
    /// <summary>
    /// Durably records an entry's extra_data under its identity, unless the identity is already recorded, and returns the
    /// timestamp recorded for it (the given one, or the first submission's).
    /// </summary>
    Task<long> RecordAsync(byte[] identity, long timestampMs, byte[] extraData, CancellationToken cancellationToken);

    /// <summary>The extra_data of each identity, or null where none is recorded.</summary>
    Task<byte[]?[]> ReadExtraDataAsync(IReadOnlyList<byte[]> identities, CancellationToken cancellationToken);

    /// <summary>Checks that the store answers (readiness).</summary>
    Task PingAsync(CancellationToken cancellationToken);
}
