using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Certificates;

namespace PrivateSigstore.Client.Verification;

/// <summary>
/// The bundle's signing certificate, parsed in managed code (Core's strict-DER <see cref="DerCertificate"/>) rather than
/// loaded through OpenSSL as an <see cref="X509Certificate2"/>: every bundle has its own leaf, and loading it was the largest
/// single cost of a verification. Extensions the checks read come back as the usual typed <see cref="X509Extension"/>s.
/// </summary>
internal sealed class LeafCertificate
{
    private LeafCertificate(DerCertificate der, IReadOnlyList<X509Extension> extensions)
    {
        Der = der;
        Extensions = extensions;
    }

    /// <summary>The parsed certificate.</summary>
    public DerCertificate Der { get; }

    /// <summary>The DER encoding.</summary>
    public byte[] RawData => Der.Der;

    /// <summary>The DER issuer name.</summary>
    public ReadOnlySpan<byte> RawIssuer => Der.Issuer.Span;

    /// <summary>Start of validity, UTC.</summary>
    public DateTime NotBefore => Der.NotBefore;

    /// <summary>End of validity, UTC.</summary>
    public DateTime NotAfter => Der.NotAfter;

    /// <summary>The extensions, typed where the checks need it (basic constraints, key usage, EKU, SAN).</summary>
    public IReadOnlyList<X509Extension> Extensions { get; }

    /// <summary>The issuer, for messages.</summary>
    public string Issuer => new X500DistinguishedName(Der.Issuer.ToArray()).Name;

    /// <summary>The subject, for messages.</summary>
    public string Subject => new X500DistinguishedName(Der.Subject.ToArray()).Name;

    /// <summary>The extension <paramref name="oid"/>, or null.</summary>
    public X509Extension? Extension(string oid) => Extensions.FirstOrDefault(e => e.Oid?.Value == oid);

    /// <summary>Parses <paramref name="der"/>.</summary>
    /// <exception cref="Core.WireFormatException">Not a strict-DER X.509 certificate.</exception>
    /// <exception cref="CryptographicException">An extension the checks read does not decode.</exception>
    public static LeafCertificate Parse(byte[] der)
    {
        var certificate = DerCertificate.Parse(der);
        var extensions = certificate.ToX509Extensions();
        return new LeafCertificate(certificate, extensions);
    }
}
