using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace PrivateSigstore.Log.Storage;

/// <summary>How hard SQLite syncs a commit to disk (PRAGMA synchronous, in WAL mode).</summary>
public enum SqliteDurability
{
    /// <summary>fsync the WAL on every commit: a committed batch survives power loss (the default).</summary>
    Full,

    /// <summary>fsync only at WAL checkpoints: survives a process crash, may lose the last commits on power loss.</summary>
    Normal,
}

/// <summary>
/// The embedded default store: one SQLite file in WAL mode per log. One process writes at a time (BEGIN
/// IMMEDIATE takes SQLite's write lock, across processes too); readers never block the writer.
/// </summary>
public sealed class SqliteLogStore : SqlLogStore
{
    private readonly string _connectionString;
    private readonly SqliteDurability _durability;
    private readonly SemaphoreSlim _writerGate = new(1, 1);
    private SqliteConnection? _writer;

    /// <summary>Creates a store on the database file <paramref name="path"/> (created with its directory if missing).</summary>
    public SqliteLogStore(string path, string logId = "log", SqliteDurability durability = SqliteDurability.Full) : base(logId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        Path = System.IO.Path.GetFullPath(path);
        _connectionString = StorageConnections.SqliteConnectionString(Path);
        _durability = durability;
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    protected override LogDbContext CreateContext() => new SqliteLogDbContext(SqliteLogDbContext.Options(_connectionString));

    /// <inheritdoc />
    protected override async Task AfterMigrateAsync(CancellationToken cancellationToken)
    {
        var conn = new SqliteConnection(_connectionString);
        await using (conn.ConfigureAwait(false))
        {
            await conn.OpenAsync(cancellationToken).ConfigureAwait(false);
            await StorageConnections.ExecuteAsync(conn, "PRAGMA journal_mode=WAL;", cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    protected override async ValueTask<DbConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        var conn = new SqliteConnection(_connectionString);
        await conn.OpenAsync(cancellationToken).ConfigureAwait(false);
        return conn;
    }

    /// <inheritdoc />
    protected override async ValueTask<(DbConnection Connection, DbTransaction Transaction)> BeginWriterAsync(CancellationToken cancellationToken)
    {
        // One writer connection per store, reused; the gate keeps in-process writers from sharing it.
        await _writerGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_writer is null)
            {
                var conn = new SqliteConnection(_connectionString);
                await conn.OpenAsync(cancellationToken).ConfigureAwait(false);
                await StorageConnections.ExecuteAsync(conn, StorageConnections.Pragmas(_durability), cancellationToken).ConfigureAwait(false);
                _writer = conn;
            }
            // BEGIN IMMEDIATE: take the database write lock now, so the state read under it is the latest.
            var tx = _writer.BeginTransaction(deferred: false);
            return (_writer, tx);
        }
        catch
        {
            _writerGate.Release();
            throw;
        }
    }

    /// <inheritdoc />
    protected override ValueTask ReleaseWriterAsync(DbConnection connection)
    {
        _writerGate.Release();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await _writerGate.WaitAsync().ConfigureAwait(false);
        if (_writer is not null) await _writer.DisposeAsync().ConfigureAwait(false);
        _writer = null;
        _writerGate.Dispose();
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
