using Microsoft.EntityFrameworkCore;

namespace PrivateSigstore.Log.Storage;

/// <summary>
/// The schema of the log stores. EF Core owns it and its migrations (one set per provider:
/// <see cref="SqliteLogDbContext"/> and <see cref="PostgresLogDbContext"/>); the engine's hot path reads and
/// writes these tables with ADO.NET. Several logs can share one database: every row carries its log's id.
/// </summary>
public abstract class LogDbContext : DbContext
{
    /// <summary>Creates the context.</summary>
    protected LogDbContext(DbContextOptions options) : base(options) { }

    /// <summary>One row per log: the committed state.</summary>
    public DbSet<LogStateRow> LogStates => Set<LogStateRow>();

    /// <summary>Entry segments (one per committed batch).</summary>
    public DbSet<EntrySegmentRow> EntrySegments => Set<EntrySegmentRow>();

    /// <summary>tlog-tiles hash tiles.</summary>
    public DbSet<TileRow> Tiles => Set<TileRow>();

    /// <summary>Every checkpoint the log published.</summary>
    public DbSet<CheckpointRow> Checkpoints => Set<CheckpointRow>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.Entity<LogStateRow>(e =>
        {
            e.ToTable("log_state");
            e.HasKey(x => x.LogId);
            e.Property(x => x.LogId).HasColumnName("log_id").HasMaxLength(64);
            e.Property(x => x.Size).HasColumnName("size");
            e.Property(x => x.RootHash).HasColumnName("root_hash");
            e.Property(x => x.CompactRange).HasColumnName("compact_range");
            e.Property(x => x.Checkpoint).HasColumnName("checkpoint");
            e.Property(x => x.TimestampMs).HasColumnName("timestamp_ms");
            e.Property(x => x.Frozen).HasColumnName("frozen");
        });
        modelBuilder.Entity<EntrySegmentRow>(e =>
        {
            e.ToTable("entry_segments");
            e.HasKey(x => new { x.LogId, x.Start });
            e.Property(x => x.LogId).HasColumnName("log_id").HasMaxLength(64);
            e.Property(x => x.Start).HasColumnName("start_index");
            e.Property(x => x.Count).HasColumnName("entry_count");
            e.Property(x => x.TimestampMs).HasColumnName("timestamp_ms");
            e.Property(x => x.Data).HasColumnName("data");
        });
        modelBuilder.Entity<TileRow>(e =>
        {
            e.ToTable("tiles");
            e.HasKey(x => new { x.LogId, x.Level, x.Index });
            e.Property(x => x.LogId).HasColumnName("log_id").HasMaxLength(64);
            e.Property(x => x.Level).HasColumnName("level");
            e.Property(x => x.Index).HasColumnName("tile_index");
            e.Property(x => x.Hashes).HasColumnName("hashes");
        });
        modelBuilder.Entity<CheckpointRow>(e =>
        {
            e.ToTable("checkpoints");
            e.HasKey(x => new { x.LogId, x.Size });
            e.Property(x => x.LogId).HasColumnName("log_id").HasMaxLength(64);
            e.Property(x => x.Size).HasColumnName("size");
            e.Property(x => x.RootHash).HasColumnName("root_hash");
            e.Property(x => x.Note).HasColumnName("note");
            e.Property(x => x.TimestampMs).HasColumnName("timestamp_ms");
        });
    }
}

/// <summary>The committed state of one log.</summary>
public sealed class LogStateRow
{
    /// <summary>Log id.</summary>
    public string LogId { get; set; } = "";
    /// <summary>Tree size.</summary>
    public long Size { get; set; }
    /// <summary>Root hash.</summary>
    public byte[] RootHash { get; set; } = [];
    /// <summary>Compact range hashes, concatenated (32 bytes each).</summary>
    public byte[] CompactRange { get; set; } = [];
    /// <summary>Signed checkpoint.</summary>
    public string Checkpoint { get; set; } = "";
    /// <summary>Commit time (Unix ms).</summary>
    public long TimestampMs { get; set; }
    /// <summary>Read-only shard.</summary>
    public bool Frozen { get; set; }
}

/// <summary>A committed batch of entries.</summary>
public sealed class EntrySegmentRow
{
    /// <summary>Log id.</summary>
    public string LogId { get; set; } = "";
    /// <summary>Index of the first entry.</summary>
    public long Start { get; set; }
    /// <summary>Number of entries.</summary>
    public int Count { get; set; }
    /// <summary>Integration time (Unix ms).</summary>
    public long TimestampMs { get; set; }
    /// <summary>Entries: uint32 big-endian length || bytes, repeated.</summary>
    public byte[] Data { get; set; } = [];
}

/// <summary>A hash tile (C2SP tlog-tiles).</summary>
public sealed class TileRow
{
    /// <summary>Log id.</summary>
    public string LogId { get; set; } = "";
    /// <summary>Tile level.</summary>
    public int Level { get; set; }
    /// <summary>Tile index.</summary>
    public long Index { get; set; }
    /// <summary>Concatenated 32-byte hashes (width = length / 32).</summary>
    public byte[] Hashes { get; set; } = [];
}

/// <summary>A published checkpoint.</summary>
public sealed class CheckpointRow
{
    /// <summary>Log id.</summary>
    public string LogId { get; set; } = "";
    /// <summary>Tree size.</summary>
    public long Size { get; set; }
    /// <summary>Root hash.</summary>
    public byte[] RootHash { get; set; } = [];
    /// <summary>Signed note.</summary>
    public string Note { get; set; } = "";
    /// <summary>Publication time (Unix ms).</summary>
    public long TimestampMs { get; set; }
}
