using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Core.Trust;

namespace PrivateSigstore.Client.Verification;

/// <summary>A trusted transparency or CT log: its key, identity and validity.</summary>
/// <param name="LogId">The log ID (SHA-256 of the DER SubjectPublicKeyInfo for v1 logs).</param>
/// <param name="SubjectPublicKeyInfo">The log's public key, DER.</param>
/// <param name="KeyDetails">The key's algorithm.</param>
/// <param name="ValidFor">When the key may be used (a missing start means never).</param>
/// <param name="BaseUrl">The log's URL.</param>
public sealed record TrustedLogKey(byte[] LogId, byte[] SubjectPublicKeyInfo, PublicKeyDetails KeyDetails, TimeRange? ValidFor, string BaseUrl)
{
    /// <summary>True when <paramref name="time"/> lies in <see cref="ValidFor"/>, both ends inclusive.</summary>
    public bool ValidAt(DateTimeOffset time) => TrustedMaterial.Covers(ValidFor, time);

    /// <summary>
    /// The key's verifiers, imported on first use: a cold <c>psig verify-blob</c> reads a trusted root with many keys
    /// and uses one or two of them (importing an EC key validates its point, a scalar multiplication per key).
    /// </summary>
    internal Lazy<(ECDsa? Ecdsa, INoteVerifier? Note)>? Verifiers { get; init; }

    /// <summary>The key imported once, when it is ECDSA (SETs, checkpoints and SCTs are ECDSA); null otherwise.</summary>
    internal ECDsa? EcdsaKey => Verifiers?.Value.Ecdsa;

    /// <summary>The checkpoint verifier (ECDSA, or Ed25519 for Rekor v2 logs) named by the base URL's host; null for other keys.</summary>
    internal INoteVerifier? NoteVerifier => Verifiers?.Value.Note;
}

/// <summary>A trusted certificate authority: its chain (intermediates first, root last) and validity.</summary>
public sealed class TrustedCertificateAuthority
{
    internal TrustedCertificateAuthority(CertificateAuthority authority, bool timestampAuthority = false)
    {
        var certificates = authority.CertChain?.Certificates ?? [];
        if (certificates.Count == 0)
        {
            throw new WireFormatException("trusted root: a certificate authority has an empty certChain");
        }
        Chain = [.. certificates.Select(c => X509CertificateLoader.LoadCertificate(c.RawBytes))];
        ValidFor = authority.ValidFor;
        Uri = authority.Uri;
        // A Fulcio CA's chain issues leaves; a TSA's chain starts with its signing certificate, issued by the rest.
        // The chain is checked on first use (CertificatePath records a problem rather than throwing), so a
        // verification that needs no CA (a key-based bundle) does not pay for checking every CA in the root.
        _path = new Lazy<CertificatePath?>(() => !timestampAuthority ? new CertificatePath(Chain)
            : Chain.Count > 1 ? new CertificatePath([.. Chain.Skip(1)], CertificatePath.TimeStamping)
            : null);
    }

    private readonly Lazy<CertificatePath?> _path;

    /// <summary>The checked chain leaves (or, for a TSA, its signing certificate) are validated against; null for a lone TSA certificate.</summary>
    internal CertificatePath? Path => _path.Value;

    /// <summary>The chain: intermediates first, the root last.</summary>
    public IReadOnlyList<X509Certificate2> Chain { get; }

    /// <summary>When the CA may issue.</summary>
    public TimeRange? ValidFor { get; }

    /// <summary>The CA's URL.</summary>
    public string Uri { get; }
}

/// <summary>
/// The trust material a verifier checks bundles against, read from a <c>trusted_root.json</c> (sigstore-go
/// <c>root.TrustedMaterial</c>): Fulcio CAs, Rekor logs by log ID, CT logs by log ID.
/// </summary>
public sealed class TrustedMaterial
{
    private readonly Dictionary<string, TrustedLogKey> _tlogs;
    private readonly Dictionary<string, TrustedLogKey> _ctlogs;

    /// <summary>Builds the material from a parsed trusted root.</summary>
    /// <exception cref="WireFormatException">A certificate or key in it does not parse.</exception>
    /// <summary>Where this trust came from, for messages (a file, a TUF repository, the embedded root); null when not said.</summary>
    public string? Source { get; init; }

    /// <summary>True for the embedded public-good root (messages then suggest the stack's own trusted root).</summary>
    public bool IsPublicGoodDefault { get; init; }

