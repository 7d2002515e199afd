using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Crypto;
using PublicKey = System.Security.Cryptography.X509Certificates.PublicKey;

namespace PrivateSigstore.Fulcio.Ca;

/// <summary>Checks an X.509 signature directly (RFC 5280 §4.1.1.3), without path building or trust stores.</summary>
public static class CertificateSignature
{
    /// <summary>
    /// Whether <paramref name="certificateDer"/>'s signature over its TBSCertificate verifies with <paramref name="issuerKey"/>
    /// (ECDSA or RSA PKCS#1 v1.5 with SHA-256/384/512, or Ed25519). False for anything malformed or unsupported.
    /// </summary>
    public static bool IsSignedBy(ReadOnlySpan<byte> certificateDer, PublicKey issuerKey)
    {
        ArgumentNullException.ThrowIfNull(issuerKey);
        try
        {
            var reader = new AsnReader(certificateDer.ToArray(), AsnEncodingRules.DER);
            var certificate = reader.ReadSequence();
            var tbs = certificate.ReadEncodedValue();
            var algorithm = certificate.ReadSequence();
            string oid = algorithm.ReadObjectIdentifier();
            var signature = certificate.ReadBitString(out _);
            return oid switch
            {
                "1.2.840.10045.4.3.2" => Ecdsa(issuerKey, tbs.Span, signature, HashAlgorithmName.SHA256),
                "1.2.840.10045.4.3.3" => Ecdsa(issuerKey, tbs.Span, signature, HashAlgorithmName.SHA384),
                "1.2.840.10045.4.3.4" => Ecdsa(issuerKey, tbs.Span, signature, HashAlgorithmName.SHA512),
                "1.2.840.113549.1.1.11" => Rsa(issuerKey, tbs.Span, signature, HashAlgorithmName.SHA256),
                "1.2.840.113549.1.1.12" => Rsa(issuerKey, tbs.Span, signature, HashAlgorithmName.SHA384),
                "1.2.840.113549.1.1.13" => Rsa(issuerKey, tbs.Span, signature, HashAlgorithmName.SHA512),
                "1.3.101.112" => Ed25519Key(issuerKey) is { } raw && Ed25519.Verify(raw, tbs.Span, signature),
                _ => false,
            };
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException or ArgumentException)
        {
            return false;
        }
    }

    private static bool Ecdsa(PublicKey key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, HashAlgorithmName hash)
    {
        using var ecdsa = key.GetECDsaPublicKey();
        return ecdsa is not null && ecdsa.VerifyData(data, signature, hash, DSASignatureFormat.Rfc3279DerSequence);
    }

    private static bool Rsa(PublicKey key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, HashAlgorithmName hash)
    {
        using var rsa = key.GetRSAPublicKey();
        return rsa is not null && rsa.VerifyData(data, signature, hash, RSASignaturePadding.Pkcs1);
    }

    private static byte[]? Ed25519Key(PublicKey key) =>
        key.Oid.Value == "1.3.101.112" ? key.EncodedKeyValue.RawData : null;
}
