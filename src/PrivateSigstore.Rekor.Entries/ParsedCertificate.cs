using System.Formats.Asn1;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Core.Crypto;
using PublicKey = PrivateSigstore.Core.Crypto.PublicKey;

namespace PrivateSigstore.Rekor.Entries;

/// <summary>
/// The parts of an X.509 certificate that Rekor's x509 PKI reads (Go's <c>x509.Certificate</c> fields):
/// raw names, validity, basic constraints, key usage, key identifiers, the signed TBS and its signature,
/// the public key and the SAN "subjects". Parsed once; holds no native handles.
/// </summary>
internal sealed class ParsedCertificate
{
    // Extensions Go's x509 parser understands; a critical extension outside this set is "unhandled"
    // (crypto/x509 parseCertificate), which Verify rejects.
    private static readonly HashSet<string> HandledExtensions =
    [
        "2.5.29.14", // subjectKeyIdentifier
        "2.5.29.15", // keyUsage
        "2.5.29.17", // subjectAltName (unless it holds no DNS/email/IP/URI name)
        "2.5.29.19", // basicConstraints
        "2.5.29.30", // nameConstraints
        "2.5.29.31", // cRLDistributionPoints
        "2.5.29.32", // certificatePolicies
        "2.5.29.33", // policyMappings
        "2.5.29.35", // authorityKeyIdentifier
        "2.5.29.36", // policyConstraints
        "2.5.29.37", // extKeyUsage
        "2.5.29.54", // inhibitAnyPolicy
        "1.3.6.1.5.5.7.1.1", // authorityInfoAccess
    ];

    private ParsedCertificate() { }

    public required byte[] Der { get; init; }

    public required byte[] Tbs { get; init; }

    public required string SignatureAlgorithm { get; init; }

    public required byte[]? SignatureParameters { get; init; }

    public required byte[] Signature { get; init; }

    public required PublicKey Key { get; init; }

    public required byte[] RawSubject { get; init; }

    public required byte[] RawIssuer { get; init; }

    public required DateTime NotBeforeUtc { get; init; }

    public required DateTime NotAfterUtc { get; init; }

    public required int Version { get; init; }

    public required bool BasicConstraintsValid { get; init; }

    public required bool IsCa { get; init; }

    /// <summary>Go's <c>MaxPathLen</c>: -1 when basic constraints carry no path length.</summary>
    public required int MaxPathLength { get; init; }

    /// <summary>The key usage bits (0 when the extension is absent).</summary>
    public required X509KeyUsageFlags KeyUsage { get; init; }

    public required byte[] SubjectKeyId { get; init; }

    public required byte[] AuthorityKeyId { get; init; }

    public required bool HasUnhandledCriticalExtension { get; init; }

    /// <summary>sigstore's <c>cryptoutils.GetSubjectAlternateNames</c>: DNS names, emails, IPs, URIs, then the Sigstore otherName when there is exactly one.</summary>
    public required IReadOnlyList<string> Subjects { get; init; }

    /// <summary>A short name for error messages, as Go's <c>UnknownAuthorityError</c> picks it.</summary>
    public required string DisplayName { get; init; }

