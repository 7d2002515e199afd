using PrivateSigstore.Hosting;
using PrivateSigstore.Keys;
using PrivateSigstore.Log.Storage;
using PrivateSigstore.Keys.Pkcs11;

namespace PrivateSigstore.CtLog;

/// <summary>Settings of the Certificate Transparency log (configuration section "CtLog").</summary>
public sealed class CtLogOptions : IServiceOptions, PrivateSigstore.Hosting.IDataDirectoryOptions
{
    /// <summary>Secured at start (0700 / 0600): see <see cref="PrivateSigstore.Hosting.IDataDirectoryOptions"/>.</summary>
    string? PrivateSigstore.Hosting.IDataDirectoryOptions.SecuredDataDirectory => DataDirectory;

    /// <summary>The configuration section.</summary>
    public const string Section = "CtLog";

    /// <summary>The EKU Fulcio certificates carry: id-kp-codeSigning.</summary>
    public const string CodeSigningEku = "1.3.6.1.5.5.7.3.3";

    /// <summary>Default request body limit (512 KiB): a chain of <see cref="DefaultMaxChainLength"/> large certificates, base64.</summary>
    public const long DefaultMaxRequestBytes = 512 * 1024;

    /// <summary>Default longest accepted chain, leaf included.</summary>
    public const int DefaultMaxChainLength = 10;

    /// <summary>Default most entries one get-entries answers (ctfe's default max_get_entries is 1000; we page smaller).</summary>
    public const int DefaultMaxGetEntries = 256;

    /// <summary>
    /// Optional log prefix: with "test" the API is served at <c>/test/ct/v1/...</c> as well as at <c>/ct/v1/...</c>
    /// (Fulcio's default --ct-log-url is http://localhost:6962/test).
    /// </summary>
    public string? Prefix { get; set; }

    /// <summary>The checkpoint origin of the underlying tree (the engine's own C2SP checkpoints). Cannot change once the log has entries.</summary>
    public string Origin { get; set; } = "privatesigstore-ctlog";

    /// <summary>Directory for the embedded stores and the development key.</summary>
    public string DataDirectory { get; set; } = "data/ctlog";

    /// <summary>Sqlite (default) or Postgres.</summary>
    public StorageProvider Storage { get; set; } = StorageProvider.Sqlite;

    /// <summary>Where the tree and the chain store are kept.</summary>
    public StorageOptions ToStorageOptions() => new() { Provider = Storage, DataDirectory = DataDirectory, PostgresConnectionString = PostgresConnectionString };

    /// <summary>PostgreSQL connection string (from the environment; never in appsettings).</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>The log id in the store (SQLite: file name under <see cref="DataDirectory"/>; PostgreSQL: log id column).</summary>
    public string LogId { get; set; } = "ctlog";

    /// <summary>PEM bundle of the roots submissions must chain to (ctfe --roots_pem_file).</summary>
    public string? RootsPemFile { get; set; }

    /// <summary>
    /// Witnesses asked to cosign the log's checkpoints (a C2SP signed note over the same tree as the STH, ECDSA key type
    /// 0x02, origin <see cref="Origin"/>), served at <c>GET /checkpoint</c> as static-ct-api logs do. RFC 6962 STHs
    /// cannot carry cosignatures. Off when no witness is listed.
    /// </summary>
    public PrivateSigstore.Log.CheckpointWitnessOptions Witnessing { get; set; } = new();

    /// <summary>Further trusted roots as PEM text, for hosts that pass them in process (the Stack) and for tests.</summary>
    public string? RootsPem { get; set; }

    /// <summary>
    /// EKUs the leaf may carry, comma-separated (ctfe / TesseraCT --ext_key_usages): dotted OIDs or the names
    /// CodeSigning, ServerAuth, ClientAuth, EmailProtection, TimeStamping. The leaf must carry one of them, or
    /// anyExtendedKeyUsage, or no EKU extension at all (Go x509 treats that as any usage). "Any" (or empty) accepts
    /// every EKU. Default: CodeSigning, what Fulcio issues.
    /// </summary>
    public string ExtKeyUsages { get; set; } = "CodeSigning";

