using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;

namespace PrivateSigstore.Log.Storage;

/// <summary>
/// The ADO.NET implementation of <see cref="ILogStore"/> shared by SQLite and PostgreSQL. The SQL is the common
/// subset of both dialects (upserts with ON CONFLICT, LIMIT); providers supply connections, the writer lock and
/// the EF Core context that owns the schema.
/// </summary>
public abstract class SqlLogStore : ILogStore
{
    /// <summary>Creates the store for the log <paramref name="logId"/>.</summary>
    protected SqlLogStore(string logId)
    {
        if (string.IsNullOrWhiteSpace(logId) || logId.Length > 64) throw new ArgumentException("log id must be 1..64 characters", nameof(logId));
        LogId = logId;
    }

    /// <summary>The id of the log whose rows this store reads and writes.</summary>
    public string LogId { get; }

    /// <summary>Opens a connection for reads.</summary>
    protected abstract ValueTask<DbConnection> OpenReaderAsync(CancellationToken cancellationToken);

    /// <summary>Opens a connection and a transaction holding the store-wide writer lock for this log.</summary>
    protected abstract ValueTask<(DbConnection Connection, DbTransaction Transaction)> BeginWriterAsync(CancellationToken cancellationToken);

    /// <summary>Creates the EF Core context whose migrations own the schema.</summary>
    protected abstract LogDbContext CreateContext();

