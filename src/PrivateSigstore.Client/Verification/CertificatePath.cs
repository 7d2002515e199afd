using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Ct;
using PrivateSigstore.Core.Pem;
using Ed25519 = PrivateSigstore.Core.Crypto.Ed25519;

namespace PrivateSigstore.Client.Verification;

/// <summary>
/// Path validation of a Fulcio leaf against one trusted CA chain at a given time, with the checks Go's
/// <c>x509.Certificate.Verify</c> makes for sigstore-go (<c>root.FulcioCertificateAuthority.Verify</c>): the leaf's issuer
/// name is the first CA certificate's subject and its signature verifies with that key; every certificate is valid at
/// the time; the leaf allows code signing (and no CA certificate's EKU forbids it); the leaf has no unhandled critical
/// extension. The CA chain itself (issuer signatures below the anchor, basicConstraints cA, keyCertSign) is checked once,
/// on first use of the CA. This replaces <see cref="X509Chain"/>, which builds through OpenSSL stores at ~2 ms a call.
/// </summary>
internal sealed class CertificatePath
{
    // Extensions Go's verifier handles; any other critical extension makes the leaf unusable (x509 UnhandledCriticalExtension).
    private static readonly HashSet<string> HandledCritical = ["2.5.29.15", "2.5.29.19", "2.5.29.17", "2.5.29.37", "2.5.29.30", "2.5.29.32"];
    /// <summary>The code-signing EKU Fulcio leaves carry.</summary>
    public const string CodeSigning = "1.3.6.1.5.5.7.3.3";

    /// <summary>The time-stamping EKU TSA signing certificates carry.</summary>
    public const string TimeStamping = "1.3.6.1.5.5.7.3.8";
    private const string AnyExtendedKeyUsage = "2.5.29.37.0";

    private readonly IReadOnlyList<X509Certificate2> _chain;
    private readonly byte[] _issuerSpki;
    private readonly byte[] _issuerSubject;
    private readonly object? _issuerKey;
    private readonly string _usage;

    /// <summary>
    /// Checks the CA chain (intermediates first, root last); <see cref="Problem"/> says why it is unusable, if it is.
    /// Leaves must allow <paramref name="usage"/> (an EKU OID).
    /// </summary>
    public CertificatePath(IReadOnlyList<X509Certificate2> chain, string usage = CodeSigning)
    {
        _chain = chain;
        _usage = usage;
        var issuer = chain[0];
        _issuerSpki = issuer.PublicKey.ExportSubjectPublicKeyInfo();
        _issuerSubject = issuer.SubjectName.RawData;
        try
        {
            _issuerKey = ImportKey(_issuerSpki);
            Problem = CheckCaChain(chain);
        }
        catch (Exception e) when (e is CryptographicException or WireFormatException or AsnContentException)
        {
            Problem = "CA key does not import: " + e.Message;
        }
    }

    /// <summary>Why the CA chain cannot be used, or null.</summary>
    public string? Problem { get; }

    /// <summary>The certificate that issues leaves (the first in the chain).</summary>
    public X509Certificate2 Issuer => _chain[0];

    /// <summary>DER SubjectPublicKeyInfo of <see cref="Issuer"/> (the SCT issuer key hash input).</summary>
    public byte[] IssuerSubjectPublicKeyInfo => _issuerSpki;

    /// <summary>Null when <paramref name="leaf"/> chains to this CA and everything is valid at <paramref name="time"/>; else why not.</summary>
    public string? Validate(X509Certificate2 leaf, DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(leaf);
        LeafCertificate parsed;
        try
        {
            parsed = LeafCertificate.Parse(leaf.RawData);
        }
        catch (Exception e) when (e is Core.WireFormatException or CryptographicException)
        {
            return $"\"{leaf.Subject}\" does not parse: {e.Message}";
        }

        return Validate(parsed, time);
    }

    /// <summary>As above, for a leaf parsed in managed code.</summary>
    public string? Validate(LeafCertificate leaf, DateTimeOffset time)
    {
        if (Problem is not null)
        {
            return Problem;
        }
        if (!leaf.RawIssuer.SequenceEqual(_issuerSubject))
        {
            return $"issuer \"{leaf.Issuer}\" is not the CA \"{Issuer.Subject}\"";
        }
        if (!VerifySignedBy(leaf.RawData, _issuerKey))
        {
            return "the leaf's signature does not verify with the CA's key";
        }
        if (time < leaf.NotBefore || time > leaf.NotAfter)
        {
            return $"\"{leaf.Subject}\" is not valid at {time:O} (valid {leaf.NotBefore:O} to {leaf.NotAfter:O})";
        }
        foreach (var certificate in _chain)
        {
            if (time < certificate.NotBefore.ToUniversalTime() || time > certificate.NotAfter.ToUniversalTime())
            {
                return $"\"{certificate.Subject}\" is not valid at {time:O} (valid {certificate.NotBefore.ToUniversalTime():O} to {certificate.NotAfter.ToUniversalTime():O})";
            }
        }
        foreach (var extension in leaf.Extensions)
        {
            if (extension.Critical && !HandledCritical.Contains(extension.Oid?.Value ?? ""))
            {
                return $"unhandled critical extension {extension.Oid?.Value}";
            }
        }
        return Allows(leaf.Extensions, _usage) && _chain.All(c => Allows(c.Extensions.Cast<X509Extension>(), _usage)) ? null : $"{_usage} is not an allowed extended key usage";
    }

