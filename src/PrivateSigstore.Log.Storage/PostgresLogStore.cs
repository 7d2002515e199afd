using System.Data.Common;
using Npgsql;

namespace PrivateSigstore.Log.Storage;

/// <summary>
/// The store for deployments beyond one machine: PostgreSQL, shared by several engine instances. Each append
/// transaction takes a transaction-scoped advisory lock for its log, so exactly one instance integrates at a
/// time; if that instance dies, PostgreSQL rolls its transaction back and releases the lock, and the next
/// instance continues from the last committed batch.
/// </summary>
public sealed class PostgresLogStore : SqlLogStore
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _connectionString;

    /// <summary>Creates a store for log <paramref name="logId"/> on the database of <paramref name="connectionString"/>.</summary>
    public PostgresLogStore(string connectionString, string logId = "log") : base(logId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _connectionString = connectionString;
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    /// <inheritdoc />
    protected override LogDbContext CreateContext() => new PostgresLogDbContext(PostgresLogDbContext.Options(_connectionString));

    /// <inheritdoc />
    protected override async ValueTask<DbConnection> OpenReaderAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    protected override async ValueTask<(DbConnection Connection, DbTransaction Transaction)> BeginWriterAsync(CancellationToken cancellationToken)
    {
        var conn = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var tx = await conn.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            // One integrator at a time per log, across every process on this database (released at commit/rollback).
            var cmd = Command(conn, tx, "SELECT pg_advisory_xact_lock(hashtext('privatesigstore.log:' || @log))");
            await using (cmd.ConfigureAwait(false))
            {
                await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            return (conn, tx);
        }
        catch
        {
            await conn.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