    public TrustedMaterial(TrustedRoot root)
    {
        ArgumentNullException.ThrowIfNull(root);
        TrustedRoot = root;
        CertificateAuthorities = [.. root.CertificateAuthorities.Select(ca => new TrustedCertificateAuthority(ca))];
        TimestampAuthorities = [.. root.TimestampAuthorities.Select(ca => new TrustedCertificateAuthority(ca, timestampAuthority: true))];
        _tlogs = Index(root.Tlogs);
        _ctlogs = Index(root.Ctlogs);
    }

    /// <summary>The trusted root this material was built from.</summary>
    public TrustedRoot TrustedRoot { get; }

    /// <summary>The Fulcio certificate authorities.</summary>
    public IReadOnlyList<TrustedCertificateAuthority> CertificateAuthorities { get; }

    /// <summary>The RFC 3161 timestamp authorities.</summary>
    public IReadOnlyList<TrustedCertificateAuthority> TimestampAuthorities { get; }

    /// <summary>The transparency logs.</summary>
    public IReadOnlyCollection<TrustedLogKey> TransparencyLogs => _tlogs.Values;

    /// <summary>Reads <c>trusted_root.json</c> from a file.</summary>
    public static TrustedMaterial Load(string path)
    {
        using var stream = File.OpenRead(path);
        return new TrustedMaterial(TrustedRootJson.Parse(stream));
    }

    /// <summary>The transparency log with this log ID, or null.</summary>
    public TrustedLogKey? FindTransparencyLog(ReadOnlySpan<byte> logId) => _tlogs.GetValueOrDefault(Convert.ToHexStringLower(logId));

    /// <summary>The CT log with this log ID, or null.</summary>
    public TrustedLogKey? FindCtLog(ReadOnlySpan<byte> logId) => _ctlogs.GetValueOrDefault(Convert.ToHexStringLower(logId));

    /// <summary>
    /// True when <paramref name="time"/> lies in <paramref name="range"/>, both ends inclusive. A range without a
    /// start covers nothing: the conformance suite expects such keys to be rejected
    /// (trust-root-tlog-missing-validity-start_fail).
    /// </summary>
    internal static bool Covers(TimeRange? range, DateTimeOffset time) =>
        range?.Start is { } start && start.ToDateTimeOffset() <= time
        && (range.End is not { } end || time <= end.ToDateTimeOffset());

    /// <summary>The host of a log's base URL (Go <c>url.Hostname()</c>): the checkpoint key name and origin of a Rekor v2 log.</summary>
    internal static string HostName(string baseUrl) =>
        Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) && uri.Host.Length > 0 ? uri.Host : "log";

    private static string? Algorithm(byte[] key)
    {
        try
        {
            return PublicKeyInfo.Validate(key);
        }
        catch (WireFormatException)
        {
            // PKCS#1 RSA keys (PKCS1_RSA_PKCS1V5) and other encodings: not usable for SETs, checkpoints or SCTs here.
            return null;
        }
    }

    private static (ECDsa? Ecdsa, INoteVerifier? Note) Import(string name, byte[] key)
    {
        var algorithm = Algorithm(key);
        if (algorithm == PublicKeyInfo.EcPublicKeyOid)
        {
            return ((ECDsa)PublicKeyInfo.ImportForVerification(key), new EcdsaNoteVerifier(name, key));
        }
        if (algorithm == PublicKeyInfo.Ed25519Oid)
        {
            try
            {
                return (null, Ed25519NoteVerifier.FromSubjectPublicKeyInfo(name, key));
            }
            catch (WireFormatException)
            {
                // Not a point on the curve: the log's checkpoints cannot be verified with it (said where it is used).
            }
        }
        return (null, null);
    }

    private static Dictionary<string, TrustedLogKey> Index(IEnumerable<TransparencyLogInstance> logs)
    {
        var result = new Dictionary<string, TrustedLogKey>(StringComparer.Ordinal);
        foreach (var log in logs)
        {
            if (log.LogId is not { KeyId.Length: > 0 } logId || log.PublicKey?.RawBytes is not { Length: > 0 } key)
            {
                continue;
            }
            var name = HostName(log.BaseUrl);
            result[Convert.ToHexStringLower(logId.KeyId)] =
                new TrustedLogKey(logId.KeyId, key, log.PublicKey.KeyDetails, log.PublicKey.ValidFor, log.BaseUrl) { Verifiers = new(() => Import(name, key)) };
        }
        return result;
    }
}
