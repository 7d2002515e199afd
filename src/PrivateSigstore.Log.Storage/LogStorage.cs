using Microsoft.Extensions.Logging;

namespace PrivateSigstore.Log.Storage;

/// <summary>
/// Opens every store a log personality needs from one <see cref="StorageOptions"/>: the engine's <see cref="ILogStore"/>,
/// Rekor's search index, the CT log's chain store. Nothing outside this assembly names a database driver.
/// </summary>
public static class LogStorage
{
    /// <summary>The engine store of log <paramref name="logId"/> (SQLite: <c>&lt;logId&gt;.db</c> in the data directory).</summary>
    public static ILogStore OpenLogStore(StorageOptions options, string logId)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Provider == StorageProvider.Postgres
            ? new PostgresLogStore(options.PostgresConnectionString!, logId)
            : new SqliteLogStore(Path.Combine(options.DataDirectory, logId + ".db"), logId, options.Durability);
    }

    /// <summary>Rekor's search index (migrated).</summary>
    public static Task<IRekorSearchIndex> OpenRekorSearchIndexAsync(StorageOptions options, ILogger logger, CancellationToken cancellationToken = default) =>
        SqlRekorSearchIndex.OpenAsync(options, logger, cancellationToken);

    /// <summary>The CT log's chain store for log <paramref name="logId"/> (migrated).</summary>
    public static Task<ICtChainStore> OpenCtChainStoreAsync(StorageOptions options, string logId, ILogger logger, CancellationToken cancellationToken = default) =>
        SqlCtChainStore.OpenAsync(options, logId, logger, cancellationToken);
}
