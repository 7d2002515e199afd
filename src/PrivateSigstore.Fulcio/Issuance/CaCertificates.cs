using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Fulcio.Issuance;

/// <summary>
/// The CA certificates of a key ceremony (upstream <c>docs/certificate-specification.md</c> and
/// <c>pkg/ca/common.go VerifyCertChain</c>): a self-signed root and an issuing intermediate, each signed through
/// <see cref="ISigningKey"/> so the keys can stay in an HSM.
/// </summary>
public static class CaCertificates
{
    /// <summary>
    /// A self-signed root: subject CN + O, KeyUsage certSign|crlSign (critical), BasicConstraints CA (critical, path
    /// length 1 as upstream <c>createca</c>), SKI.
    /// </summary>
    public static X509Certificate2 CreateRoot(ISigningKey key, string commonName, string organization, DateTimeOffset notBefore, DateTimeOffset notAfter, byte[]? serial = null)
    {
        ArgumentNullException.ThrowIfNull(key);
        var name = Name(commonName, organization);
        var publicKey = PublicKey.CreateFromSubjectPublicKeyInfo(key.SubjectPublicKeyInfo, out _);
        var request = new CertificateRequest(name, publicKey, ClientKeyPolicy.HashOf(key.Algorithm));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 1, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(publicKey, X509SubjectKeyIdentifierHashAlgorithm.Sha1, critical: false));
        return Sign(request, name, key, notBefore, notAfter, serial);
    }

    /// <summary>
    /// An issuing intermediate for <paramref name="subjectKey"/> signed by the root: the root's profile plus EKU
    /// codeSigning (Fulcio enforces EKU chaining), path length 0 and AKI = the root's SKI.
    /// </summary>
    public static X509Certificate2 CreateIntermediate(
        PublicKey subjectKey,
        string commonName,
        string organization,
        X509Certificate2 root,
        ISigningKey rootKey,
        DateTimeOffset notBefore,
        DateTimeOffset notAfter,
        byte[]? serial = null)
    {
        ArgumentNullException.ThrowIfNull(subjectKey);
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(rootKey);
        var request = new CertificateRequest(Name(commonName, organization), subjectKey, ClientKeyPolicy.HashOf(rootKey.Algorithm));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(SigstoreOids.CodeSigningEku)], critical: false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(subjectKey, X509SubjectKeyIdentifierHashAlgorithm.Sha1, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        return Sign(request, root.SubjectName, rootKey, notBefore, notAfter, serial);
    }

    /// <summary>A root and the issuing intermediate under it (the key ceremony's two certificates), as a pair.</summary>
    public static (X509Certificate2 Root, X509Certificate2 Intermediate) CreateChain(
        ISigningKey rootKey,
        ISigningKey intermediateKey,
        string rootCommonName,
        string intermediateCommonName,
        string organization,
        DateTimeOffset notBefore,
        DateTimeOffset rootNotAfter,
        DateTimeOffset intermediateNotAfter)
    {
        ArgumentNullException.ThrowIfNull(intermediateKey);
        var root = CreateRoot(rootKey, rootCommonName, organization, notBefore, rootNotAfter);
        var intermediate = CreateIntermediate(
            PublicKey.CreateFromSubjectPublicKeyInfo(intermediateKey.SubjectPublicKeyInfo, out _),
            intermediateCommonName,
            organization,
            root,
            rootKey,
            notBefore,
            intermediateNotAfter);
        return (root, intermediate);
    }

    private static X500DistinguishedName Name(string commonName, string organization)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(commonName);
        ArgumentException.ThrowIfNullOrWhiteSpace(organization);
        var builder = new X500DistinguishedNameBuilder();
        // The builder encodes in reverse order of adding: this yields O then CN, as Go's pkix.Name writes them.
        builder.AddCommonName(commonName);
        builder.AddOrganizationName(organization);
        return builder.Build();
    }

    private static X509Certificate2 Sign(CertificateRequest request, X500DistinguishedName issuer, ISigningKey key, DateTimeOffset notBefore, DateTimeOffset notAfter, byte[]? serial)
    {
        if (notAfter <= notBefore)
        {
            throw new ArgumentException("notAfter must be after notBefore", nameof(notAfter));
        }

        serial ??= CertificateProfile.NewSerial();
        CertificateProfile.ValidateSerial(serial);
        return request.Create(issuer, new SigningKeySignatureGenerator(key), CertificateProfile.TruncateToSeconds(notBefore), CertificateProfile.TruncateToSeconds(notAfter), serial);
    }
}
