using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Crypto;
using PublicKey = System.Security.Cryptography.X509Certificates.PublicKey;

namespace PrivateSigstore.Keys;

/// <summary>
/// Lets <see cref="CertificateRequest"/> sign certificates with an <see cref="ISigningKey"/> (for
/// example an HSM-held CA key): <c>request.Create(issuerName, new SigningKeySignatureGenerator(key), …)</c>.
/// The request's hash algorithm must be the key's (SHA-256 for P-256 and RSA, SHA-384 for P-384,
/// SHA-512 for P-521); it is ignored for Ed25519. The key is borrowed, not disposed.
/// </summary>
public sealed class SigningKeySignatureGenerator : X509SignatureGenerator
{
    private const string EcdsaWithSha256Oid = "1.2.840.10045.4.3.2";
    private const string EcdsaWithSha384Oid = "1.2.840.10045.4.3.3";
    private const string EcdsaWithSha512Oid = "1.2.840.10045.4.3.4";
    private const string Sha256WithRsaOid = "1.2.840.113549.1.1.11";

    private readonly ISigningKey _key;

    /// <summary>Creates a generator that signs with <paramref name="key"/>.</summary>
    public SigningKeySignatureGenerator(ISigningKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        _key = key;
    }

    /// <summary>
    /// The DER AlgorithmIdentifier of the key's signature scheme: ecdsa-with-SHA256/384/512 (no
    /// parameters, RFC 5758), sha256WithRSAEncryption (NULL parameters, RFC 4055) or Ed25519 (no
    /// parameters, RFC 8410). Throws <see cref="ArgumentException"/> if
    /// <paramref name="hashAlgorithm"/> is not the key's digest.
    /// </summary>
    public override byte[] GetSignatureAlgorithmIdentifier(HashAlgorithmName hashAlgorithm)
    {
        RequireHash(hashAlgorithm);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            switch (_key.Algorithm)
            {
                case SigningAlgorithm.EcdsaP256Sha256:
                    writer.WriteObjectIdentifier(EcdsaWithSha256Oid);
                    break;
                case SigningAlgorithm.EcdsaP384Sha384:
                    writer.WriteObjectIdentifier(EcdsaWithSha384Oid);
                    break;
                case SigningAlgorithm.EcdsaP521Sha512:
                    writer.WriteObjectIdentifier(EcdsaWithSha512Oid);
                    break;
                case SigningAlgorithm.RsaPkcs1v15Sha256:
                    writer.WriteObjectIdentifier(Sha256WithRsaOid);
                    writer.WriteNull();
                    break;
                default:
                    writer.WriteObjectIdentifier(SigningAlgorithms.Ed25519Oid);
                    break;
            }
        }

        return writer.Encode();
    }

    /// <summary>Signs the to-be-signed bytes with the key (DER ECDSA, PKCS#1 v1.5 or Ed25519).</summary>
    public override byte[] SignData(byte[] data, HashAlgorithmName hashAlgorithm)
    {
        ArgumentNullException.ThrowIfNull(data);
        RequireHash(hashAlgorithm);
        return _key.Sign(data);
    }

    /// <summary>The key's public key, from its SubjectPublicKeyInfo.</summary>
    protected override PublicKey BuildPublicKey() => PublicKey.CreateFromSubjectPublicKeyInfo(_key.SubjectPublicKeyInfo, out _);

    private void RequireHash(HashAlgorithmName hashAlgorithm)
    {
        // The key signs with one fixed digest; a certificate claiming another would not verify.
        if (_key.Algorithm != SigningAlgorithm.Ed25519 && hashAlgorithm != _key.Algorithm.Hash())
        {
            throw new ArgumentException($"the key ({_key.Algorithm}) signs with {_key.Algorithm.Hash().Name}, not {hashAlgorithm.Name}; create the CertificateRequest with HashAlgorithmName.{_key.Algorithm.Hash().Name}", nameof(hashAlgorithm));
        }
    }
}
