using System.Data.Common;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace PrivateSigstore.Rekor;

/// <summary>
/// The search index (POST /api/v1/index/retrieve). As upstream, keys are written asynchronously after the
/// entry is integrated — off the append hot path — in batched transactions; upstream documents the index as
/// "may be incomplete". Rows are idempotent, so the index can be rebuilt from the log.
/// </summary>
internal sealed partial class RekorIndex : IAsyncDisposable
{
    private readonly Channel<(IReadOnlyList<string> Keys, string EntryId)> _queue =
        Channel.CreateBounded<(IReadOnlyList<string>, string)>(new BoundedChannelOptions(100_000) { SingleReader = true, FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Func<DbConnection> _connect;
    private readonly Func<DbContext> _context;
    private readonly ILogger _logger;
    private Task _writer = Task.CompletedTask;

    private RekorIndex(Func<DbConnection> connect, Func<DbContext> context, ILogger logger)
    {
        _connect = connect;
        _context = context;
        _logger = logger;
    }

    public static async Task<RekorIndex> OpenAsync(RekorOptions options, ILogger logger, CancellationToken ct)
    {
        RekorIndex index;
        if (options.Storage == "Postgres")
        {
            var cs = options.PostgresConnectionString!;
            var source = NpgsqlDataSource.Create(cs);
            index = new RekorIndex(() => source.CreateConnection(),
                () => new PostgresRekorIndexDbContext(new DbContextOptionsBuilder<PostgresRekorIndexDbContext>().UseNpgsql(cs).Options), logger);
        }
        else
        {
            Directory.CreateDirectory(options.DataDirectory);
            var cs = new SqliteConnectionStringBuilder { DataSource = Path.Combine(options.DataDirectory, "index.db"), Pooling = true, DefaultTimeout = 30 }.ToString();
            index = new RekorIndex(() => new SqliteConnection(cs),
                () => new SqliteRekorIndexDbContext(new DbContextOptionsBuilder<SqliteRekorIndexDbContext>().UseSqlite(cs).Options), logger);
        }
        await using (var context = index._context())
        {
            await context.Database.MigrateAsync(ct).ConfigureAwait(false);
        }
        index._writer = Task.Run(index.WriteLoopAsync, CancellationToken.None);
        return index;
    }

    /// <summary>Queues the keys of a new entry; never blocks the append path (a full queue drops, as upstream may).</summary>
    public void Enqueue(IReadOnlyList<string> keys, string entryId)
    {
        if (keys.Count > 0 && !_queue.Writer.TryWrite((keys, entryId))) IndexDropped(_logger, entryId);
    }

    /// <summary>Entry ids matching all (<paramref name="and"/>) or any of the keys.</summary>
    public async Task<IReadOnlyList<string>> SearchAsync(IReadOnlyList<string> keys, bool and, CancellationToken ct)
    {
        var sets = new List<HashSet<string>>();
        var conn = _connect();
        await using (conn.ConfigureAwait(false))
        {
            await conn.OpenAsync(ct).ConfigureAwait(false);
            foreach (var key in keys)
            {
                var set = new HashSet<string>(StringComparer.Ordinal);
                var cmd = conn.CreateCommand();
                await using (cmd.ConfigureAwait(false))
                {
                    cmd.CommandText = "SELECT entry_id FROM rekor_index WHERE lookup_key = @k LIMIT 10000";
                    var p = cmd.CreateParameter();
                    p.ParameterName = "@k";
                    p.Value = key;
                    cmd.Parameters.Add(p);
                    var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        while (await reader.ReadAsync(ct).ConfigureAwait(false)) set.Add(reader.GetString(0));
                    }
                }
                sets.Add(set);
            }
        }
        IEnumerable<string> result = sets[0];
        foreach (var s in sets.Skip(1)) result = and ? result.Intersect(s) : result.Union(s);
        return [.. result.Order(StringComparer.Ordinal)];
    }

    /// <summary>Completes when everything queued so far is written (tests and shutdown).</summary>
    public async Task FlushAsync(CancellationToken ct)
    {
        while (_queue.Reader.Count > 0) await Task.Delay(10, ct).ConfigureAwait(false);
        await Task.Delay(50, ct).ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<(IReadOnlyList<string> Keys, string EntryId)>();
        DbConnection? conn = null;
        try
        {
            while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
            {
                batch.Clear();
                while (batch.Count < 5000 && _queue.Reader.TryRead(out var item)) batch.Add(item);
                try
                {
                    conn ??= await OpenWriterAsync().ConfigureAwait(false);
                    await WriteBatchAsync(conn, batch).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is DbException or InvalidOperationException)
                {
                    IndexWriteFailed(_logger, ex, batch.Count);
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

    /// <summary>One long-lived writer connection; on SQLite the index is WAL with NORMAL sync (it is rebuildable).</summary>
    private async Task<DbConnection> OpenWriterAsync()
    {
        var conn = _connect();
        await conn.OpenAsync().ConfigureAwait(false);
        if (conn is SqliteConnection)
        {
            var pragma = conn.CreateCommand();
            await using (pragma.ConfigureAwait(false))
            {
                pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; PRAGMA busy_timeout=30000;";
                await pragma.ExecuteNonQueryAsync().ConfigureAwait(false);
            }
        }
        return conn;
    }

    private static async Task WriteBatchAsync(DbConnection conn, List<(IReadOnlyList<string> Keys, string EntryId)> batch)
    {
        var tx = await conn.BeginTransactionAsync().ConfigureAwait(false);
        await using (tx.ConfigureAwait(false))
        {
            // One prepared statement for the whole batch.
            var cmd = conn.CreateCommand();
            await using (cmd.ConfigureAwait(false))
            {
                cmd.Transaction = tx;
                cmd.CommandText = "INSERT INTO rekor_index (lookup_key, entry_id) VALUES (@k, @e) ON CONFLICT DO NOTHING";
                var k = cmd.CreateParameter();
                k.ParameterName = "@k";
                k.Value = "";
                cmd.Parameters.Add(k);
                var e = cmd.CreateParameter();
                e.ParameterName = "@e";
                e.Value = "";
                cmd.Parameters.Add(e);
                await cmd.PrepareAsync().ConfigureAwait(false);
                foreach (var (keys, id) in batch)
                {
                    e.Value = id;
                    foreach (var key in keys)
                    {
                        k.Value = key.Length > 512 ? key[..512] : key;
                        await cmd.ExecuteNonQueryAsync().ConfigureAwait(false);
                    }
                }
            }
            await tx.CommitAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Warning, Message = "Search index queue full; entry {EntryId} was not indexed (the index may be incomplete, as upstream documents)")]
    private static partial void IndexDropped(ILogger logger, string entryId);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Error, Message = "Writing {Count} search index rows failed")]
    private static partial void IndexWriteFailed(ILogger logger, Exception exception, int count);
}
