using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Log;

/// <summary>
/// An append-only RFC 6962 Merkle log over an <see cref="ILogStore"/>.
/// <para>
/// Appends are queued and sequenced in batches. One batch is one storage transaction that writes the entries,
/// the tiles the batch changes, the new compact range and a newly signed checkpoint. So when
/// <see cref="AddAsync"/> returns, the entry is durably sequenced <em>and</em> integrated: an inclusion proof
/// for it can be served at once. A crash at any moment leaves the store at the last committed batch.
/// </para>
/// </summary>
public sealed partial class TransparencyLog : IAsyncDisposable
{
    private readonly ILogStore _store;
    private readonly LogOptions _options;
    private readonly IReadOnlyList<INoteSigner> _signers;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<Pending> _queue;
    private readonly LeafIndex _leafIndex = new();
    private readonly TileCache _tiles;
    private readonly SegmentCache _segments;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly LogMetrics _metrics;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<NodeId, byte[]> _computedNodes = new();
    private const int MaxComputedNodes = 1 << 18;

    /// <summary>Most entries per stored segment (a batch is split into several): bounds the bytes read per entry read.</summary>
    internal const int MaxSegmentEntries = 64;
    private int _computedNodeCount;
    private Task _sequencer = Task.CompletedTask;
    private int _outstanding;

    // Published state: replaced (never mutated) after each commit.
    private volatile State _state;

    private TransparencyLog(ILogStore store, LogOptions options, IReadOnlyList<INoteSigner> signers, TimeProvider time, ILogger logger)
    {
        _store = store;
        _options = options;
        _signers = signers;
        _time = time;
        _logger = logger;
        _tiles = new TileCache(options.TileCacheSize);
        _segments = new SegmentCache(options.SegmentCacheSize);
        _queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(options.MaxOutstanding)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _state = State.Empty;
        _metrics = new LogMetrics(options.Origin, () => Volatile.Read(ref _outstanding), () => (long)_state.Size);
    }

    /// <summary>
    /// Opens the log: migrates the schema, loads and checks the committed state (a missing tile, a torn batch or a
    /// checkpoint that does not match the tree throws <see cref="LogCorruptedException"/>), rebuilds the in-memory
    /// leaf index from the level-0 tiles, publishes a checkpoint for an empty log, and starts sequencing.
    /// </summary>
    public static async Task<TransparencyLog> OpenAsync(
        ILogStore store, LogOptions options, IReadOnlyList<INoteSigner> signers,
        TimeProvider? timeProvider = null, ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(signers);
        options.Validate();
        if (signers.Count == 0) throw new ArgumentException("at least one checkpoint signer is required", nameof(signers));
        var log = new TransparencyLog(store, options, signers, timeProvider ?? TimeProvider.System, logger ?? NullLogger.Instance);
        await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        var sw = Stopwatch.StartNew();
        var stored = await store.ReadStateAsync(cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            await log.PublishEmptyAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await log.LoadAsync(stored, cancellationToken).ConfigureAwait(false);
        }
        LogMessages.Opened(log._logger, options.Origin, log._state.Size, sw.ElapsedMilliseconds);
        log._sequencer = Task.Run(log.SequenceLoopAsync, CancellationToken.None);
        return log;
    }

    /// <summary>The checkpoint origin of this log.</summary>
    public string Origin => _options.Origin;

    /// <summary>The current (published) tree size.</summary>
    public ulong Size => _state.Size;

    /// <summary>True when the log accepts no appends.</summary>
    public bool IsFrozen => _options.ReadOnly || _state.Frozen;

    /// <summary>The latest published checkpoint.</summary>
    public LogCheckpoint LatestCheckpoint
    {
        get
        {
            var s = _state;
            return new LogCheckpoint(s.Size, s.Root, s.Checkpoint, s.TimestampMs);
        }
    }

    /// <summary>
    /// Appends a leaf. Returns once the entry is durably sequenced and integrated (covered by the published
    /// checkpoint), with its index; or, when an equal leaf is already in the log, that entry's index with
    /// <see cref="AppendResult.Duplicate"/> set.
    /// </summary>
    /// <exception cref="InvalidEntryException">The leaf is empty or larger than <see cref="LogOptions.MaxLeafSize"/>.</exception>
    /// <exception cref="LogPushbackException">Too many entries are waiting; nothing was accepted.</exception>
    /// <exception cref="LogFrozenException">The log is read-only.</exception>
    public async ValueTask<AppendResult> AddAsync(ReadOnlyMemory<byte> leaf, CancellationToken cancellationToken = default)
    {
        if (IsFrozen) throw new LogFrozenException();
        // Entries are bounded so that a batch and a tile bundle stay bounded (tessera DefaultEntrySizeLimit).
        if (leaf.Length == 0) throw new InvalidEntryException("empty leaf");
        if (leaf.Length > _options.MaxLeafSize) throw new InvalidEntryException($"leaf of {leaf.Length} bytes exceeds the limit of {_options.MaxLeafSize} bytes");
        var started = Stopwatch.GetTimestamp();
        var hash = Rfc6962.HashLeaf(leaf.Span);

        var pending = new Pending(leaf.ToArray(), hash);
        if (Interlocked.Increment(ref _outstanding) > _options.MaxOutstanding || !_queue.Writer.TryWrite(pending))
        {
            Interlocked.Decrement(ref _outstanding);
            _metrics.Pushback();
            throw new LogPushbackException($"the log has {_options.MaxOutstanding} entries waiting to be sequenced; retry later", TimeSpan.FromSeconds(1));
        }
        var result = await pending.Completion.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        _metrics.Appended(Stopwatch.GetElapsedTime(started), result.Duplicate);
        return result;
    }

    /// <summary>Completes when <paramref name="index"/> is covered by the published checkpoint.</summary>
    public async Task WaitForIntegrationAsync(ulong index, CancellationToken cancellationToken = default)
    {
        while (index >= _state.Size)
        {
            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Marks the log frozen: it keeps serving reads and its last checkpoint, and refuses appends.</summary>
    public async Task FreezeAsync(CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _store.SetFrozenAsync(true, cancellationToken).ConfigureAwait(false);
            _state = _state with { Frozen = true };
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Stops sequencing: queued entries are still written (no torn batch), new appends are refused.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        try
        {
            await _sequencer.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        _stop.Dispose();
        _writeLock.Dispose();
        _metrics.Dispose();
    }

    private sealed class Pending(byte[] leaf, byte[] hash)
    {
        public byte[] Leaf { get; } = leaf;
        public byte[] Hash { get; } = hash;
        public TaskCompletionSource<AppendResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private sealed record State(ulong Size, byte[] Root, CompactRange Range, string Checkpoint, long TimestampMs, bool Frozen)
    {
        public static readonly State Empty = new(0, Rfc6962.EmptyRoot.ToArray(), CompactRange.Empty(), "", 0, false);
    }
}
