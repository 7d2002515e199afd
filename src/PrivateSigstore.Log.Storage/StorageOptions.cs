namespace PrivateSigstore.Log.Storage;

/// <summary>Where a service keeps its logs and side tables.</summary>
public enum StorageProvider
{
    /// <summary>The embedded default: SQLite files in WAL mode under the service's data directory.</summary>
    Sqlite,

    /// <summary>PostgreSQL, shared by several instances (advisory locks serialize integration).</summary>
    Postgres,
}

/// <summary>
/// One description of a service's storage: the provider, the SQLite data directory and durability, and the PostgreSQL
/// connection string. Every store in <c>PrivateSigstore.Log.Storage</c> is opened from it (<see cref="LogStorage"/>).
/// </summary>
public sealed record StorageOptions
{
    /// <summary>The provider.</summary>
    public StorageProvider Provider { get; init; } = StorageProvider.Sqlite;

    /// <summary>Directory of the SQLite files (created when missing).</summary>
    public string DataDirectory { get; init; } = "data";

    /// <summary>PostgreSQL connection string (required with <see cref="StorageProvider.Postgres"/>; from the environment, never appsettings).</summary>
    public string? PostgresConnectionString { get; init; }

    /// <summary>How hard SQLite syncs the log's commits (default: fsync every commit).</summary>
    public SqliteDurability Durability { get; init; } = SqliteDurability.Full;

    /// <summary>Checks the settings; throws an <see cref="ArgumentException"/> naming the setting under <paramref name="section"/>.</summary>
    public void Validate(string section)
    {
        if (!Enum.IsDefined(Provider)) throw new ArgumentException($"{section}:Storage must be Sqlite or Postgres");
        if (Provider == StorageProvider.Postgres && string.IsNullOrWhiteSpace(PostgresConnectionString))
        {
            throw new ArgumentException($"{section}:PostgresConnectionString is required with Storage=Postgres (set it in the environment: {section}__PostgresConnectionString)");
        }
        if (Provider == StorageProvider.Postgres)
        {
            try
            {
                _ = new Npgsql.NpgsqlConnectionStringBuilder(PostgresConnectionString);
            }
            catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
            {
                // The message says where it stopped; the string itself is not repeated (it may hold a password).
                throw new ArgumentException($"{section}:PostgresConnectionString is not a valid connection string: {e.Message} (Key=Value pairs separated by ';', e.g. Host=db;Database=privatesigstore;Username=rekor;Passfile=/run/secrets/pgpass)", e);
            }
        }
        if (Provider == StorageProvider.Sqlite && string.IsNullOrWhiteSpace(DataDirectory)) throw new ArgumentException($"{section}:DataDirectory must not be empty");
    }
}
