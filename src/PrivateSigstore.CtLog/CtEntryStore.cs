using System.Data.Common;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace PrivateSigstore.CtLog;

/// <summary>
/// Durable extra_data for the CT log, kept beside the engine's store (SQLite: <c>&lt;LogId&gt;-entries.db</c> in the
/// data directory; PostgreSQL: table <c>ct_entries</c> in the same database).
/// <para>
/// Why a side table and not an envelope in the leaf: the engine hashes exactly what it stores (SHA-256(0x00 || leaf)),
/// and RFC 6962 fixes the leaf to the MerkleTreeLeaf, so the chain cannot ride along inside it. Ordering gives
/// crash safety: a row is committed (fsync, group commit) <em>before</em> its leaf is appended, and the SCT is signed
/// only after both are durable. A crash between the two leaves a row without a leaf, which is harmless (get-entries
/// reads rows only for leaves in the tree) and is completed by a resubmission: the row keeps the first timestamp, so
/// the rebuilt leaf is byte-identical and the engine appends it (or reports it as the duplicate it is).
/// Rows are keyed by the entry identity (the leaf minus its timestamp), which is also what dedupes resubmissions.
/// </para>
/// </summary>
internal sealed partial class CtEntryStore : IAsyncDisposable
{
    private const int MaxBatch = 512;
    private readonly Channel<PendingRow> _queue = Channel.CreateUnbounded<PendingRow>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Func<DbConnection> _connect;
    private readonly string _logId;
    private readonly ILogger _logger;
    private readonly IDisposable? _source;
    private Task _writer = Task.CompletedTask;

    private CtEntryStore(Func<DbConnection> connect, string logId, ILogger logger, IDisposable? source)
    {
        _connect = connect;
        _logId = logId;
        _logger = logger;
        _source = source;
    }

    public static async Task<CtEntryStore> OpenAsync(CtLogOptions options, ILogger logger, CancellationToken ct)
    {
        CtEntryStore store;
        DbContext context;
        if (options.Storage == "Postgres")
        {
            var cs = options.PostgresConnectionString!;
            var source = NpgsqlDataSource.Create(cs);
            store = new CtEntryStore(() => source.CreateConnection(), options.LogId, logger, source);
            context = new PostgresCtEntryDbContext(new DbContextOptionsBuilder<PostgresCtEntryDbContext>().UseNpgsql(cs).Options);
        }
        else
        {
            Directory.CreateDirectory(options.DataDirectory);
            var cs = new SqliteConnectionStringBuilder { DataSource = Path.GetFullPath(Path.Combine(options.DataDirectory, options.LogId + "-entries.db")), Pooling = true, DefaultTimeout = 30 }.ToString();
            store = new CtEntryStore(() => new SqliteConnection(cs), options.LogId, logger, null);
            context = new SqliteCtEntryDbContext(new DbContextOptionsBuilder<SqliteCtEntryDbContext>().UseSqlite(cs).Options);
        }
        await using (context.ConfigureAwait(false))
        {
            await context.Database.MigrateAsync(ct).ConfigureAwait(false);
        }
        store._writer = Task.Run(store.WriteLoopAsync, CancellationToken.None);
        return store;
    }

    /// <summary>
    /// Durably records an entry's extra_data under its identity, unless the identity is already recorded, and returns
    /// the timestamp recorded for it (the given one, or the first submission's).
    /// </summary>
    public async Task<long> RecordAsync(byte[] identity, long timestampMs, byte[] extraData, CancellationToken ct)
    {
        var row = new PendingRow(identity, timestampMs, extraData);
        ObjectDisposedException.ThrowIf(!_queue.Writer.TryWrite(row), this);
        return await row.Completion.Task.WaitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>The extra_data of each identity, or null where none is recorded.</summary>
    public async Task<byte[]?[]> ReadExtraDataAsync(IReadOnlyList<byte[]> identities, CancellationToken ct)
    {
        var result = new byte[]?[identities.Count];
        var conn = _connect();
        await using (conn.ConfigureAwait(false))
        {
            await conn.OpenAsync(ct).ConfigureAwait(false);
            var cmd = conn.CreateCommand();
            await using (cmd.ConfigureAwait(false))
            {
                cmd.CommandText = "SELECT extra_data FROM ct_entries WHERE log_id = @l AND identity_hash = @h";
                AddParameter(cmd, "@l", _logId);
                var h = AddParameter(cmd, "@h", Array.Empty<byte>());
                for (var i = 0; i < identities.Count; i++)
                {
                    h.Value = identities[i];
                    result[i] = await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false) as byte[];
                }
            }
        }
        return result;
    }

