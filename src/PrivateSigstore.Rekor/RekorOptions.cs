using PrivateSigstore.Log;
using PrivateSigstore.Hosting;
using PrivateSigstore.Keys;
using PrivateSigstore.Log.Storage;
using PrivateSigstore.Keys.Pkcs11;

namespace PrivateSigstore.Rekor;

/// <summary>Settings of the Rekor-compatible service (configuration section "Rekor").</summary>
public sealed class RekorOptions : IServiceOptions, PrivateSigstore.Hosting.IDataDirectoryOptions
{
    /// <summary>Secured at start (0700 / 0600): see <see cref="PrivateSigstore.Hosting.IDataDirectoryOptions"/>.</summary>
    string? PrivateSigstore.Hosting.IDataDirectoryOptions.SecuredDataDirectory => DataDirectory;

    /// <summary>The configuration section.</summary>
    public const string Section = "Rekor";

    /// <summary>Default request body limit (128 KiB), as upstream's default max request size for entries.</summary>
    public const long DefaultMaxRequestBytes = 128 * 1024;

    /// <summary>
    /// The log's host name: checkpoint origin "&lt;Hostname&gt; - &lt;TreeId&gt;" and the key name of its signature
    /// line. sigstore-js requires the key name to occur in the trusted root's tlog baseUrl, so use the host (and
    /// port, when not the default) that clients are given, e.g. "rekor.example.com" or "127.0.0.1:3000".
    /// It cannot change once the log has entries.
    /// </summary>
    public string Hostname { get; set; } = "127.0.0.1:3000";

    /// <summary>The active shard's tree id (decimal in the API, 16 hex digits in entry ids). 0 = derive from the log key.</summary>
    public long TreeId { get; set; }

    /// <summary>Directory for the embedded stores and the development key.</summary>
    public string DataDirectory { get; set; } = "data/rekor";

    /// <summary>Sqlite (default) or Postgres.</summary>
    public StorageProvider Storage { get; set; } = StorageProvider.Sqlite;

    /// <summary>PostgreSQL connection string (from the environment; never in appsettings).</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Request body limit in bytes; larger bodies get 413.</summary>
    public long MaxRequestBytes { get; set; } = DefaultMaxRequestBytes;

    /// <summary>The log signing key (SET and checkpoints): PKCS#11, a PEM file, or a generated development key.</summary>
    public SigningKeyOptions Key { get; set; } = new();

    /// <summary>Frozen shards, oldest first: they serve reads and count towards global indices.</summary>
    public List<RekorShardOptions> InactiveShards { get; set; } = [];

    /// <summary>Where the shards and the search index are kept.</summary>
    /// <summary>
    /// The witnesses asked to cosign each new checkpoint of the active shard (ECDSA note signatures, key type 0x02) and how
    /// many cosignatures it needs before it is published (N of M, fail open or closed). Off when no witness is listed.
    /// </summary>
    public CheckpointWitnessOptions Witnessing { get; set; } = new();

    /// <summary>Where the log is kept.</summary>
    public StorageOptions ToStorageOptions() => new() { Provider = Storage, DataDirectory = DataDirectory, PostgresConnectionString = PostgresConnectionString };

    /// <summary>Checks the settings; throws naming the first bad one.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Hostname) || Hostname.Any(char.IsWhiteSpace)) throw new ArgumentException("Rekor:Hostname must be a non-empty name without spaces");
        if (TreeId < 0) throw new ArgumentException("Rekor:TreeId must not be negative");
        if (MaxRequestBytes is < 1024 or > 64 * 1024 * 1024) throw new ArgumentException("Rekor:MaxRequestBytes must be in 1 KiB..64 MiB");
        ToStorageOptions().Validate(Section);
        (Witnessing ?? throw new ArgumentException("Rekor:Witnessing must not be null")).Validate(Section);
        foreach (var s in InactiveShards)
        {
            if (s.TreeId <= 0) throw new ArgumentException("Rekor:InactiveShards[].TreeId must be positive");
        }
    }
}

/// <summary>A frozen shard: its own store (same storage provider) and tree id, signed by the same log key.</summary>
public sealed class RekorShardOptions
{
    /// <summary>The shard's tree id.</summary>
    public long TreeId { get; set; }

    /// <summary>The shard's log id in the store (SQLite: file name under DataDirectory; PostgreSQL: log id).</summary>
    public string LogId { get; set; } = "";
}