    /// <summary>Runs after migrations (e.g. SQLite pragmas).</summary>
    protected virtual Task AfterMigrateAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        var context = CreateContext();
        await using (context.ConfigureAwait(false))
        {
            await context.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);
        }
        await AfterMigrateAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<StoredLogState?> ReadStateAsync(CancellationToken cancellationToken)
    {
        var conn = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (conn.ConfigureAwait(false))
        {
            return await ReadStateAsync(conn, null, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async Task<IAppendTransaction> BeginAppendAsync(CancellationToken cancellationToken)
    {
        var (conn, tx) = await BeginWriterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var state = await ReadStateAsync(conn, tx, cancellationToken).ConfigureAwait(false);
            return new AppendTransaction(this, conn, tx, state);
        }
        catch
        {
            await tx.DisposeAsync().ConfigureAwait(false);
            await conn.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public async Task<byte[]?> ReadTileAsync(int level, ulong index, CancellationToken cancellationToken)
    {
        var conn = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (conn.ConfigureAwait(false))
        {
            var cmd = Command(conn, null, "SELECT hashes FROM tiles WHERE log_id = @log AND level = @level AND tile_index = @index",
                ("@level", level), ("@index", checked((long)index)));
            await using (cmd.ConfigureAwait(false))
            {
                return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as byte[];
            }
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<StoredTile> ReadTilesAsync(int level, ulong fromIndex, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var conn = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (conn.ConfigureAwait(false))
        {
            var cmd = Command(conn, null, "SELECT tile_index, hashes FROM tiles WHERE log_id = @log AND level = @level AND tile_index >= @from ORDER BY tile_index",
                ("@level", level), ("@from", checked((long)fromIndex)));
            await using (cmd.ConfigureAwait(false))
            {
                var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        yield return new StoredTile(level, (ulong)reader.GetInt64(0), (byte[])reader.GetValue(1));
                    }
                }
            }
        }
    }

    /// <inheritdoc />
    public async Task<EntrySegment?> ReadSegmentAsync(ulong index, CancellationToken cancellationToken)
    {
        var conn = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (conn.ConfigureAwait(false))
        {
            var cmd = Command(conn, null,
                "SELECT start_index, entry_count, timestamp_ms, data FROM entry_segments WHERE log_id = @log AND start_index <= @index ORDER BY start_index DESC LIMIT 1",
                ("@index", checked((long)index)));
            await using (cmd.ConfigureAwait(false))
            {
                var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) return null;
                    return new EntrySegment((ulong)reader.GetInt64(0), reader.GetInt32(1), reader.GetInt64(2), (byte[])reader.GetValue(3));
                }
            }
        }
    }

    /// <inheritdoc />
    public async Task<string?> ReadCheckpointAsync(ulong size, CancellationToken cancellationToken)
    {
        var conn = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (conn.ConfigureAwait(false))
        {
            var cmd = Command(conn, null, "SELECT note FROM checkpoints WHERE log_id = @log AND size = @size", ("@size", checked((long)size)));
            await using (cmd.ConfigureAwait(false))
            {
                return await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
            }
        }
    }

    /// <inheritdoc />
    public async Task<SegmentSummary> SummarizeSegmentsAsync(CancellationToken cancellationToken)
    {
        var conn = await OpenReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (conn.ConfigureAwait(false))
        {
            var cmd = Command(conn, null,
                "SELECT COUNT(*), COALESCE(SUM(entry_count), 0), COALESCE(MAX(start_index + entry_count), 0) FROM entry_segments WHERE log_id = @log");
            await using (cmd.ConfigureAwait(false))
            {
                var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    return new SegmentSummary(Convert.ToInt64(reader.GetValue(0), System.Globalization.CultureInfo.InvariantCulture),
                        Convert.ToUInt64(reader.GetValue(1), System.Globalization.CultureInfo.InvariantCulture),
                        Convert.ToUInt64(reader.GetValue(2), System.Globalization.CultureInfo.InvariantCulture));
                }
            }
        }
    }

    /// <inheritdoc />
    public async Task SetFrozenAsync(bool frozen, CancellationToken cancellationToken)
    {
        var (conn, tx) = await BeginWriterAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var cmd = Command(conn, tx, "UPDATE log_state SET frozen = @frozen WHERE log_id = @log", ("@frozen", frozen));
            await using (cmd.ConfigureAwait(false))
            {
                await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await tx.DisposeAsync().ConfigureAwait(false);
            await ReleaseWriterAsync(conn).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    /// <summary>Creates a command with <c>@log</c> bound to <see cref="LogId"/> and the given parameters.</summary>
    protected DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var cmd = connection.CreateCommand();
        cmd.Transaction = transaction;
#pragma warning disable CA2100 // SQL text is constant; every value is a parameter.
        cmd.CommandText = sql;
#pragma warning restore CA2100
        Add(cmd, "@log", LogId);
        foreach (var (name, value) in parameters) Add(cmd, name, value);
        return cmd;
    }

    private static void Add(DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
    }

    private async Task<StoredLogState?> ReadStateAsync(DbConnection conn, DbTransaction? tx, CancellationToken ct)
    {
        var cmd = Command(conn, tx, "SELECT size, root_hash, compact_range, checkpoint, timestamp_ms, frozen FROM log_state WHERE log_id = @log");
        await using (cmd.ConfigureAwait(false))
        {
            var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                if (!await reader.ReadAsync(ct).ConfigureAwait(false)) return null;
                var range = (byte[])reader.GetValue(2);
                if (range.Length % 32 != 0) throw new LogCorruptedException("the stored compact range is not a whole number of hashes");
                var hashes = new byte[range.Length / 32][];
                for (var i = 0; i < hashes.Length; i++) hashes[i] = range.AsSpan(i * 32, 32).ToArray();
                return new StoredLogState((ulong)reader.GetInt64(0), (byte[])reader.GetValue(1), hashes,
                    reader.GetString(3), reader.GetInt64(4), reader.GetBoolean(5));
            }
        }
    }

    private sealed class AppendTransaction(SqlLogStore store, DbConnection connection, DbTransaction transaction, StoredLogState? state) : IAppendTransaction
    {
        public StoredLogState? State { get; } = state;

        public async Task WriteSegmentAsync(EntrySegment segment, CancellationToken cancellationToken)
        {
            var cmd = store.Command(connection, transaction,
                "INSERT INTO entry_segments (log_id, start_index, entry_count, timestamp_ms, data) VALUES (@log, @start, @count, @ts, @data)",
                ("@start", checked((long)segment.Start)), ("@count", segment.Count), ("@ts", segment.TimestampMs), ("@data", segment.Data));
            await using (cmd.ConfigureAwait(false))
            {
                await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        public async Task WriteTilesAsync(IReadOnlyList<StoredTile> tiles, CancellationToken cancellationToken)
        {
            foreach (var t in tiles)
            {
                var cmd = store.Command(connection, transaction,
                    "INSERT INTO tiles (log_id, level, tile_index, hashes) VALUES (@log, @level, @index, @hashes) " +
                    "ON CONFLICT (log_id, level, tile_index) DO UPDATE SET hashes = excluded.hashes",
                    ("@level", t.Level), ("@index", checked((long)t.Index)), ("@hashes", t.Hashes));
                await using (cmd.ConfigureAwait(false))
                {
                    await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }

        public async Task WriteStateAsync(StoredLogState s, CancellationToken cancellationToken)
        {
            var range = new byte[s.CompactRange.Count * 32];
            for (var i = 0; i < s.CompactRange.Count; i++) s.CompactRange[i].CopyTo(range, i * 32);
            var cmd = store.Command(connection, transaction,
                "INSERT INTO log_state (log_id, size, root_hash, compact_range, checkpoint, timestamp_ms, frozen) " +
                "VALUES (@log, @size, @root, @range, @checkpoint, @ts, @frozen) " +
                "ON CONFLICT (log_id) DO UPDATE SET size = excluded.size, root_hash = excluded.root_hash, compact_range = excluded.compact_range, " +
                "checkpoint = excluded.checkpoint, timestamp_ms = excluded.timestamp_ms, frozen = excluded.frozen",
                ("@size", checked((long)s.Size)), ("@root", s.RootHash), ("@range", range), ("@checkpoint", s.Checkpoint),
                ("@ts", s.TimestampMs), ("@frozen", s.Frozen));
            await using (cmd.ConfigureAwait(false))
            {
                await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            var history = store.Command(connection, transaction,
                "INSERT INTO checkpoints (log_id, size, root_hash, note, timestamp_ms) VALUES (@log, @size, @root, @note, @ts) " +
                "ON CONFLICT (log_id, size) DO NOTHING",
                ("@size", checked((long)s.Size)), ("@root", s.RootHash), ("@note", s.Checkpoint), ("@ts", s.TimestampMs));
            await using (history.ConfigureAwait(false))
            {
                await history.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        public Task CommitAsync(CancellationToken cancellationToken) => transaction.CommitAsync(cancellationToken);

        public async ValueTask DisposeAsync()
        {
            await transaction.DisposeAsync().ConfigureAwait(false);
            await store.ReleaseWriterAsync(connection).ConfigureAwait(false);
        }
    }

    /// <summary>Returns the writer connection after a transaction (dispose it, or keep it for reuse).</summary>
    protected virtual ValueTask ReleaseWriterAsync(DbConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return connection.DisposeAsync();
    }
}
