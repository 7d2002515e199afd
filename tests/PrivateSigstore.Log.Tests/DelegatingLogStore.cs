namespace PrivateSigstore.Log.Tests;

/// <summary>Forwards every call to an inner store; test decorators override only what they observe or hold.</summary>
internal abstract class DelegatingLogStore(ILogStore inner) : ILogStore
{
    protected ILogStore Inner { get; } = inner;

    public virtual Task InitializeAsync(CancellationToken cancellationToken) => Inner.InitializeAsync(cancellationToken);
    public virtual Task<StoredLogState?> ReadStateAsync(CancellationToken cancellationToken) => Inner.ReadStateAsync(cancellationToken);
    public virtual Task<IAppendTransaction> BeginAppendAsync(CancellationToken cancellationToken) => Inner.BeginAppendAsync(cancellationToken);
    public virtual Task<byte[]?> ReadTileAsync(int level, ulong index, CancellationToken cancellationToken) => Inner.ReadTileAsync(level, index, cancellationToken);
    public virtual IAsyncEnumerable<StoredTile> ReadTilesAsync(int level, ulong fromIndex, CancellationToken cancellationToken) => Inner.ReadTilesAsync(level, fromIndex, cancellationToken);
    public virtual Task<EntrySegment?> ReadSegmentAsync(ulong index, CancellationToken cancellationToken) => Inner.ReadSegmentAsync(index, cancellationToken);
    public virtual Task<string?> ReadCheckpointAsync(ulong size, CancellationToken cancellationToken) => Inner.ReadCheckpointAsync(size, cancellationToken);
    public virtual Task<SegmentSummary> SummarizeSegmentsAsync(CancellationToken cancellationToken) => Inner.SummarizeSegmentsAsync(cancellationToken);
    public virtual Task SetFrozenAsync(bool frozen, CancellationToken cancellationToken) => Inner.SetFrozenAsync(frozen, cancellationToken);
    public virtual ValueTask DisposeAsync() => Inner.DisposeAsync();
}
