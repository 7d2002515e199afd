using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Timestamp;

/// <summary>
/// The certificates of a TSA chain (ceremony and development chain): a self-signed root and the TSA leaf, each signed
/// through <see cref="ISigningKey"/> so the keys can stay in an HSM. The leaf carries exactly one extended key usage,
/// timeStamping, marked critical (RFC 3161 §2.3; upstream <c>pkg/x509 VerifyCertChain</c> refuses anything else).
/// </summary>
public static class TsaCertificates
{
    /// <summary>id-kp-timeStamping (RFC 5280 §4.2.1.12).</summary>
    public const string TimeStampingEku = "1.3.6.1.5.5.7.3.8";

    /// <summary>A self-signed root: CN + O, KeyUsage certSign|crlSign (critical), BasicConstraints CA, path length 0 (critical), SKI.</summary>
    public static X509Certificate2 CreateRoot(ISigningKey key, string commonName, string organization, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        ArgumentNullException.ThrowIfNull(key);
        var name = Name(commonName, organization);
        var publicKey = PublicKey.CreateFromSubjectPublicKeyInfo(key.SubjectPublicKeyInfo, out _);
        var request = new CertificateRequest(name, publicKey, key.Algorithm.Hash());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(publicKey, X509SubjectKeyIdentifierHashAlgorithm.Sha1, critical: false));
        return Sign(request, name, key, notBefore, notAfter);
    }

    /// <summary>
    /// The TSA leaf for <paramref name="subjectKeyInfo"/> signed by the root: KeyUsage digitalSignature (critical),
    /// ExtendedKeyUsage timeStamping only (critical, RFC 3161 §2.3), BasicConstraints not a CA (critical), SKI, AKI.
    /// </summary>
    public static X509Certificate2 CreateLeaf(byte[] subjectKeyInfo, string commonName, string organization, X509Certificate2 root, ISigningKey rootKey, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(rootKey);
        var publicKey = PublicKey.CreateFromSubjectPublicKeyInfo(subjectKeyInfo, out _);
        var request = new CertificateRequest(Name(commonName, organization), publicKey, rootKey.Algorithm.Hash());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(TimeStampingEku)], critical: true));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(publicKey, X509SubjectKeyIdentifierHashAlgorithm.Sha1, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (Seconds(notAfter) > new DateTimeOffset(root.NotAfter.ToUniversalTime())) throw new ArgumentException("the TSA certificate cannot outlive the root", nameof(notAfter));
        return Sign(request, root.SubjectName, rootKey, notBefore, notAfter);
    }

    /// <summary>A positive 20-byte serial (RFC 5280 §4.1.2.2: at most 20 octets), 158 random bits.</summary>
    public static byte[] NewSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(20);
        serial[0] = (byte)((serial[0] & 0x3F) | 0x40); // positive, and the first octet never 0 (minimal encoding)
        return serial;
    }

    private static DateTimeOffset Seconds(DateTimeOffset t) => new(t.Ticks - (t.Ticks % TimeSpan.TicksPerSecond), t.Offset);

    private static X500DistinguishedName Name(string commonName, string organization)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commonName);
        ArgumentException.ThrowIfNullOrWhiteSpace(organization);
        var builder = new X500DistinguishedNameBuilder();
        // The builder encodes in reverse order of adding: O then CN, as Go's pkix.Name writes them.
        builder.AddCommonName(commonName);
        builder.AddOrganizationName(organization);
        return builder.Build();
    }

    private static X509Certificate2 Sign(CertificateRequest request, X500DistinguishedName issuer, ISigningKey key, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        if (notAfter <= notBefore) throw new ArgumentException("notAfter must be after notBefore", nameof(notAfter));
        return request.Create(issuer, new SigningKeySignatureGenerator(key), Seconds(notBefore), Seconds(notAfter), NewSerial());
    }
}
