using System.Security.Cryptography;
using PrivateSigstore.Core.Bundle;
using HashAlgorithm = PrivateSigstore.Core.Bundle.HashAlgorithm;
using PrivateSigstore.Core.Pem;
using Ed25519 = PrivateSigstore.Core.Crypto.Ed25519;

namespace PrivateSigstore.Client.Verification;

/// <summary>
/// The signer's public key, with Sigstore's signature rules (sigstore <c>pkg/signature</c>): ECDSA signatures are
/// ASN.1 DER over the digest named by the curve's default (P-256 SHA-256, P-384 SHA-384, P-521 SHA-512) or by the
/// message digest, RSA is PKCS#1 v1.5, Ed25519 is pure over the message.
/// </summary>
internal sealed class SignerKey
{
    private readonly string _algorithmOid;

    private SignerKey(byte[] spki)
    {
        SubjectPublicKeyInfo = spki;
        _algorithmOid = PublicKeyInfo.Validate(spki);
    }

    public byte[] SubjectPublicKeyInfo { get; }

    public bool IsEd25519 => _algorithmOid == PublicKeyInfo.Ed25519Oid;

    public static SignerKey FromSubjectPublicKeyInfo(byte[] spki) => new(spki);

    /// <summary>The digest algorithm the key's default signature scheme uses.</summary>
    public HashAlgorithmName DefaultHash()
    {
        if (_algorithmOid != PublicKeyInfo.EcPublicKeyOid)
        {
            return HashAlgorithmName.SHA256;
        }
        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(SubjectPublicKeyInfo, out _);
        return key.KeySize switch
        {
            384 => HashAlgorithmName.SHA384,
            521 => HashAlgorithmName.SHA512,
            _ => HashAlgorithmName.SHA256,
        };
    }

    /// <summary>Verifies a signature over <paramref name="message"/>, hashing it with the key's default digest.</summary>
    public bool VerifyMessage(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (IsEd25519)
        {
            return Ed25519.Verify(Ed25519.PublicKeyFromSubjectPublicKeyInfo(SubjectPublicKeyInfo), message, signature);
        }
        var hash = DefaultHash();
        return VerifyDigest(hash, Hash(hash, message), signature);
    }

    /// <summary>Verifies a signature over a precomputed digest; false for Ed25519 (pure signatures need the message).</summary>
    public bool VerifyDigest(HashAlgorithmName hash, ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature)
    {
        try
        {
            switch (_algorithmOid)
            {
                case PublicKeyInfo.EcPublicKeyOid:
                    {
                        using var key = ECDsa.Create();
                        key.ImportSubjectPublicKeyInfo(SubjectPublicKeyInfo, out _);
                        return key.VerifyHash(digest, signature, DSASignatureFormat.Rfc3279DerSequence);
                    }
                case PublicKeyInfo.RsaEncryptionOid:
                    {
                        using var key = RSA.Create();
                        key.ImportSubjectPublicKeyInfo(SubjectPublicKeyInfo, out _);
                        return key.VerifyHash(digest, signature, hash, RSASignaturePadding.Pkcs1);
                    }
                default:
                    return false;
            }
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    internal static HashAlgorithmName ToHashName(HashAlgorithm algorithm) => algorithm switch
    {
        HashAlgorithm.Sha2_384 => HashAlgorithmName.SHA384,
        HashAlgorithm.Sha2_512 => HashAlgorithmName.SHA512,
        _ => HashAlgorithmName.SHA256,
    };

    internal static HashAlgorithm FromHashName(HashAlgorithmName name) =>
        name == HashAlgorithmName.SHA384 ? HashAlgorithm.Sha2_384
        : name == HashAlgorithmName.SHA512 ? HashAlgorithm.Sha2_512
        : HashAlgorithm.Sha2_256;

    private static byte[] Hash(HashAlgorithmName hash, ReadOnlySpan<byte> data) =>
        hash == HashAlgorithmName.SHA384 ? SHA384.HashData(data)
        : hash == HashAlgorithmName.SHA512 ? SHA512.HashData(data)
        : SHA256.HashData(data);
}
