using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace PrivateSigstore.Log.Storage;

/// <summary>The extra_data side table (entry identity → first timestamp + chain), owned by EF Core migrations per provider.</summary>
public abstract class CtEntryDbContext : DbContext
{
    /// <summary>Creates the context.</summary>
    protected CtEntryDbContext(DbContextOptions options) : base(options) { }

    /// <summary>Entry rows.</summary>
    public DbSet<CtEntryRow> Entries => Set<CtEntryRow>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.Entity<CtEntryRow>(e =>
        {
            e.ToTable("ct_entries");
            e.HasKey(x => new { x.LogId, x.IdentityHash });
            e.Property(x => x.LogId).HasColumnName("log_id").HasMaxLength(128);
            e.Property(x => x.IdentityHash).HasColumnName("identity_hash").HasMaxLength(32);
            e.Property(x => x.TimestampMs).HasColumnName("timestamp_ms");
            e.Property(x => x.ExtraData).HasColumnName("extra_data");
        });
    }
}

/// <summary>One submitted entry: its identity (the CT log's AcceptedChain.Identity), its SCT timestamp and its extra_data.</summary>
public sealed class CtEntryRow
{
    /// <summary>The CT log's id in the store.</summary>
    public string LogId { get; set; } = "";

    /// <summary>SHA-256 of the Merkle leaf without its timestamp.</summary>
    public byte[] IdentityHash { get; set; } = [];

    /// <summary>The SCT / Merkle leaf timestamp (Unix milliseconds) first given to this entry.</summary>
    public long TimestampMs { get; set; }

    /// <summary>The RFC 6962 §4.6 extra_data.</summary>
    public byte[] ExtraData { get; set; } = [];
}

/// <summary>SQLite schema.</summary>
public sealed class SqliteCtEntryDbContext(DbContextOptions<SqliteCtEntryDbContext> options) : CtEntryDbContext(options);

/// <summary>PostgreSQL schema.</summary>
public sealed class PostgresCtEntryDbContext(DbContextOptions<PostgresCtEntryDbContext> options) : CtEntryDbContext(options);

/// <summary>Design-time factory for the SQLite migrations.</summary>
public sealed class SqliteCtEntryDbContextFactory : IDesignTimeDbContextFactory<SqliteCtEntryDbContext>
{
    /// <inheritdoc />
    public SqliteCtEntryDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteCtEntryDbContext>().UseSqlite("Data Source=design.db").Options);
}

/// <summary>Design-time factory for the PostgreSQL migrations.</summary>
public sealed class PostgresCtEntryDbContextFactory : IDesignTimeDbContextFactory<PostgresCtEntryDbContext>
{
    /// <inheritdoc />
    public PostgresCtEntryDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresCtEntryDbContext>().UseNpgsql("Host=127.0.0.1;Database=design").Options);
}
