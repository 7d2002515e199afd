using System.Data.Common;
using Microsoft.Extensions.Logging;

namespace PrivateSigstore.Log.Storage;

/// <summary>
/// <see cref="IRekorSearchIndex"/> on SQLite (<c>index.db</c> in the data directory, WAL, NORMAL sync: it is rebuildable)
/// or PostgreSQL (table <c>rekor_index</c>). Keys are written by a <see cref="GroupCommitter{TItem,TResult}"/> in
/// batches of up to 5,000 entries; a full queue drops, as upstream's index may be incomplete.
/// </summary>
internal sealed partial class SqlRekorSearchIndex : IRekorSearchIndex
{
    private const int MaxBatch = 5000;
    private const int Capacity = 100_000;
    private readonly StorageConnections _connections;
    private readonly ILogger _logger;
    private readonly GroupCommitter<(IReadOnlyList<string> Keys, string EntryId), bool> _queue;
    private DbConnection? _writer;

    private SqlRekorSearchIndex(StorageConnections connections, ILogger logger)
    {
        _connections = connections;
        _logger = logger;
        _queue = new(WriteBatchAsync, (ex, count) => IndexWriteFailed(_logger, ex, count), MaxBatch, Capacity);
    }

    public static async Task<IRekorSearchIndex> OpenAsync(StorageOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var connections = await StorageConnections.OpenMigratedAsync(options, "index.db", c => c.Provider == StorageProvider.Postgres
            ? new PostgresRekorIndexDbContext(c.ContextOptions<PostgresRekorIndexDbContext>())
            : new SqliteRekorIndexDbContext(c.ContextOptions<SqliteRekorIndexDbContext>()), cancellationToken).ConfigureAwait(false);
        return new SqlRekorSearchIndex(connections, logger);
    }

    public void Enqueue(IReadOnlyList<string> keys, string entryId)
    {
        if (keys.Count > 0 && !_queue.TryEnqueue((keys, entryId))) IndexDropped(_logger, entryId);
    }

    public async Task<IReadOnlyList<string>> SearchAsync(IReadOnlyList<string> keys, bool matchAll, CancellationToken cancellationToken)
    {
        var sets = new List<HashSet<string>>();
        var conn = _connections.CreateConnection();
        await using (conn.ConfigureAwait(false))
        {
            await conn.OpenAsync(cancellationToken).ConfigureAwait(false);
            foreach (var key in keys)
            {
                var set = new HashSet<string>(StringComparer.Ordinal);
                var cmd = conn.CreateCommand();
                await using (cmd.ConfigureAwait(false))
                {
                    cmd.CommandText = "SELECT entry_id FROM rekor_index WHERE lookup_key = @k LIMIT 10000";
                    StorageConnections.AddParameter(cmd, "@k", key);
                    var reader = await cmd.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) set.Add(reader.GetString(0));
                    }
                }
                sets.Add(set);
            }
        }
        if (sets.Count == 0) return [];
        IEnumerable<string> result = sets[0];
        foreach (var s in sets.Skip(1)) result = matchAll ? result.Intersect(s) : result.Union(s);
        return [.. result.Order(StringComparer.Ordinal)];
    }

    public Task FlushAsync(CancellationToken cancellationToken) => _queue.FlushAsync(cancellationToken);

    private async Task<IReadOnlyList<bool>> WriteBatchAsync(IReadOnlyList<(IReadOnlyList<string> Keys, string EntryId)> batch, CancellationToken cancellationToken)
    {
        try
        {
            // One long-lived writer connection, reopened after a failure.
            _writer ??= await _connections.OpenWriterAsync(SqliteDurability.Normal, cancellationToken).ConfigureAwait(false);
            var tx = await _writer.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (tx.ConfigureAwait(false))
            {
                // One prepared statement for the whole batch.
                var cmd = _writer.CreateCommand();
                await using (cmd.ConfigureAwait(false))
                {
                    cmd.Transaction = tx;
                    cmd.CommandText = "INSERT INTO rekor_index (lookup_key, entry_id) VALUES (@k, @e) ON CONFLICT DO NOTHING";
                    var k = StorageConnections.AddParameter(cmd, "@k", "");
                    var e = StorageConnections.AddParameter(cmd, "@e", "");
                    await cmd.PrepareAsync(cancellationToken).ConfigureAwait(false);
                    foreach (var (keys, id) in batch)
                    {
                        e.Value = id;
                        foreach (var key in keys)
                        {
                            k.Value = key.Length > 512 ? key[..512] : key;
                            await cmd.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                        }
                    }
                }
                await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            return new bool[batch.Count];
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

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Search index queue full; entry {EntryId} was not indexed (the index may be incomplete, as upstream documents)")]
    private static partial void IndexDropped(ILogger logger, string entryId);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Error, Message = "Writing {Count} search index rows failed")]
    private static partial void IndexWriteFailed(ILogger logger, Exception exception, int count);
}
