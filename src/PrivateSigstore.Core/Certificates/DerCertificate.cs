using System.Security.Cryptography.X509Certificates;
using System.Formats.Asn1;
using PrivateSigstore.Core.Der;

namespace PrivateSigstore.Core.Certificates;

/// <summary>One X.509 extension as encoded: its OID, criticality and extnValue contents.</summary>
/// <param name="Oid">The extension's OID.</param>
/// <param name="Critical">The critical flag (DEFAULT FALSE).</param>
/// <param name="Value">The contents of the extnValue OCTET STRING.</param>
public sealed record CertificateExtension(string Oid, bool Critical, ReadOnlyMemory<byte> Value);

/// <summary>
/// The fields of a strict-DER X.509 certificate that path checks need (RFC 5280 §4.1), read with
/// <see cref="System.Formats.Asn1"/> in a few microseconds, without creating a platform certificate object.
/// </summary>
public sealed class DerCertificate
{
    private static readonly Asn1Tag VersionTag = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag ExtensionsTag = new(TagClass.ContextSpecific, 3, isConstructed: true);
    private const string BasicConstraintsOid = "2.5.29.19";
    private const string ExtendedKeyUsageOid = "2.5.29.37";

    private DerCertificate() { }

    /// <summary>The certificate DER.</summary>
    public byte[] Der { get; private init; } = [];

    /// <summary>The TBSCertificate DER (what the signature covers).</summary>
    public ReadOnlyMemory<byte> Tbs { get; private init; }

    /// <summary>The outer signatureAlgorithm OID.</summary>
    public string SignatureAlgorithm { get; private init; } = "";

    /// <summary>The signatureValue bits.</summary>
    public byte[] Signature { get; private init; } = [];

    /// <summary>The issuer Name DER.</summary>
    public ReadOnlyMemory<byte> Issuer { get; private init; }

    /// <summary>The subject Name DER.</summary>
    public ReadOnlyMemory<byte> Subject { get; private init; }

    /// <summary>The SubjectPublicKeyInfo DER.</summary>
    public byte[] SubjectPublicKeyInfo { get; private init; } = [];

    /// <summary>The extensions in certificate order (empty for v1/v2 certificates).</summary>
    public IReadOnlyList<CertificateExtension> Extensions { get; private init; } = [];

    /// <summary>The extension <paramref name="oid"/>, or null.</summary>
    public CertificateExtension? Extension(string oid) => Extensions.FirstOrDefault(e => e.Oid == oid);