    /// <summary>The OIDs of <see cref="ExtKeyUsages"/>; empty means any.</summary>
    public IReadOnlyList<string> AllowedExtKeyUsages()
    {
        var list = new List<string>();
        foreach (var item in ExtKeyUsages.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var oid = item.ToUpperInvariant() switch
            {
                "ANY" => null,
                "CODESIGNING" => CodeSigningEku,
                "SERVERAUTH" => "1.3.6.1.5.5.7.3.1",
                "CLIENTAUTH" => "1.3.6.1.5.5.7.3.2",
                "EMAILPROTECTION" => "1.3.6.1.5.5.7.3.4",
                "TIMESTAMPING" => "1.3.6.1.5.5.7.3.8",
                _ when item.All(c => char.IsAsciiDigit(c) || c == '.') && item.Contains('.', StringComparison.Ordinal) => item,
                _ => throw new ArgumentException($"CtLog:ExtKeyUsages: '{item}' is neither a dotted OID nor a known EKU name"),
            };
            if (oid is null) return [];
            list.Add(oid);
        }
        return list;
    }

    /// <summary>Longest accepted chain, leaf included.</summary>
    public int MaxChainLength { get; set; } = DefaultMaxChainLength;

    /// <summary>Request body limit in bytes; larger bodies get 413.</summary>
    public long MaxRequestBytes { get; set; } = DefaultMaxRequestBytes;

    /// <summary>Most entries in one get-entries answer; larger ranges are truncated (RFC 6962 §4.6 allows it).</summary>
    public int MaxGetEntries { get; set; } = DefaultMaxGetEntries;

    /// <summary>
    /// The maximum merge delay promised by every SCT. The engine integrates an entry before its SCT is returned, so
    /// the real delay is one batch; the setting is what is published to monitors.
    /// </summary>
    public int MaxMergeDelaySeconds { get; set; } = 60;

    /// <summary>
    /// With PostgreSQL: how often a replica reads the shared store for appends made by the other replicas (default
    /// 1,000 ms), so that its STH, get-entries and proofs include them. Appends never wait for it.
    /// </summary>
    public int RefreshIntervalMilliseconds { get; set; } = 1000;

    /// <summary>The log key (SCTs and STHs): PKCS#11, a PEM file, or a generated development key. ECDSA P-256.</summary>
    public SigningKeyOptions Key { get; set; } = new();

    /// <summary>Checks the settings; throws naming the first bad one.</summary>
    public void Validate()
    {
        if (Prefix is not null && (Prefix.Length == 0 || Prefix.Length > 64 || !Prefix.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') || Prefix == "ct"))
        {
            throw new ArgumentException("CtLog:Prefix must be 1..64 characters of [A-Za-z0-9._-] (and not \"ct\")");
        }
        if (string.IsNullOrWhiteSpace(Origin) || Origin.Contains('\n', StringComparison.Ordinal)) throw new ArgumentException("CtLog:Origin must be a non-empty single line");
        (Witnessing ?? throw new ArgumentException("CtLog:Witnessing must not be null")).Validate("CtLog");
        if (string.IsNullOrWhiteSpace(LogId) || LogId.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))) throw new ArgumentException("CtLog:LogId must be non-empty [A-Za-z0-9_-]");
        ToStorageOptions().Validate(Section);
        if (RootsPemFile is not null && !File.Exists(RootsPemFile)) throw new ArgumentException($"CtLog:RootsPemFile {RootsPemFile} does not exist");
        _ = AllowedExtKeyUsages();
        if (MaxChainLength is < 1 or > 32) throw new ArgumentException("CtLog:MaxChainLength must be in 1..32");
        if (MaxRequestBytes is < 1024 or > 16 * 1024 * 1024) throw new ArgumentException("CtLog:MaxRequestBytes must be in 1 KiB..16 MiB");
        if (MaxGetEntries is < 1 or > 1000) throw new ArgumentException("CtLog:MaxGetEntries must be in 1..1000");
        if (MaxMergeDelaySeconds is < 1 or > 86_400) throw new ArgumentException("CtLog:MaxMergeDelaySeconds must be in 1..86400");
        // A replica must see the others' entries well within the merge delay its SCTs promise.
        if (RefreshIntervalMilliseconds < 100 || RefreshIntervalMilliseconds > MaxMergeDelaySeconds * 1000 / 2) throw new ArgumentException("CtLog:RefreshIntervalMilliseconds must be in 100..(MaxMergeDelaySeconds × 500)");
    }
}
