using System.Threading.Channels;

namespace PrivateSigstore.Log.Storage;

/// <summary>
/// Group commit for side tables: items queue on a channel; one writer takes whatever queued while the previous batch was
/// being written (up to <c>maxBatch</c>) and writes it in one transaction. Each item's task completes with its result
/// once its batch is committed, or faults when the batch fails. Bounded queues may drop instead of waiting
/// (<see cref="TryEnqueue"/>), for writes off the hot path such as a search index.
/// </summary>
/// <typeparam name="TItem">What is written.</typeparam>
/// <typeparam name="TResult">What a written item yields.</typeparam>
public sealed class GroupCommitter<TItem, TResult> : IAsyncDisposable
{
    /// <summary>Writes one batch in one transaction and returns one result per item, in order.</summary>
    public delegate Task<IReadOnlyList<TResult>> BatchWriter(IReadOnlyList<TItem> batch, CancellationToken cancellationToken);

    private readonly Channel<Pending> _queue;
    private readonly BatchWriter _write;
    private readonly Action<Exception, int> _onFailure;
    private readonly int _maxBatch;
    private readonly Task _writer;

    /// <summary>Starts the writer.</summary>
    /// <param name="write">Writes a batch.</param>
    /// <param name="onFailure">Told about a failed batch (logging); its items' tasks fault.</param>
    /// <param name="maxBatch">Most items per transaction.</param>
    /// <param name="capacity">Queue bound (null: unbounded). When full, <see cref="TryEnqueue"/> returns false.</param>
    public GroupCommitter(BatchWriter write, Action<Exception, int> onFailure, int maxBatch, int? capacity = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        _write = write;
        _onFailure = onFailure;
        _maxBatch = maxBatch;
        _queue = capacity is { } c
            ? Channel.CreateBounded<Pending>(new BoundedChannelOptions(c) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite })
            : Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
        _writer = Task.Run(WriteLoopAsync, CancellationToken.None);
    }

    /// <summary>Queues an item and completes with its result once its batch is committed.</summary>
    public async Task<TResult> EnqueueAsync(TItem item, CancellationToken cancellationToken)
    {
        var pending = new Pending(item, new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(pending), this);
        return await pending.Completion!.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Queues an item without waiting for it; false when the (bounded) queue is full or closed.</summary>
    public bool TryEnqueue(TItem item) => _queue.Writer.TryWrite(new Pending(item, null));

    /// <summary>Completes when everything queued so far is written.</summary>
    public async Task FlushAsync(CancellationToken cancellationToken)
    {
        var marker = new TaskCompletionSource<TResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_queue.Writer.TryWrite(new Pending(default!, marker, IsMarker: true)))
        {
            while (_queue.Reader.Count > 0) await Task.Delay(10, cancellationToken).ConfigureAwait(false);
            return;
        }
        await marker.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(_maxBatch);
        var items = new List<TItem>(_maxBatch);
        var markers = new List<Pending>();
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            items.Clear();
            markers.Clear();
            while (batch.Count < _maxBatch && _queue.Reader.TryRead(out var p))
            {
                if (p.IsMarker)
                {
                    markers.Add(p);
                    break;
                }
                batch.Add(p);
                items.Add(p.Item);
            }
            if (items.Count > 0)
            {
                try
                {
                    var results = await _write(items, CancellationToken.None).ConfigureAwait(false);
                    for (var i = 0; i < batch.Count; i++) batch[i].Completion?.TrySetResult(results[i]);
                }
#pragma warning disable CA1031 // The writer must survive any failure of one batch; its items' callers get the exception.
                catch (Exception ex)
#pragma warning restore CA1031
                {
                    _onFailure(ex, batch.Count);
                    foreach (var p in batch) p.Completion?.TrySetException(ex);
                }
            }
            foreach (var m in markers) m.Completion!.TrySetResult(default!);
        }
    }

    /// <summary>Stops taking items, writes what is queued, and waits for the writer.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    private sealed record Pending(TItem Item, TaskCompletionSource<TResult>? Completion, bool IsMarker = false);
}