    /// <summary>basicConstraints cA, or null when the certificate has no basicConstraints extension.</summary>
    /// <exception cref="WireFormatException">The extension is malformed.</exception>
    public bool? IsCertificateAuthority()
    {
        if (Extension(BasicConstraintsOid) is not { } bc) return null;
        return Read(bc.Value, "basicConstraints", r =>
        {
            var seq = r.ReadSequence();
            var ca = seq.HasData && seq.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean) && seq.ReadBoolean();
            return ca;
        });
    }

    /// <summary>The extendedKeyUsage OIDs, or null when the certificate has no EKU extension.</summary>
    /// <exception cref="WireFormatException">The extension is malformed.</exception>
    public IReadOnlyList<string>? ExtendedKeyUsages()
    {
        if (Extension(ExtendedKeyUsageOid) is not { } eku) return null;
        return Read(eku.Value, "extKeyUsage", r =>
        {
            var seq = r.ReadSequence();
            var list = new List<string>();
            while (seq.HasData) list.Add(seq.ReadObjectIdentifier());
            return list;
        });
    }

    /// <summary>
    /// The extensions as <see cref="X509Extension"/>s, typed where callers read them (basic constraints, key usage, EKU,
    /// SAN), decoded in managed code: no OpenSSL certificate load.
    /// </summary>
    /// <exception cref="System.Security.Cryptography.CryptographicException">A typed extension does not decode.</exception>
    public IReadOnlyList<X509Extension> ToX509Extensions()
    {
        var result = new List<X509Extension>(Extensions.Count);
        foreach (var e in Extensions)
        {
            var raw = e.Value.ToArray();
            result.Add(e.Oid switch
            {
                "2.5.29.19" => new X509BasicConstraintsExtension(new System.Security.Cryptography.AsnEncodedData(e.Oid, raw), e.Critical),
                "2.5.29.15" => new X509KeyUsageExtension(new System.Security.Cryptography.AsnEncodedData(e.Oid, raw), e.Critical),
                "2.5.29.37" => new X509EnhancedKeyUsageExtension(new System.Security.Cryptography.AsnEncodedData(e.Oid, raw), e.Critical),
                "2.5.29.17" => new X509SubjectAlternativeNameExtension(raw, e.Critical),
                _ => new X509Extension(e.Oid, raw, e.Critical),
            });
        }

        return result;
    }

    /// <summary>The serial number (big-endian INTEGER contents).</summary>
    public byte[] SerialNumber { get; private init; } = [];

    /// <summary>Start of the validity period (UTC).</summary>
    public DateTime NotBefore { get; private init; }

    /// <summary>End of the validity period (UTC).</summary>
    public DateTime NotAfter { get; private init; }

    // RFC 5280 §4.1.2.5: UTCTime (years 1950–2049) or GeneralizedTime.
    private static DateTime ReadTime(AsnReader validity) =>
        validity.PeekTag().HasSameClassAndValue(Asn1Tag.UtcTime)
            ? validity.ReadUtcTime(twoDigitYearMax: 2049).UtcDateTime
            : validity.ReadGeneralizedTime().UtcDateTime;

    /// <summary>Parses a certificate that is strict DER at every depth (<see cref="StrictDer"/>).</summary>
    /// <exception cref="WireFormatException">The input is not a strict-DER X.509 certificate.</exception>
    public static DerCertificate Parse(byte[] der)
    {
        ArgumentNullException.ThrowIfNull(der);
        try
        {
            StrictDer.Validate(der);
            var outer = new AsnReader(der, AsnEncodingRules.DER);
            var cert = outer.ReadSequence();
            outer.ThrowIfNotEmpty();
            var tbsEncoded = cert.ReadEncodedValue();
            var algorithm = cert.ReadSequence();
            var signatureAlgorithm = algorithm.ReadObjectIdentifier();
            var signature = cert.ReadBitString(out var unused);
            cert.ThrowIfNotEmpty();
            if (unused != 0) throw new WireFormatException("certificate signature has unused bits");

            var tbs = new AsnReader(tbsEncoded, AsnEncodingRules.DER).ReadSequence();
            if (tbs.PeekTag().HasSameClassAndValue(VersionTag)) tbs.ReadEncodedValue();
            var serialNumber = tbs.ReadIntegerBytes();      // serialNumber
            tbs.ReadSequence();                             // signature AlgorithmIdentifier
            var issuer = tbs.ReadEncodedValue();            // issuer Name
            var validity = tbs.ReadSequence();              // validity
            var notBefore = ReadTime(validity);
            var notAfter = ReadTime(validity);
            validity.ThrowIfNotEmpty();
            var subject = tbs.ReadEncodedValue();           // subject Name
            var spki = tbs.ReadEncodedValue();              // subjectPublicKeyInfo
            var extensions = new List<CertificateExtension>();
            while (tbs.HasData)
            {
                var tag = tbs.PeekTag();
                if (!tag.HasSameClassAndValue(ExtensionsTag))
                {
                    tbs.ReadEncodedValue();                 // [1] / [2] unique identifiers
                    continue;
                }
                var list = tbs.ReadSequence(ExtensionsTag).ReadSequence();
                while (list.HasData)
                {
                    var e = list.ReadSequence();
                    var oid = e.ReadObjectIdentifier();
                    var critical = e.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean) && e.ReadBoolean();
                    var value = e.ReadOctetString();
                    e.ThrowIfNotEmpty();
                    // RFC 5280 §4.2: a certificate MUST NOT include more than one instance of a particular extension.
                    if (extensions.Any(x => x.Oid == oid)) throw new WireFormatException($"certificate repeats extension {oid}");
                    extensions.Add(new CertificateExtension(oid, critical, value));
                }
            }
            return new DerCertificate
            {
                Der = der,
                Tbs = tbsEncoded,
                SignatureAlgorithm = signatureAlgorithm,
                Signature = signature,
                Issuer = issuer,
                Subject = subject,
                SubjectPublicKeyInfo = spki.ToArray(),
                Extensions = extensions,
                SerialNumber = serialNumber.ToArray(),
                NotBefore = notBefore,
                NotAfter = notAfter,
            };
        }
        catch (AsnContentException ex)
        {
            throw new WireFormatException("certificate is not valid DER", ex);
        }
    }

    private static T Read<T>(ReadOnlyMemory<byte> value, string name, Func<AsnReader, T> read)
    {
        try
        {
            var r = new AsnReader(value, AsnEncodingRules.DER);
            var result = read(r);
            r.ThrowIfNotEmpty();
            return result;
        }
        catch (AsnContentException ex)
        {
            throw new WireFormatException($"{name} extension is not valid DER", ex);
        }
    }
}
