using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace PrivateSigstore.Log.Storage;

/// <summary>The search index schema (lookup key → entry id), owned by EF Core migrations per provider.</summary>
public abstract class RekorIndexDbContext : DbContext
{
    /// <summary>Creates the context.</summary>
    protected RekorIndexDbContext(DbContextOptions options) : base(options) { }

    /// <summary>Index rows.</summary>
    public DbSet<RekorIndexRow> IndexRows => Set<RekorIndexRow>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        modelBuilder.Entity<RekorIndexRow>(e =>
        {
            e.ToTable("rekor_index");
            e.HasKey(x => new { x.LookupKey, x.EntryId });
            e.Property(x => x.LookupKey).HasColumnName("lookup_key").HasMaxLength(512);
            e.Property(x => x.EntryId).HasColumnName("entry_id").HasMaxLength(80);
        });
    }
}

/// <summary>One (lookup key, entry id) pair.</summary>
public sealed class RekorIndexRow
{
    /// <summary>Lowercased lookup key (sha256:&lt;hex&gt;, key hash, email, subject).</summary>
    public string LookupKey { get; set; } = "";

    /// <summary>80-hex entry id.</summary>
    public string EntryId { get; set; } = "";
}

/// <summary>SQLite index schema.</summary>
public sealed class SqliteRekorIndexDbContext(DbContextOptions<SqliteRekorIndexDbContext> options) : RekorIndexDbContext(options);

/// <summary>PostgreSQL index schema.</summary>
public sealed class PostgresRekorIndexDbContext(DbContextOptions<PostgresRekorIndexDbContext> options) : RekorIndexDbContext(options);

/// <summary>Design-time factory for the SQLite migrations.</summary>
public sealed class SqliteRekorIndexDbContextFactory : IDesignTimeDbContextFactory<SqliteRekorIndexDbContext>
{
    /// <inheritdoc />
    public SqliteRekorIndexDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteRekorIndexDbContext>().UseSqlite("Data Source=design.db").Options);
}

/// <summary>Design-time factory for the PostgreSQL migrations.</summary>
public sealed class PostgresRekorIndexDbContextFactory : IDesignTimeDbContextFactory<PostgresRekorIndexDbContext>
{
    /// <inheritdoc />
    public PostgresRekorIndexDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresRekorIndexDbContext>().UseNpgsql("Host=127.0.0.1;Database=design").Options);
}
