using System.Formats.Asn1;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Core.Ct;

namespace PrivateSigstore.Explorer;

/// <summary>One embedded SCT: which log, when, and the CT entry it points to (when the log is known).</summary>
internal sealed record SctView(string LogIdHex, DateTimeOffset Time, string? LogName, string? LeafHashHex);

/// <summary>A certificate in human terms. Every string here is untrusted text from the certificate: pages encode it.</summary>
internal sealed record CertificateView(
    string Subject,
    string Issuer,
    string SerialHex,
    DateTimeOffset NotBefore,
    DateTimeOffset NotAfter,
    IReadOnlyList<(string Type, string Value)> SubjectAltNames,
    string? OidcIssuer,
    IReadOnlyList<(string Name, string Oid, string Value)> SigstoreExtensions,
    IReadOnlyList<SctView> Scts,
    string Sha256Fingerprint,
    string KeyAlgorithm,
    bool IsPrecertificate,
    string Pem)
{
    // Names as Fulcio's OID registry (docs/oid-info.md) gives them.
    private static readonly (string Oid, string Name, bool Raw)[] Names =
    [
        (SigstoreOids.Issuer, "Issuer (deprecated)", true),
        (SigstoreOids.GithubWorkflowTrigger, "GitHub Workflow Trigger (deprecated)", true),
        (SigstoreOids.GithubWorkflowSha, "GitHub Workflow SHA (deprecated)", true),
        (SigstoreOids.GithubWorkflowName, "GitHub Workflow Name (deprecated)", true),
        (SigstoreOids.GithubWorkflowRepository, "GitHub Workflow Repository (deprecated)", true),
        (SigstoreOids.GithubWorkflowRef, "GitHub Workflow Ref (deprecated)", true),
        (SigstoreOids.IssuerV2, "Issuer (V2)", false),
        (SigstoreOids.BuildSignerUri, "Build Signer URI", false),
        (SigstoreOids.BuildSignerDigest, "Build Signer Digest", false),
        (SigstoreOids.RunnerEnvironment, "Runner Environment", false),
        (SigstoreOids.SourceRepositoryUri, "Source Repository URI", false),
        (SigstoreOids.SourceRepositoryDigest, "Source Repository Digest", false),
        (SigstoreOids.SourceRepositoryRef, "Source Repository Ref", false),
        (SigstoreOids.SourceRepositoryIdentifier, "Source Repository Identifier", false),
        (SigstoreOids.SourceRepositoryOwnerUri, "Source Repository Owner URI", false),
        (SigstoreOids.SourceRepositoryOwnerIdentifier, "Source Repository Owner Identifier", false),
        (SigstoreOids.BuildConfigUri, "Build Config URI", false),
        (SigstoreOids.BuildConfigDigest, "Build Config Digest", false),
        (SigstoreOids.BuildTrigger, "Build Trigger", false),
        (SigstoreOids.RunInvocationUri, "Run Invocation URI", false),
        (SigstoreOids.SourceRepositoryVisibilityAtSigning, "Source Repository Visibility At Signing", false),
        (SigstoreOids.DeploymentEnvironment, "Deployment Environment", false),
        (SigstoreOids.TokenSubject, "Token Subject", false),
    ];

    public bool ValidAt(DateTimeOffset time) => time >= NotBefore && time <= NotAfter;

    /// <summary>The identity shown in result lists: the first SAN, or the subject.</summary>
    public string Identity => SubjectAltNames.Count > 0 ? SubjectAltNames[0].Value : Subject;

    public static X509Certificate2? TryLoad(byte[] der)
    {
        try
        {
            return X509CertificateLoader.LoadCertificate(der);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>Reads <paramref name="der"/>; null when it is no certificate. <paramref name="ctLogs"/> names known CT logs by log ID.</summary>
    public static CertificateView? Read(byte[] der, IReadOnlyDictionary<string, string>? ctLogs = null, IReadOnlyList<byte[]>? issuerCandidates = null)
    {
        using var cert = TryLoad(der);
        if (cert is null) return null;
        var sans = new List<(string, string)>();
        try
        {
            var names = Core.Certificates.SubjectAltNames.Read(cert);
            sans.AddRange(names.Emails.Select(e => ("Email", e)));
            sans.AddRange(names.Uris.Select(u => ("URI", u)));
            sans.AddRange(names.Usernames.Select(u => ("Username (otherName)", u)));
        }
        catch (Exception e) when (e is Core.WireFormatException or CryptographicException or AsnContentException)
        {
            sans.Add(("Unreadable", e.Message));
        }
        foreach (var ext in cert.Extensions.OfType<X509SubjectAlternativeNameExtension>())
        {
            foreach (var dns in ext.EnumerateDnsNames()) sans.Add(("DNS", dns));
        }
        var extensions = new List<(string, string, string)>();
        string? issuer = null;
        foreach (var (oid, name, raw) in Names)
        {
            if (cert.Extensions[oid] is not { } ext) continue;
            var value = Decode(ext.RawData, raw);
            extensions.Add((name, oid, value));
            if (oid is SigstoreOids.IssuerV2 || (oid is SigstoreOids.Issuer && issuer is null)) issuer = value;
        }
        var scts = new List<SctView>();
        if (cert.Extensions[SigstoreOids.SctList] is { } sctExt)
        {
            try
            {
                foreach (var sct in SctList.FromExtension(sctExt))
                {
                    var id = Convert.ToHexStringLower(sct.LogId);
                    string? leafHash = null;
                    if (issuerCandidates is { Count: > 0 }) leafHash = PrecertLeafHash(der, sct, issuerCandidates);
                    scts.Add(new SctView(id, DateTimeOffset.FromUnixTimeMilliseconds((long)sct.Timestamp), ctLogs?.GetValueOrDefault(id), leafHash));
                }
            }
            catch (Exception e) when (e is Core.WireFormatException or CryptographicException or AsnContentException or ArgumentException)
            {
                // shown as "no readable SCTs"
            }
        }
        var algorithm = cert.PublicKey.Oid.Value switch
        {
            "1.2.840.10045.2.1" => "ECDSA " + (cert.GetECDsaPublicKey()?.KeySize.ToString(CultureInfo.InvariantCulture) ?? "") + " bits",
            "1.2.840.113549.1.1.1" => "RSA " + (cert.GetRSAPublicKey()?.KeySize.ToString(CultureInfo.InvariantCulture) ?? "") + " bits",
            "1.3.101.112" => "Ed25519",
            var other => other ?? "unknown",
        };
        return new CertificateView(
            cert.Subject, cert.Issuer, cert.SerialNumber.ToLowerInvariant(),
            new DateTimeOffset(cert.NotBefore.ToUniversalTime()), new DateTimeOffset(cert.NotAfter.ToUniversalTime()),
            sans, issuer, extensions, scts, Convert.ToHexStringLower(SHA256.HashData(der)), algorithm,
            cert.Extensions[SigstoreOids.CtPoison] is not null,
            PemEncoding.WriteString("CERTIFICATE", der));
    }

    /// <summary>
    /// The CT log leaf hash an embedded SCT signs (RFC 6962 §3.4): a precert entry over the TBS without the SCT list,
    /// with the issuer key hash. The issuer is found among <paramref name="issuers"/> by signature.
    /// </summary>
    private static string? PrecertLeafHash(byte[] der, SignedCertificateTimestamp sct, IReadOnlyList<byte[]> issuers)
    {
        using var cert = X509CertificateLoader.LoadCertificate(der);
        foreach (var issuerDer in issuers)
        {
            using var issuer = TryLoad(issuerDer);
            if (issuer is null || issuer.SubjectName.RawData.AsSpan().SequenceEqual(cert.IssuerName.RawData) is false) continue;
            var tbs = Precertificate.GetTbsWithoutSctList(der);
            var leaf = MerkleTreeLeaf.ForPrecert(sct.Timestamp, SHA256.HashData(issuer.PublicKey.ExportSubjectPublicKeyInfo()), tbs, sct.Extensions);
            return Convert.ToHexStringLower(Core.Merkle.Rfc6962.HashLeaf(leaf.Serialize()));
        }
        return null;
    }

    private static string Decode(byte[] raw, bool rawUtf8)
    {
        try
        {
            if (rawUtf8) return new UTF8Encoding(false, true).GetString(raw);
            var reader = new AsnReader(raw, AsnEncodingRules.DER);
            var text = reader.ReadCharacterString(UniversalTagNumber.UTF8String);
            reader.ThrowIfNotEmpty();
            return text;
        }
        catch (Exception e) when (e is AsnContentException or DecoderFallbackException or CryptographicException)
        {
            return "(unreadable: " + Convert.ToHexStringLower(raw.AsSpan(0, Math.Min(raw.Length, 64))) + ")";
        }
    }

    public static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
