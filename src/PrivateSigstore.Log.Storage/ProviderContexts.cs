using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace PrivateSigstore.Log.Storage;

/// <summary>The log schema on SQLite (migrations in Migrations/Sqlite).</summary>
public sealed class SqliteLogDbContext : LogDbContext
{
    /// <summary>Creates the context.</summary>
    public SqliteLogDbContext(DbContextOptions<SqliteLogDbContext> options) : base(options) { }

    /// <summary>Options for a SQLite connection string.</summary>
    public static DbContextOptions<SqliteLogDbContext> Options(string connectionString) =>
        new DbContextOptionsBuilder<SqliteLogDbContext>().UseSqlite(connectionString).Options;
}

/// <summary>The log schema on PostgreSQL (migrations in Migrations/Postgres).</summary>
public sealed class PostgresLogDbContext : LogDbContext
{
    /// <summary>Creates the context.</summary>
    public PostgresLogDbContext(DbContextOptions<PostgresLogDbContext> options) : base(options) { }

    /// <summary>Options for a PostgreSQL connection string.</summary>
    public static DbContextOptions<PostgresLogDbContext> Options(string connectionString) =>
        new DbContextOptionsBuilder<PostgresLogDbContext>().UseNpgsql(connectionString).Options;
}

/// <summary>Design-time factory (dotnet ef) for the SQLite migrations.</summary>
public sealed class SqliteLogDbContextFactory : IDesignTimeDbContextFactory<SqliteLogDbContext>
{
    /// <inheritdoc />
    public SqliteLogDbContext CreateDbContext(string[] args) => new(SqliteLogDbContext.Options("Data Source=design.db"));
}

/// <summary>Design-time factory (dotnet ef) for the PostgreSQL migrations.</summary>
public sealed class PostgresLogDbContextFactory : IDesignTimeDbContextFactory<PostgresLogDbContext>
{
    /// <inheritdoc />
    public PostgresLogDbContext CreateDbContext(string[] args) => new(PostgresLogDbContext.Options("Host=127.0.0.1;Database=design"));
}
