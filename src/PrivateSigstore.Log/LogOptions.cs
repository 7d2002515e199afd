namespace PrivateSigstore.Log;

/// <summary>Settings of one log. Defaults are documented constants; <see cref="Validate"/> fails closed.</summary>
public sealed class LogOptions
{
    /// <summary>Default largest number of entries sequenced in one batch (one storage transaction).</summary>
    public const int DefaultBatchMaxSize = 1024;

    /// <summary>
    /// Default longest time the first entry of a batch waits for others to join it: zero, i.e. group commit (a batch
    /// takes whatever queued while the previous one was being written). Measured in docs/performance.md: waiting
    /// adds latency at low load and no throughput at high load, where batches fill on their own.
    /// </summary>
    public static readonly TimeSpan DefaultBatchMaxAge = TimeSpan.Zero;

    /// <summary>Default number of entries that may wait for sequencing before appends are pushed back.</summary>
    public const int DefaultMaxOutstanding = 65_536;

    /// <summary>Default largest leaf accepted (64 KiB).</summary>
    public const int DefaultMaxLeafSize = 64 * 1024;

    /// <summary>Checkpoint origin line (C2SP tlog-checkpoint), e.g. "rekor.example.com - 1234" or "log.example.com".</summary>
    public string Origin { get; set; } = "";

    /// <summary>Largest number of entries in one batch.</summary>
    public int BatchMaxSize { get; set; } = DefaultBatchMaxSize;

    /// <summary>
    /// Longest time the first entry of a batch waits for more entries before the batch is written.
    /// Zero means "group commit": a batch takes whatever is queued when the previous one is done.
    /// </summary>
    public TimeSpan BatchMaxAge { get; set; } = DefaultBatchMaxAge;

    /// <summary>Entries waiting to be sequenced before <see cref="LogPushbackException"/> is thrown.</summary>
    public int MaxOutstanding { get; set; } = DefaultMaxOutstanding;

    /// <summary>Largest leaf, in bytes.</summary>
    public int MaxLeafSize { get; set; } = DefaultMaxLeafSize;

    /// <summary>When true the log serves reads only (a frozen shard), whatever the store says.</summary>
    public bool ReadOnly { get; set; }

    /// <summary>Number of complete tiles kept in memory for proof reads.</summary>
    public int TileCacheSize { get; set; } = 4096;

    /// <summary>Number of entry segments (batches) kept in memory for entry reads.</summary>
    public int SegmentCacheSize { get; set; } = 256;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Origin) || Origin.Contains('\n', StringComparison.Ordinal))
        {
            throw new ArgumentException("Log:Origin must be a non-empty single line", nameof(Origin));
        }
        if (BatchMaxSize is < 1 or > 65_536) throw new ArgumentException("Log:BatchMaxSize must be in 1..65536", nameof(BatchMaxSize));
        if (BatchMaxAge < TimeSpan.Zero || BatchMaxAge > TimeSpan.FromSeconds(10)) throw new ArgumentException("Log:BatchMaxAge must be in 0..10s", nameof(BatchMaxAge));
        if (MaxOutstanding < BatchMaxSize) throw new ArgumentException("Log:MaxOutstanding must be at least Log:BatchMaxSize", nameof(MaxOutstanding));
        if (MaxLeafSize is < 1 or > 16 * 1024 * 1024) throw new ArgumentException("Log:MaxLeafSize must be in 1..16 MiB", nameof(MaxLeafSize));
        if (TileCacheSize < 16) throw new ArgumentException("Log:TileCacheSize must be at least 16", nameof(TileCacheSize));
        if (SegmentCacheSize < 1) throw new ArgumentException("Log:SegmentCacheSize must be at least 1", nameof(SegmentCacheSize));
    }
}
