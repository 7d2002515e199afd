using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Hosting;
using PrivateSigstore.Keys.Pkcs11;
using PrivateSigstore.Log;
using PrivateSigstore.Log.Storage;

namespace PrivateSigstore.Rekor.V2;

/// <summary>Settings of the Rekor v2 (rekor-tiles compatible) personality (configuration section "RekorV2").</summary>
public sealed class RekorV2Options : IServiceOptions, PrivateSigstore.Hosting.IDataDirectoryOptions
{
    /// <summary>Secured at start (0700 / 0600): see <see cref="PrivateSigstore.Hosting.IDataDirectoryOptions"/>.</summary>
    string? PrivateSigstore.Hosting.IDataDirectoryOptions.SecuredDataDirectory => DataDirectory;

    /// <summary>The configuration section.</summary>
    public const string Section = "RekorV2";

    /// <summary>Default request body limit: rekor-tiles <c>--max-request-body-size</c> (4 MiB).</summary>
    public const long DefaultMaxRequestBytes = 4 * 1024 * 1024;

    /// <summary>
    /// The checkpoint origin and the note key name: the bare host name clients are given in the log's base URL (no
    /// scheme, port or path), e.g. "log2026-1.rekor.example.com". sigstore-go checks origin == Hostname(baseUrl) and
    /// sigstore-js that the key name occurs in the base URL. It cannot change once the log has entries.
    /// </summary>
    public string Origin { get; set; } = "127.0.0.1";

    /// <summary>The log's id in the store (SQLite: the file name under <see cref="DataDirectory"/>; PostgreSQL: the log id).</summary>
    public string LogId { get; set; } = "rekor-v2";

    /// <summary>Directory for the embedded store and the development checkpoint key.</summary>
    public string DataDirectory { get; set; } = "data/rekor-v2";

    /// <summary>Sqlite (default) or Postgres.</summary>
    public StorageProvider Storage { get; set; } = StorageProvider.Sqlite;

    /// <summary>PostgreSQL connection string (from the environment; never in appsettings).</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>Request body limit in bytes; larger bodies get 413.</summary>
    public long MaxRequestBytes { get; set; } = DefaultMaxRequestBytes;

    /// <summary>
    /// The checkpoint key: Ed25519 by default (C2SP signed-note key type 0x01, as rekor-tiles), ECDSA P-256 as an option.
    /// In the HSM through PKCS#11 (CKM_EDDSA; SoftHSM2 2.6 has it), a PEM file, or a generated development key at
    /// <c>DataDirectory/checkpoint-key.pem</c> (with a loud warning).
    /// </summary>
    public SigningKeyOptions Key { get; set; } = new() { Algorithm = SigningAlgorithm.Ed25519 };

    /// <summary>
    /// Accept <c>dsseRequestV002</c> (default true, because sigstore-js 5 sends it for attestations). False refuses DSSE
    /// as rekor-tiles does since #744: 400 "invalid type, must be hashedrekord".
    /// </summary>
    public bool AcceptDsse { get; set; } = true;

    /// <summary>A frozen log: reads only; appends get 405 "This log has been frozen, please switch to the latest log."</summary>
    public bool ReadOnly { get; set; }

    /// <summary>Default <see cref="BatchMaxSize"/>: large, so that under load a checkpoint signature is shared by many entries.</summary>
    public const int DefaultBatchMaxSize = 4096;

    /// <summary>
    /// Most entries sequenced, integrated and covered by one checkpoint (one storage transaction). With group commit the
    /// checkpoint rate follows the load: each batch takes what queued while the previous one was written and signed.
    /// </summary>
    public int BatchMaxSize { get; set; } = DefaultBatchMaxSize;

    /// <summary>
    /// Longest time the first entry of a batch waits for others (the checkpoint interval at low load). Zero (default):
    /// group commit, a checkpoint per storage transaction, whatever queued while the previous one was written.
    /// </summary>
    public TimeSpan BatchMaxAge { get; set; } = LogOptions.DefaultBatchMaxAge;

    /// <summary>Entries waiting to be sequenced before appends are pushed back (503 + Retry-After).</summary>
    public int MaxOutstanding { get; set; } = LogOptions.DefaultMaxOutstanding;

    /// <summary>
    /// The witnesses asked to cosign each new checkpoint and how many cosignatures it needs before it is published (N of
    /// M, fail open or closed). Off when no witness is listed.
    /// </summary>
    public CheckpointWitnessOptions Witnessing { get; set; } = new();

    /// <summary>Where the log is kept.</summary>
    public StorageOptions ToStorageOptions() => new() { Provider = Storage, DataDirectory = DataDirectory, PostgresConnectionString = PostgresConnectionString };

    /// <summary>The engine settings of the log.</summary>
    public LogOptions ToLogOptions() => new()
    {
        Origin = Origin,
        ReadOnly = ReadOnly,
        BatchMaxSize = BatchMaxSize,
        BatchMaxAge = BatchMaxAge,
        MaxOutstanding = MaxOutstanding,
        // Entry bundles prefix each entry with a uint16 length (Tessera DefaultEntrySizeLimit).
        MaxLeafSize = Entries.V2.RekorV2EntryPolicy.MaxEntryBytes,
    };

    /// <summary>Checks the settings; throws naming the first bad one.</summary>
    public void Validate()
    {
        if (!SignedNote.IsValidKeyName(Origin) || Origin.Contains('/', StringComparison.Ordinal) || Origin.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException("RekorV2:Origin must be a bare host name (no scheme, port, path or spaces), e.g. log2026-1.rekor.example.com");
        }
        if (string.IsNullOrWhiteSpace(LogId) || LogId.IndexOfAny(['/', '\\', ' ']) >= 0) throw new ArgumentException("RekorV2:LogId must be a non-empty name without slashes or spaces");
        if (MaxRequestBytes is < 1024 or > 64 * 1024 * 1024) throw new ArgumentException("RekorV2:MaxRequestBytes must be in 1 KiB..64 MiB");
        if (Key is null) throw new ArgumentException("RekorV2:Key is required");
        if (Key.Algorithm is not (SigningAlgorithm.Ed25519 or SigningAlgorithm.EcdsaP256Sha256)) throw new ArgumentException("RekorV2:Key:Algorithm must be Ed25519 (default) or EcdsaP256Sha256");
        ToStorageOptions().Validate(Section);
        (Witnessing ?? throw new ArgumentException("RekorV2:Witnessing must not be null")).Validate(Section);
        try
        {
            ToLogOptions().Validate();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException("RekorV2: " + e.Message.Replace("Log:", "", StringComparison.Ordinal), e);
        }
    }
}
