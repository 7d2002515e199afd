using System.Security.Cryptography;
using PrivateSigstore.Core.Bundle;
using System.Security.Cryptography.X509Certificates;
using HashAlgorithm = PrivateSigstore.Core.Bundle.HashAlgorithm;
using PrivateSigstore.Core.Pem;
using Ed25519 = PrivateSigstore.Core.Crypto.Ed25519;

namespace PrivateSigstore.Client.Verification;

/// <summary>
/// The signer's public key, with Sigstore's signature rules (sigstore <c>pkg/signature</c>): ECDSA signatures are
/// ASN.1 DER over the digest named by the curve's default (P-256 SHA-256, P-384 SHA-384, P-521 SHA-512) or by the
/// message digest, RSA is PKCS#1 v1.5, Ed25519 is pure over the message.
/// </summary>
internal sealed class SignerKey : IDisposable
{
    private readonly ECDsa? _ecdsa;
    private readonly RSA? _rsa;
    private readonly byte[]? _ed25519;

    private SignerKey(byte[] spki, ECDsa? ecdsa, RSA? rsa, byte[]? ed25519)
    {
        SubjectPublicKeyInfo = spki;
        (_ecdsa, _rsa, _ed25519) = (ecdsa, rsa, ed25519);
    }

    public byte[] SubjectPublicKeyInfo { get; }

    public bool IsEd25519 => _ed25519 is not null;

    /// <summary>A policy key: validated as Go parses PKIX keys, imported once.</summary>
    public static SignerKey FromSubjectPublicKeyInfo(byte[] spki)
    {
        switch (PublicKeyInfo.Validate(spki))
        {
            case PublicKeyInfo.EcPublicKeyOid:
                var ecdsa = ECDsa.Create();
                ecdsa.ImportSubjectPublicKeyInfo(spki, out _);
                return new SignerKey(spki, ecdsa, null, null);
            case PublicKeyInfo.RsaEncryptionOid:
                var rsa = RSA.Create();
                rsa.ImportSubjectPublicKeyInfo(spki, out _);
                return new SignerKey(spki, null, rsa, null);
            default:
                return new SignerKey(spki, null, null, Ed25519.PublicKeyFromSubjectPublicKeyInfo(spki));
        }
    }

    /// <summary>A certificate's key, imported once from the certificate (no second parse of the SPKI).</summary>
    public static SignerKey FromCertificate(X509Certificate2 certificate)
    {
        var spki = certificate.PublicKey.ExportSubjectPublicKeyInfo();
        return certificate.PublicKey.Oid.Value switch
        {
            PublicKeyInfo.EcPublicKeyOid => new SignerKey(spki, certificate.GetECDsaPublicKey(), null, null),
            PublicKeyInfo.RsaEncryptionOid => new SignerKey(spki, null, certificate.GetRSAPublicKey(), null),
            _ => FromSubjectPublicKeyInfo(spki),
        };
    }

    /// <summary>The digest algorithm the key's default signature scheme uses.</summary>
    public HashAlgorithmName DefaultHash() => _ecdsa?.KeySize switch
    {
        384 => HashAlgorithmName.SHA384,
        521 => HashAlgorithmName.SHA512,
        _ => HashAlgorithmName.SHA256,
    };

    /// <summary>Verifies a signature over <paramref name="message"/>, hashing it with the key's default digest.</summary>
    public bool VerifyMessage(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (_ed25519 is not null)
        {
            return Ed25519.Verify(_ed25519, message, signature);
        }
        var hash = DefaultHash();
        return VerifyDigest(hash, Hash(hash, message), signature);
    }

    /// <summary>Verifies a signature over a precomputed digest; false for Ed25519 (pure signatures need the message).</summary>
    public bool VerifyDigest(HashAlgorithmName hash, ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature)
    {
        try
        {
            return _ecdsa?.VerifyHash(digest, signature, DSASignatureFormat.Rfc3279DerSequence)
                ?? _rsa?.VerifyHash(digest, signature, hash, RSASignaturePadding.Pkcs1)
                ?? false;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _ecdsa?.Dispose();
        _rsa?.Dispose();
    }

    internal static HashAlgorithmName ToHashName(HashAlgorithm algorithm) => algorithm switch
    {
        HashAlgorithm.Sha2_384 => HashAlgorithmName.SHA384,
        HashAlgorithm.Sha2_512 => HashAlgorithmName.SHA512,
        _ => HashAlgorithmName.SHA256,
    };

    private static byte[] Hash(HashAlgorithmName hash, ReadOnlySpan<byte> data) =>
        hash == HashAlgorithmName.SHA384 ? SHA384.HashData(data)
        : hash == HashAlgorithmName.SHA512 ? SHA512.HashData(data)
        : SHA256.HashData(data);
}
