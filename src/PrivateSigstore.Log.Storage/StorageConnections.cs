using System.Data.Common;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace PrivateSigstore.Log.Storage;

/// <summary>
/// The one connection factory of the storage layer: pooled SQLite connections to one database file, or an Npgsql data
/// source (its pool) for PostgreSQL. Writer connections get the durability settings (SQLite: WAL, <c>synchronous</c>,
/// <c>busy_timeout</c>); EF Core contexts for migrations are configured from the same place.
/// </summary>
public sealed class StorageConnections : IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly NpgsqlDataSource? _dataSource;

    private StorageConnections(StorageProvider provider, string connectionString, NpgsqlDataSource? dataSource)
    {
        Provider = provider;
        _connectionString = connectionString;
        _dataSource = dataSource;
    }

    /// <summary>The provider.</summary>
    public StorageProvider Provider { get; }

    /// <summary>Connections for <paramref name="options"/>; with SQLite, to the file <paramref name="sqliteFile"/> in the data directory.</summary>
    public static StorageConnections Create(StorageOptions options, string sqliteFile)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Provider == StorageProvider.Postgres)
        {
            var cs = options.PostgresConnectionString ?? throw new ArgumentException("a PostgreSQL connection string is required", nameof(options));
            return new StorageConnections(StorageProvider.Postgres, cs, NpgsqlDataSource.Create(cs));
        }
        Directory.CreateDirectory(options.DataDirectory);
        return new StorageConnections(StorageProvider.Sqlite, SqliteConnectionString(Path.Combine(options.DataDirectory, sqliteFile)), null);
    }

    /// <summary>
    /// Connections for a side table whose schema EF Core migrations own: creates them and applies the pending migrations
    /// of the context <paramref name="context"/> makes for the provider.
    /// </summary>
    public static async Task<StorageConnections> OpenMigratedAsync(StorageOptions options, string sqliteFile, Func<StorageConnections, DbContext> context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var connections = Create(options, sqliteFile);
        try
        {
            var db = context(connections);
            await using (db.ConfigureAwait(false))
            {
                await db.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);
            }
            return connections;
        }
        catch
        {
            await connections.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The pooled SQLite connection string for a database file (its directory must exist).</summary>
    internal static string SqliteConnectionString(string path) => new SqliteConnectionStringBuilder
    {
        DataSource = Path.GetFullPath(path),
        Mode = SqliteOpenMode.ReadWriteCreate,
        Pooling = true,
        DefaultTimeout = 30,
    }.ToString();

    /// <summary>A new, closed connection (readers).</summary>
    public DbConnection CreateConnection() => _dataSource is not null ? _dataSource.CreateConnection() : new SqliteConnection(_connectionString);

    /// <summary>An open connection for a long-lived writer, with the durability settings applied.</summary>
    public async Task<DbConnection> OpenWriterAsync(SqliteDurability durability, CancellationToken cancellationToken = default)
    {
        var conn = CreateConnection();
        await conn.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (Provider == StorageProvider.Sqlite)
        {
            await ExecuteAsync(conn, Pragmas(durability), cancellationToken).ConfigureAwait(false);
        }
        return conn;
    }

    /// <summary>The PRAGMAs of a SQLite writer connection.</summary>
    internal static string Pragmas(SqliteDurability durability) =>
        $"PRAGMA journal_mode=WAL; PRAGMA synchronous={(durability == SqliteDurability.Full ? "FULL" : "NORMAL")}; PRAGMA busy_timeout=30000;";

    /// <summary>Configures an EF Core context (migrations) for this database.</summary>
    public DbContextOptions<TContext> ContextOptions<TContext>() where TContext : DbContext =>
        Provider == StorageProvider.Postgres
            ? new DbContextOptionsBuilder<TContext>().UseNpgsql(_connectionString).Options
            : new DbContextOptionsBuilder<TContext>().UseSqlite(_connectionString).Options;

    /// <summary>Runs one statement on an open connection.</summary>
    internal static async Task ExecuteAsync(DbConnection conn, string sql, CancellationToken cancellationToken)
    {
        var cmd = conn.CreateCommand();
        await using (cmd.ConfigureAwait(false))
        {
#pragma warning disable CA2100 // Constant PRAGMA text.
            cmd.CommandText = sql;
#pragma warning restore CA2100
            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Adds a parameter to a command.</summary>
    internal static DbParameter AddParameter(DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
        return p;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_dataSource is not null) await _dataSource.DisposeAsync().ConfigureAwait(false);
    }
}