    /// <summary>Parses DER as Go's <c>x509.ParseCertificate</c> would accept it; throws <see cref="EntryFailure"/> otherwise.</summary>
    /// <remarks>
    /// Managed parsing (Core's <see cref="DerCertificate"/>, strict DER like Go's cryptobyte parser) instead of
    /// <see cref="X509Certificate2"/>: loading a certificate through OpenSSL costs more than the rest of an entry's checks.
    /// </remarks>
    public static ParsedCertificate Parse(byte[] der)
    {
        try
        {
            DerCertificate certificate;
            try
            {
                certificate = DerCertificate.Parse(der);
            }
            catch (WireFormatException e)
            {
                // Go's x509.ParseCertificate: anything that is not a certificate is "malformed certificate".
                throw new EntryFailure($"x509: malformed certificate ({e.Reason})", FailureStage.Processing, e);
            }

            var outer = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
            var tbs = outer.ReadEncodedValue().ToArray();
            var algorithm = outer.ReadSequence();
            var signatureAlgorithm = algorithm.ReadObjectIdentifier();
            var signatureParameters = algorithm.HasData ? algorithm.ReadEncodedValue().ToArray() : null;
            var signature = outer.ReadBitString(out _);
            int version = ReadVersion(tbs);

            var basicConstraintsValid = false;
            var isCa = false;
            var maxPathLength = -1;
            var keyUsage = X509KeyUsageFlags.None;
            byte[] subjectKeyId = [];
            byte[] authorityKeyId = [];
            var unhandledCritical = false;
            var dnsNames = new List<string>();
            var ipAddresses = new List<string>();
            var extensions = certificate.ToX509Extensions();
            foreach (var extension in extensions)
            {
                var oid = extension.Oid!.Value!;
                var raw = extension.RawData;
                switch (extension)
                {
                    case X509BasicConstraintsExtension constraints:
                        basicConstraintsValid = true;
                        isCa = constraints.CertificateAuthority;
                        maxPathLength = constraints.HasPathLengthConstraint ? constraints.PathLengthConstraint : -1;
                        break;
                    case X509KeyUsageExtension usage:
                        keyUsage = usage.KeyUsages;
                        break;
                    case X509SubjectAlternativeNameExtension san:
                        dnsNames.AddRange(san.EnumerateDnsNames());
                        ipAddresses.AddRange(san.EnumerateIPAddresses().Select(GoIpString));
                        break;
                    default:
                        break;
                }

                if (oid == "2.5.29.14")
                {
                    subjectKeyId = new AsnReader(raw, AsnEncodingRules.DER).ReadOctetString();
                }
                else if (oid == "2.5.29.35")
                {
                    var aki = new AsnReader(raw, AsnEncodingRules.DER).ReadSequence();
                    if (aki.HasData && aki.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
                    {
                        authorityKeyId = aki.ReadOctetString(new Asn1Tag(TagClass.ContextSpecific, 0));
                    }
                }

                if (extension.Critical && !HandledExtensions.Contains(oid))
                {
                    unhandledCritical = true;
                }
            }

            var names = SubjectAltNames.Read(extensions);
            var sanHasNames = dnsNames.Count + names.Emails.Count + ipAddresses.Count + names.Uris.Count > 0;
            if (certificate.Extensions.Any(e => e.Critical && e.Oid == "2.5.29.17") && !sanHasNames)
            {
                unhandledCritical = true;
            }

            var subjects = new List<string>(dnsNames);
            subjects.AddRange(names.Emails);
            subjects.AddRange(ipAddresses);
            subjects.AddRange(names.Uris);
            if (names.Usernames.Count == 1)
            {
                subjects.Add(names.Usernames[0]);
            }

            var rawSubject = certificate.Subject.ToArray();
            return new ParsedCertificate
            {
                Der = der,
                Tbs = tbs,
                SignatureAlgorithm = signatureAlgorithm,
                SignatureParameters = signatureParameters,
                Signature = signature,
                Key = SigstoreVerifier.Parse(certificate.SubjectPublicKeyInfo),
                RawSubject = rawSubject,
                RawIssuer = certificate.Issuer.ToArray(),
                NotBeforeUtc = certificate.NotBefore,
                NotAfterUtc = certificate.NotAfter,
                Version = version,
                BasicConstraintsValid = basicConstraintsValid,
                IsCa = isCa,
                MaxPathLength = maxPathLength,
                KeyUsage = keyUsage,
                SubjectKeyId = subjectKeyId,
                AuthorityKeyId = authorityKeyId,
                HasUnhandledCriticalExtension = unhandledCritical,
                Subjects = subjects,
                DisplayName = DisplayNameOf(rawSubject, certificate.SerialNumber),
            };
        }
        catch (CryptographicException e)
        {
            throw new EntryFailure($"x509: malformed certificate ({e.Message})", FailureStage.Processing, e);
        }
        catch (AsnContentException e)
        {
            throw new EntryFailure($"x509: malformed certificate ({e.Message})", FailureStage.Processing, e);
        }
        catch (WireFormatException e)
        {
            throw new EntryFailure($"x509: {e.Reason}", FailureStage.Processing, e);
        }
    }

    // TBSCertificate: [0] EXPLICIT version DEFAULT v1 (0): X509Certificate2.Version numbering (1, 2, 3).
    private static int ReadVersion(byte[] tbsDer)
    {
        var tbs = new AsnReader(tbsDer, AsnEncodingRules.DER).ReadSequence();
        var versionTag = new Asn1Tag(TagClass.ContextSpecific, 0, isConstructed: true);
        if (!tbs.PeekTag().HasSameClassAndValue(versionTag))
        {
            return 1;
        }

        var explicitVersion = tbs.ReadSequence(versionTag);
        return explicitVersion.TryReadInt32(out int v) && v is >= 0 and <= 2 ? v + 1 : throw new WireFormatException("x509: invalid version");
    }

    private static string GoIpString(IPAddress address)
    {
        // net.IP.String prints IPv4-mapped IPv6 addresses in dotted form.
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4().ToString();
        }

        return address.ToString();
    }

    private static string DisplayNameOf(byte[] rawSubject, byte[] serial)
    {
        // Go's UnknownAuthorityError names the certificate by its subject CN, else by its serial number.
        string? commonName = null;
        try
        {
            commonName = new X500DistinguishedName(rawSubject).EnumerateRelativeDistinguishedNames()
                .LastOrDefault(r => r.GetSingleElementType().Value == "2.5.4.3")?.GetSingleElementValue();
        }
        catch (CryptographicException)
        {
            // An unreadable name falls back to the serial number.
        }

        return string.IsNullOrEmpty(commonName) ? "serial:" + Convert.ToHexString(serial) : commonName;
    }
}