    private static string? CheckCaChain(IReadOnlyList<X509Certificate2> chain)
    {
        for (var i = 0; i < chain.Count; i++)
        {
            var certificate = chain[i];
            var constraints = certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
            if (constraints is not { CertificateAuthority: true })
            {
                return $"\"{certificate.Subject}\" is not a CA certificate";
            }
            var usage = certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
            if (usage is not null && !usage.KeyUsages.HasFlag(X509KeyUsageFlags.KeyCertSign))
            {
                return $"\"{certificate.Subject}\" may not sign certificates";
            }
            // pathLenConstraint: at most that many CA certificates below this one (the leaf is not counted).
            if (constraints.HasPathLengthConstraint && constraints.PathLengthConstraint < i)
            {
                return $"\"{certificate.Subject}\" path length constraint {constraints.PathLengthConstraint} exceeded";
            }
            var signer = i + 1 < chain.Count ? chain[i + 1] : certificate;
            // The last certificate is the trust anchor: as in Go's x509 (and so sigstore-go), its own signature is not
            // checked — the trusted root vouches for it, and a self-signature adds nothing (one P-384 verification saved).
            if (!certificate.IssuerName.RawData.AsSpan().SequenceEqual(signer.SubjectName.RawData)
                || (i + 1 < chain.Count && !VerifySignedBy(certificate.RawData, ImportKey(signer.PublicKey.ExportSubjectPublicKeyInfo()))))
            {
                return $"\"{certificate.Subject}\" is not signed by \"{signer.Subject}\"";
            }
        }
        return null;
    }

    private static bool Allows(IEnumerable<X509Extension> extensions, string usage)
    {
        var eku = extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        return eku is null || eku.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == usage || o.Value == AnyExtendedKeyUsage);
    }

    // Keys are shared process-wide (PublicKeyInfo.ImportForVerification): a chain's keys are imported, and their points
    // validated, once, however many CAs and certificates name them.
    private static object ImportKey(byte[] spki) => PublicKeyInfo.ImportForVerification(spki);

    /// <summary>Verifies the signature of a DER certificate with the issuer's key, per its signatureAlgorithm.</summary>
    private static bool VerifySignedBy(byte[] certificateDer, object? issuerKey)
    {
        try
        {
            var tbs = Precertificate.ExtractTbs(certificateDer);
            var certificate = new AsnReader(certificateDer, AsnEncodingRules.DER).ReadSequence();
            certificate.ReadEncodedValue();
            var algorithm = certificate.ReadSequence().ReadObjectIdentifier();
            var signature = certificate.ReadBitString(out _);
            return (algorithm, issuerKey) switch
            {
                ("1.2.840.10045.4.3.2", ECDsa ec) => ec.VerifyData(tbs, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence),
                ("1.2.840.10045.4.3.3", ECDsa ec) => ec.VerifyData(tbs, signature, HashAlgorithmName.SHA384, DSASignatureFormat.Rfc3279DerSequence),
                ("1.2.840.10045.4.3.4", ECDsa ec) => ec.VerifyData(tbs, signature, HashAlgorithmName.SHA512, DSASignatureFormat.Rfc3279DerSequence),
                ("1.2.840.113549.1.1.11", RSA rsa) => rsa.VerifyData(tbs, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
                ("1.2.840.113549.1.1.12", RSA rsa) => rsa.VerifyData(tbs, signature, HashAlgorithmName.SHA384, RSASignaturePadding.Pkcs1),
                ("1.2.840.113549.1.1.13", RSA rsa) => rsa.VerifyData(tbs, signature, HashAlgorithmName.SHA512, RSASignaturePadding.Pkcs1),
                ("1.3.101.112", byte[] ed) => Ed25519.Verify(ed, tbs, signature),
                _ => false,
            };
        }
        catch (Exception e) when (e is CryptographicException or WireFormatException or AsnContentException)
        {
            return false;
        }
    }
}
