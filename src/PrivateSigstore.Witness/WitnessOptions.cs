using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Keys.Pkcs11;

namespace PrivateSigstore.Witness;

/// <summary>Settings of the witness (configuration section "Witness").</summary>
public sealed class WitnessOptions : PrivateSigstore.Hosting.IServiceOptions, PrivateSigstore.Hosting.IDataDirectoryOptions
{
    /// <summary>Secured at start (0700 / 0600): see <see cref="PrivateSigstore.Hosting.IDataDirectoryOptions"/>.</summary>
    string? PrivateSigstore.Hosting.IDataDirectoryOptions.SecuredDataDirectory => DataDirectory;

    /// <summary>The configuration section.</summary>
    public const string Section = "Witness";

    /// <summary>Default request body limit: 64 KiB (a checkpoint, 63 proof lines and a few signatures fit in a few KiB).</summary>
    public const long DefaultMaxRequestBytes = 64 * 1024;

    /// <summary>Where the latest cosigned checkpoint of each log is kept (one file per origin), and the development key.</summary>
    public string DataDirectory { get; set; } = "data/witness";

    /// <summary>The witness's key name, written in its cosignature lines (a schema-less URL, e.g. <c>witness.privatesigstore.local</c>).</summary>
    public string Name { get; set; } = "witness.privatesigstore.local";

    /// <summary>
    /// The cosigning key, Ed25519 (tlog-cosignature v1): PKCS#11 in production (<c>Key:KeyLabel</c> and <c>Key:Pkcs11</c>),
    /// a PEM file (<c>Key:KeyPath</c>), or nothing (a development key in <see cref="DataDirectory"/>, with a loud warning).
    /// </summary>
    public SigningKeyOptions Key { get; set; } = new() { Algorithm = SigningAlgorithm.Ed25519 };

    /// <summary>The logs this witness cosigns: an origin and the log's note verifier key.</summary>
    public List<WitnessLogOptions> Logs { get; set; } = [];

    /// <summary>
    /// Optional file of more known logs, one a line: a verifier key (<c>name+hex8+base64</c>; the origin is the key name)
    /// or <c>&lt;origin&gt; &lt;verifier key&gt;</c> (the verifier key is the last word, so origins may hold spaces, as
    /// Rekor v1's <c>"host - treeID"</c>). Blank lines and lines starting with <c>#</c> are ignored. Read at start-up.
    /// </summary>
    public string? LogsFile { get; set; }

    /// <summary>Request body limit in bytes; a larger body gets 413.</summary>
    public long MaxRequestBytes { get; set; } = DefaultMaxRequestBytes;

    /// <summary>Checks the settings, including every verifier key; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate() => _ = LoadKnownLogs();

    /// <summary>
    /// Validates the settings and returns the known logs, origin → verifiers (several keys per origin allowed, e.g. during a
    /// key rotation). Throws <see cref="ArgumentException"/> naming the bad setting.
    /// </summary>
    internal IReadOnlyDictionary<string, IReadOnlyList<INoteVerifier>> LoadKnownLogs()
    {
        if (string.IsNullOrWhiteSpace(DataDirectory)) throw new ArgumentException("Witness:DataDirectory must not be empty");
        if (!SignedNote.IsValidKeyName(Name)) throw new ArgumentException($"Witness:Name '{Name}' is not a valid note key name (non-empty, no spaces, no '+'), e.g. witness.example.com");
        if (Key is null) throw new ArgumentException("Witness:Key must not be null");
        if (Key.Algorithm != SigningAlgorithm.Ed25519) throw new ArgumentException($"Witness:Key:Algorithm must be Ed25519 (tlog-cosignature v1), not {Key.Algorithm}");
        if (MaxRequestBytes is < 4096 or > 1024 * 1024) throw new ArgumentException("Witness:MaxRequestBytes must be in 4 KiB..1 MiB");
        if (Logs is null) throw new ArgumentException("Witness:Logs must not be null");

        var known = new Dictionary<string, List<INoteVerifier>>(StringComparer.Ordinal);
        for (var i = 0; i < Logs.Count; i++)
        {
            var log = Logs[i] ?? throw new ArgumentException($"Witness:Logs:{i} is empty");
            Add(known, log.Origin, log.VerifierKey, $"Witness:Logs:{i}");
        }

        if (LogsFile is not null)
        {
            if (!File.Exists(LogsFile)) throw new ArgumentException($"Witness:LogsFile {LogsFile} does not exist");
            var lines = File.ReadAllLines(LogsFile);
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i].Trim();
                if (line.Length == 0 || line.StartsWith('#')) continue;
                var space = line.LastIndexOfAny([' ', '\t']);
                var origin = space < 0 ? null : line[..space].TrimEnd();
                var vkey = space < 0 ? line : line[(space + 1)..];
                Add(known, origin, vkey, $"Witness:LogsFile {LogsFile} line {i + 1}");
            }
        }

        return known.ToDictionary(static p => p.Key, static p => (IReadOnlyList<INoteVerifier>)p.Value, StringComparer.Ordinal);
    }

    private static void Add(Dictionary<string, List<INoteVerifier>> known, string? origin, string? verifierKey, string setting)
    {
        if (string.IsNullOrWhiteSpace(verifierKey)) throw new ArgumentException($"{setting}: VerifierKey is required (a note verifier key name+hex8+base64)");
        INoteVerifier verifier;
        try
        {
            verifier = NoteVerifierKeys.Parse(verifierKey.Trim());
        }
        catch (Core.WireFormatException e)
        {
            throw new ArgumentException($"{setting}: VerifierKey {e.Message}", e);
        }

        origin = string.IsNullOrEmpty(origin) ? verifier.Name : origin;
        if (origin.Any(static c => c < 0x20)) throw new ArgumentException($"{setting}: Origin holds a control character");
        if (!known.TryGetValue(origin, out var list)) known[origin] = list = [];
        if (list.Any(v => v.Name == verifier.Name && v.KeyHash == verifier.KeyHash)) throw new ArgumentException($"{setting}: the key {verifier.Name}+{verifier.KeyHash:x8} is listed twice for origin '{origin}'");
        list.Add(verifier);
    }
}

/// <summary>One known log (section "Witness:Logs:&lt;n&gt;").</summary>
public sealed class WitnessLogOptions
{
    /// <summary>The checkpoint origin line; when empty, the verifier key's name.</summary>
    public string? Origin { get; set; }

    /// <summary>
    /// The log's C2SP note verifier key, <c>&lt;name&gt;+&lt;hex key ID&gt;+&lt;base64(type || key)&gt;</c>: type 0x01 Ed25519
    /// (Rekor v2, tlog-tiles logs) or 0x02 ECDSA with a DER SubjectPublicKeyInfo (Rekor v1, our CT log and Rekor v2 with P-256).
    /// </summary>
    public string? VerifierKey { get; set; }
}
