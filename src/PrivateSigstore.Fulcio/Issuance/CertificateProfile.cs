using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Fulcio.Issuance;

/// <summary>
/// Fulcio's leaf profile (upstream <c>pkg/ca/common.go MakeX509</c> plus Go's <c>x509.CreateCertificate</c>;
/// <c>docs/certificate-specification.md</c>): empty subject, one critical SAN, KeyUsage digitalSignature (critical),
/// EKU codeSigning, no BasicConstraints, AKI = the issuer's SKI, the Sigstore extensions in upstream order, validity
/// [now, now + validity]. The signature algorithm follows the issuer key (which may live in an HSM).
/// </summary>
public static class CertificateProfile
{
    /// <summary>Fulcio's leaf lifetime: 10 minutes.</summary>
    public static readonly TimeSpan DefaultValidity = TimeSpan.FromMinutes(10);

    /// <summary>Largest serial number, in octets (RFC 5280 §4.1.2.2).</summary>
    public const int MaxSerialLength = 20;

    /// <summary>
    /// Builds and signs a leaf for <paramref name="subjectKey"/> and <paramref name="principal"/>, issued by
    /// <paramref name="issuer"/> with <paramref name="issuerKey"/>. <paramref name="serial"/> is a positive
    /// big-endian INTEGER of at most 20 octets, or null for a fresh random one.
    /// </summary>
    /// <exception cref="ArgumentException">The issuer has no SKI, the serial is invalid, or the validity is not positive.</exception>
    public static X509Certificate2 BuildLeaf(
        PublicKey subjectKey,
        Principal principal,
        X509Certificate2 issuer,
        ISigningKey issuerKey,
        DateTimeOffset now,
        TimeSpan? validity = null,
        byte[]? serial = null) =>
        Build(subjectKey, principal, issuer, issuerKey, now, validity, serial, extra: null);

    /// <summary>
    /// The RFC 6962 precertificate for the same leaf: identical, plus the critical CT poison extension
    /// (1.3.6.1.4.1.11129.2.4.3, NULL) last. Pass the same <paramref name="serial"/> and <paramref name="now"/> to
    /// <see cref="BuildFinal"/>.
    /// </summary>
    public static X509Certificate2 BuildPrecertificate(
        PublicKey subjectKey,
        Principal principal,
        X509Certificate2 issuer,
        ISigningKey issuerKey,
        DateTimeOffset now,
        TimeSpan? validity,
        byte[] serial) =>
        Build(subjectKey, principal, issuer, issuerKey, now, validity, RequireSerial(serial), new X509Extension(SigstoreOids.CtPoison, [0x05, 0x00], critical: true));

    /// <summary>
    /// The final certificate: the same TBS as <see cref="BuildPrecertificate"/> (same inputs) with
    /// <paramref name="sctList"/> (1.3.6.1.4.1.11129.2.4.2) where the poison was.
    /// </summary>
    public static X509Certificate2 BuildFinal(
        PublicKey subjectKey,
        Principal principal,
        X509Certificate2 issuer,
        ISigningKey issuerKey,
        DateTimeOffset now,
        TimeSpan? validity,
        byte[] serial,
        X509Extension sctList)
    {
        ArgumentNullException.ThrowIfNull(sctList);
        if (sctList.Oid?.Value != SigstoreOids.SctList || sctList.Critical)
        {
            throw new ArgumentException("the SCT list extension must be non-critical 1.3.6.1.4.1.11129.2.4.2", nameof(sctList));
        }

        return Build(subjectKey, principal, issuer, issuerKey, now, validity, RequireSerial(serial), sctList);
    }

    /// <summary>
    /// The final certificate from a signed precertificate (RFC 6962 §3.1): its TBS with the poison removed and
    /// <paramref name="sctList"/> appended in its place, re-signed by <paramref name="issuerKey"/> with the same signature
    /// algorithm. Equivalent to <see cref="BuildFinal"/> with the same inputs, without building the certificate twice.
    /// </summary>
    public static byte[] FinalFromPrecertificate(byte[] precertificateDer, X509Extension sctList, ISigningKey issuerKey)
    {
        ArgumentNullException.ThrowIfNull(precertificateDer);
        ArgumentNullException.ThrowIfNull(sctList);
        ArgumentNullException.ThrowIfNull(issuerKey);
        if (sctList.Oid?.Value != SigstoreOids.SctList || sctList.Critical)
        {
            throw new ArgumentException("the SCT list extension must be non-critical 1.3.6.1.4.1.11129.2.4.2", nameof(sctList));
        }

        var reader = new System.Formats.Asn1.AsnReader(precertificateDer, System.Formats.Asn1.AsnEncodingRules.DER).ReadSequence();
        var tbs = reader.ReadEncodedValue().ToArray();
        var signatureAlgorithm = reader.ReadEncodedValue();
        var finalTbs = Core.Ct.Precertificate.FinalTbs(tbs, sctList.RawData);
        return Core.Ct.Precertificate.AssembleCertificate(finalTbs, signatureAlgorithm.Span, issuerKey.Sign(finalTbs));
    }

