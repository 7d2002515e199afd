using System.Data.Common;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace PrivateSigstore.Log.Storage;

/// <summary>
/// <see cref="ICtChainStore"/>: the CT log's durable extra_data, beside the engine's store (SQLite:
/// <c>&lt;LogId&gt;-entries.db</c> in the data directory, WAL with FULL sync since an SCT is a promise; PostgreSQL: table
/// <c>ct_entries</c> in the same database).
/// <para>
/// Why a side table and not an envelope in the leaf: the engine hashes exactly what it stores (SHA-256(0x00 || leaf)),
/// and RFC 6962 fixes the leaf to the MerkleTreeLeaf, so the chain cannot ride along inside it. Ordering gives crash
/// safety: a row is committed (fsync, group commit) <em>before</em> its leaf is appended, and the SCT is signed only after
/// both are durable. A crash between the two leaves a row without a leaf, which is harmless (get-entries reads rows only
/// for leaves in the tree) and is completed by a resubmission: the row keeps the first timestamp, so the rebuilt leaf is
/// byte-identical and the engine appends it (or reports it as the duplicate it is). Rows are keyed by the entry
/// identity (the leaf minus its timestamp), which is also what dedupes resubmissions.
/// </para>
/// </summary>
internal sealed partial class SqlCtChainStore : ICtChainStore
{
    private const int MaxBatch = 512;
    private readonly StorageConnections _connections;
    private readonly string _logId;
    private readonly ILogger _logger;
    private readonly GroupCommitter<Row, long> _queue;
    private DbConnection? _writer;

    private SqlCtChainStore(StorageConnections connections, string logId, ILogger logger)
    {
        _connections = connections;
        _logId = logId;
        _logger = logger;
        _queue = new(WriteBatchAsync, (ex, count) => WriteFailed(_logger, ex, count), MaxBatch);
    }

    public static async Task<ICtChainStore> OpenAsync(StorageOptions options, string logId, ILogger logger, CancellationToken cancellationToken)
    {
        var connections = await StorageConnections.OpenMigratedAsync(options, logId + "-entries.db", c => c.Provider == StorageProvider.Postgres
            ? new PostgresCtEntryDbContext(c.ContextOptions<PostgresCtEntryDbContext>())
            : new SqliteCtEntryDbContext(c.ContextOptions<SqliteCtEntryDbContext>()), cancellationToken).ConfigureAwait(false);
        return new SqlCtChainStore(connections, logId, logger);
    }

    public async Task<long> RecordAsync(byte[] identity, long timestampMs, byte[] extraData, CancellationToken cancellationToken)
    {
        try
        {
            return await _queue.EnqueueAsync(new Row(identity, timestampMs, extraData), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is DbException)
        {
            throw new InvalidOperationException("recording the CT entry failed", ex);
        }
    }

    public async Task<byte[]?[]> ReadExtraDataAsync(IReadOnlyList<byte[]> identities, CancellationToken cancellationToken)
    {
        var result = new byte[]?[identities.Count];
        var conn = _connections.CreateConnection();
        await using (conn.ConfigureAwait(false))
        {
            await conn.OpenAsync(cancellationToken).ConfigureAwait(false);
            var cmd = conn.CreateCommand();
            await using (cmd.ConfigureAwait(false))
            {
                cmd.CommandText = "SELECT extra_data FROM ct_entries WHERE log_id = @l AND identity_hash = @h";
                StorageConnections.AddParameter(cmd, "@l", _logId);
                var h = StorageConnections.AddParameter(cmd, "@h", Array.Empty<byte>());
                for (var i = 0; i < identities.Count; i++)
                {
                    h.Value = identities[i];
                    result[i] = await cmd.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as byte[];
                }
            }
        }
        return result;
    }

    public async Task PingAsync(CancellationToken cancellationToken) => await ReadExtraDataAsync([new byte[32]], cancellationToken).ConfigureAwait(false);

    private async Task<IReadOnlyList<long>> WriteBatchAsync(IReadOnlyList<Row> batch, CancellationToken cancellationToken)
    {
        try
        {
            _writer ??= await _connections.OpenWriterAsync(SqliteDurability.Full, cancellationToken).ConfigureAwait(false);
            var timestamps = new long[batch.Count];
            var tx = await _writer.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (tx.ConfigureAwait(false))
            {
                var insert = _writer.CreateCommand();
                var select = _writer.CreateCommand();
                await using (insert.ConfigureAwait(false))
                await using (select.ConfigureAwait(false))
                {
                    insert.Transaction = tx;
                    insert.CommandText = "INSERT INTO ct_entries (log_id, identity_hash, timestamp_ms, extra_data) VALUES (@l, @h, @t, @x) ON CONFLICT DO NOTHING";
                    StorageConnections.AddParameter(insert, "@l", _logId);
                    var h = StorageConnections.AddParameter(insert, "@h", Array.Empty<byte>());
                    var t = StorageConnections.AddParameter(insert, "@t", 0L);
                    var x = StorageConnections.AddParameter(insert, "@x", Array.Empty<byte>());
                    select.Transaction = tx;
                    select.CommandText = "SELECT timestamp_ms FROM ct_entries WHERE log_id = @l AND identity_hash = @h";
                    StorageConnections.AddParameter(select, "@l", _logId);
                    var sh = StorageConnections.AddParameter(select, "@h", Array.Empty<byte>());
                    for (var i = 0; i < batch.Count; i++)
                    {
                        h.Value = batch[i].Identity;
                        t.Value = batch[i].TimestampMs;
                        x.Value = batch[i].ExtraData;
                        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                        sh.Value = batch[i].Identity;
                        timestamps[i] = Convert.ToInt64(await select.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
                    }
                }
                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            return timestamps;
        }
        catch
        {
            if (_writer is not null) await _writer.DisposeAsync().ConfigureAwait(false);
            _writer = null;
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _queue.DisposeAsync().ConfigureAwait(false);
        if (_writer is not null) await _writer.DisposeAsync().ConfigureAwait(false);
        await _connections.DisposeAsync().ConfigureAwait(false);
    }

    private sealed record Row(byte[] Identity, long TimestampMs, byte[] ExtraData);

    [LoggerMessage(EventId = 6201, Level = LogLevel.Error, Message = "Recording {Count} CT entries failed; their submitters get an error and no SCT")]
    private static partial void WriteFailed(ILogger logger, Exception exception, int count);
}