    /// <summary>Checks that the table answers (readiness).</summary>
    public async Task PingAsync(CancellationToken ct) => await ReadExtraDataAsync([new byte[32]], ct).ConfigureAwait(false);

    /// <summary>Group commit: whatever queued while the previous transaction was being written goes in one transaction.</summary>
    private async Task WriteLoopAsync()
    {
        var batch = new List<PendingRow>(MaxBatch);
        DbConnection? conn = null;
        try
        {
            while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                batch.Clear();
                while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var row)) batch.Add(row);
                try
                {
                    conn ??= await OpenWriterAsync().ConfigureAwait(false);
                    var timestamps = await WriteBatchAsync(conn, batch).ConfigureAwait(false);
                    for (var i = 0; i < batch.Count; i++) batch[i].Completion.TrySetResult(timestamps[i]);
                }
                catch (Exception ex) when (ex is DbException or InvalidOperationException)
                {
                    WriteFailed(_logger, ex, batch.Count);
                    foreach (var row in batch) row.Completion.TrySetException(new InvalidOperationException("recording the CT entry failed", ex));
                    if (conn is not null) await conn.DisposeAsync().ConfigureAwait(false);
                    conn = null;
                }
            }
        }
        finally
        {
            if (conn is not null) await conn.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>One long-lived writer connection; on SQLite WAL with FULL sync, since an SCT is a promise.</summary>
    private async Task<DbConnection> OpenWriterAsync()
    {
        var conn = _connect();
        await conn.OpenAsync().ConfigureAwait(false);
        if (conn is SqliteConnection)
        {
            var pragma = conn.CreateCommand();
            await using (pragma.ConfigureAwait(false))
            {
                pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=30000;";
                await pragma.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
        }
        return conn;
    }

    private async Task<long[]> WriteBatchAsync(DbConnection conn, List<PendingRow> batch)
    {
        var timestamps = new long[batch.Count];
        var tx = await conn.BeginTransactionAsync().ConfigureAwait(false);
        await using (tx.ConfigureAwait(false))
        {
            var insert = conn.CreateCommand();
            var select = conn.CreateCommand();
            await using (insert.ConfigureAwait(false))
            await using (select.ConfigureAwait(false))
            {
                insert.Transaction = tx;
                insert.CommandText = "INSERT INTO ct_entries (log_id, identity_hash, timestamp_ms, extra_data) VALUES (@l, @h, @t, @x) ON CONFLICT DO NOTHING";
                AddParameter(insert, "@l", _logId);
                var h = AddParameter(insert, "@h", Array.Empty<byte>());
                var t = AddParameter(insert, "@t", 0L);
                var x = AddParameter(insert, "@x", Array.Empty<byte>());
                select.Transaction = tx;
                select.CommandText = "SELECT timestamp_ms FROM ct_entries WHERE log_id = @l AND identity_hash = @h";
                AddParameter(select, "@l", _logId);
                var sh = AddParameter(select, "@h", Array.Empty<byte>());
                for (var i = 0; i < batch.Count; i++)
                {
                    h.Value = batch[i].Identity;
                    t.Value = batch[i].TimestampMs;
                    x.Value = batch[i].ExtraData;
                    await insert.ExecuteNonQueryAsync().ConfigureAwait(false);
                    sh.Value = batch[i].Identity;
                    timestamps[i] = Convert.ToInt64(await select.ExecuteScalarAsync().ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
                }
            }
            await tx.CommitAsync().ConfigureAwait(false);
        }
        return timestamps;
    }

    private static DbParameter AddParameter(DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
        return p;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        _source?.Dispose();
    }

    private sealed class PendingRow(byte[] identity, long timestampMs, byte[] extraData)
    {
        public byte[] Identity { get; } = identity;
        public long TimestampMs { get; } = timestampMs;
        public byte[] ExtraData { get; } = extraData;
        public TaskCompletionSource<long> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(EventId = 6201, Level = LogLevel.Error, Message = "Recording {Count} CT entries failed; their submitters get an error and no SCT")]
    private static partial void WriteFailed(ILogger logger, Exception exception, int count);
}