    /// <summary>A random positive serial of exactly 20 octets (158 random bits; the top bits fixed to 01).</summary>
    public static byte[] NewSerial()
    {
        var serial = RandomNumberGenerator.GetBytes(MaxSerialLength);
        serial[0] = (byte)((serial[0] & 0x3F) | 0x40);
        return serial;
    }

    private static byte[] RequireSerial(byte[] serial)
    {
        ArgumentNullException.ThrowIfNull(serial);
        return serial;
    }

    private static X509Certificate2 Build(
        PublicKey subjectKey,
        Principal principal,
        X509Certificate2 issuer,
        ISigningKey issuerKey,
        DateTimeOffset now,
        TimeSpan? validity,
        byte[]? serial,
        X509Extension? extra)
    {
        ArgumentNullException.ThrowIfNull(subjectKey);
        ArgumentNullException.ThrowIfNull(principal);
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentNullException.ThrowIfNull(issuerKey);
        var lifetime = validity ?? DefaultValidity;
        if (lifetime <= TimeSpan.Zero)
        {
            throw new ArgumentException("validity must be positive", nameof(validity));
        }

        serial ??= NewSerial();
        ValidateSerial(serial);

        // AKI = the issuer's SKI (RFC 5280 §4.2.1.1); a CA certificate without one cannot issue. Derived once per issuer.
        var issuerContext = IssuerContexts.GetValue(issuer, IssuerContext.Create);

        // Empty subject (docs/certificate-specification.md): the identity is in the SAN alone.
        var request = new CertificateRequest(new X500DistinguishedName([0x30, 0x00]), subjectKey, ClientKeyPolicy.HashOf(issuerKey.Algorithm));
        var extensions = request.CertificateExtensions;

        // Go's order: KeyUsage (critical), ExtKeyUsage, SubjectKeyId, AuthorityKeyId, SAN, then ExtraExtensions.
        extensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        extensions.Add(new X509EnhancedKeyUsageExtension([new Oid(SigstoreOids.CodeSigningEku)], critical: false));

        // SKI: the spec says MUST; upstream dropped it in #2416 (reference/fulcio.md §3.2). Kept: harmless and helps path building.
        extensions.Add(new X509SubjectKeyIdentifierExtension(subjectKey, X509SubjectKeyIdentifierHashAlgorithm.Sha1, critical: false));
        extensions.Add(issuerContext.AuthorityKeyIdentifier);

        // Exactly one SAN, critical because the subject is empty (RFC 5280 §4.2.1.6).
        extensions.Add(principal.SubjectAltName.ToExtension());
        foreach (var extension in principal.Extensions.Render())
        {
            extensions.Add(extension);
        }

        if (extra is not null)
        {
            extensions.Add(extra);
        }

        var notBefore = TruncateToSeconds(now);
        var notAfter = TruncateToSeconds(now + lifetime);
        return request.Create(issuerContext.Subject, new SigningKeySignatureGenerator(issuerKey), notBefore, notAfter, serial);
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<X509Certificate2, IssuerContext> IssuerContexts = new();

    /// <summary>What every leaf takes from its issuer, read once per issuer certificate rather than per leaf.</summary>
    private sealed class IssuerContext(X500DistinguishedName subject, X509Extension authorityKeyIdentifier)
    {
        public X500DistinguishedName Subject { get; } = subject;

        public X509Extension AuthorityKeyIdentifier { get; } = authorityKeyIdentifier;

        public static IssuerContext Create(X509Certificate2 issuer)
        {
            if (issuer.Extensions[Oids.SubjectKeyIdentifier] is not X509SubjectKeyIdentifierExtension)
            {
                throw new ArgumentException("the issuer certificate has no subject key identifier", nameof(issuer));
            }

            return new IssuerContext(
                new X500DistinguishedName(issuer.SubjectName.RawData),
                X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        }
    }

    internal static DateTimeOffset TruncateToSeconds(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    internal static void ValidateSerial(byte[] serial)
    {
        // RFC 5280 §4.1.2.2: a positive INTEGER of at most 20 octets, minimally encoded.
        if (serial.Length is 0 or > MaxSerialLength
            || (serial[0] & 0x80) != 0
            || (serial.Length > 1 && serial[0] == 0 && (serial[1] & 0x80) == 0)
            || serial.All(b => b == 0))
        {
            throw new ArgumentException("the serial must be a positive, minimally encoded INTEGER of at most 20 octets", nameof(serial));
        }
    }

    private static class Oids
    {
        internal const string SubjectKeyIdentifier = "2.5.29.14";
    }
}
