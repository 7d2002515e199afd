using System.Formats.Asn1;
using System.Security.Cryptography;

namespace PrivateSigstore.Core.Crypto;

/// <summary>Facts about each <see cref="SigningAlgorithm"/>: digest, curve, key sizes (shared by key providers, key policies and verifiers).</summary>
public static class SigningAlgorithms
{
    /// <summary>id-ecPublicKey (RFC 5480).</summary>
    public const string EcPublicKeyOid = PublicKeyInfo.EcPublicKeyOid;

    /// <summary>rsaEncryption (RFC 8017).</summary>
    public const string RsaEncryptionOid = PublicKeyInfo.RsaEncryptionOid;

    /// <summary>id-Ed25519 (RFC 8410).</summary>
    public const string Ed25519Oid = PublicKeyInfo.Ed25519Oid;

    /// <summary>The named curve NIST P-256 (secp256r1).</summary>
    public const string P256Oid = "1.2.840.10045.3.1.7";

    /// <summary>The named curve NIST P-384 (secp384r1).</summary>
    public const string P384Oid = "1.3.132.0.34";

    /// <summary>The named curve NIST P-521 (secp521r1).</summary>
    public const string P521Oid = "1.3.132.0.35";

    /// <summary>RSA sizes accepted for signing keys (sigstore's <c>cryptoutils</c> accepts 2048, 3072 and 4096).</summary>
    public const int MinRsaBits = 2048;

    /// <summary>The largest RSA key accepted.</summary>
    public const int MaxRsaBits = 4096;

    /// <summary>RSA size used when a caller generates an RSA key without naming a size.</summary>
    public const int DefaultRsaBits = 3072;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> unless <paramref name="algorithm"/> is a defined value.</summary>
    public static SigningAlgorithm Require(SigningAlgorithm algorithm, string paramName) =>
        Enum.IsDefined(algorithm) ? algorithm : throw new ArgumentOutOfRangeException(paramName, algorithm, "unknown signing algorithm");

    public static bool IsEcdsa(this SigningAlgorithm algorithm) =>
        algorithm is SigningAlgorithm.EcdsaP256Sha256 or SigningAlgorithm.EcdsaP384Sha384 or SigningAlgorithm.EcdsaP521Sha512;

    /// <summary>The digest applied before signing; <c>default</c> for Ed25519 (pure, no pre-hash).</summary>
    public static HashAlgorithmName Hash(this SigningAlgorithm algorithm) => algorithm switch
    {
        SigningAlgorithm.EcdsaP256Sha256 or SigningAlgorithm.RsaPkcs1v15Sha256 => HashAlgorithmName.SHA256,
        SigningAlgorithm.EcdsaP384Sha384 => HashAlgorithmName.SHA384,
        SigningAlgorithm.EcdsaP521Sha512 => HashAlgorithmName.SHA512,
        _ => default,
    };

    /// <summary>Hashes <paramref name="data"/> with the algorithm's digest (ECDSA and RSA only).</summary>
    public static byte[] HashData(this SigningAlgorithm algorithm, ReadOnlySpan<byte> data) => algorithm switch
    {
        SigningAlgorithm.EcdsaP256Sha256 or SigningAlgorithm.RsaPkcs1v15Sha256 => SHA256.HashData(data),
        SigningAlgorithm.EcdsaP384Sha384 => SHA384.HashData(data),
        SigningAlgorithm.EcdsaP521Sha512 => SHA512.HashData(data),
        _ => throw new InvalidOperationException($"{algorithm} does not pre-hash"),
    };

    /// <summary>The size in bytes of one ECDSA scalar (r or s) on the algorithm's curve.</summary>
    public static int EcdsaScalarSize(this SigningAlgorithm algorithm) => algorithm switch
    {
        SigningAlgorithm.EcdsaP256Sha256 => 32,
        SigningAlgorithm.EcdsaP384Sha384 => 48,
        SigningAlgorithm.EcdsaP521Sha512 => 66,
        _ => throw new InvalidOperationException($"{algorithm} is not ECDSA"),
    };

    /// <summary>The named-curve OID of an ECDSA algorithm.</summary>
    public static string CurveOid(this SigningAlgorithm algorithm) => algorithm switch
    {
        SigningAlgorithm.EcdsaP256Sha256 => P256Oid,
        SigningAlgorithm.EcdsaP384Sha384 => P384Oid,
        SigningAlgorithm.EcdsaP521Sha512 => P521Oid,
        _ => throw new InvalidOperationException($"{algorithm} is not ECDSA"),
    };

    /// <summary>The .NET curve of an ECDSA algorithm.</summary>
    public static ECCurve Curve(this SigningAlgorithm algorithm) => algorithm switch
    {
        SigningAlgorithm.EcdsaP256Sha256 => ECCurve.NamedCurves.nistP256,
        SigningAlgorithm.EcdsaP384Sha384 => ECCurve.NamedCurves.nistP384,
        SigningAlgorithm.EcdsaP521Sha512 => ECCurve.NamedCurves.nistP521,
        _ => throw new InvalidOperationException($"{algorithm} is not ECDSA"),
    };

    /// <summary>Maps a named-curve OID to its ECDSA algorithm, or <c>null</c> for other curves.</summary>
    public static SigningAlgorithm? FromCurveOid(string? oid) => oid switch
    {
        P256Oid => SigningAlgorithm.EcdsaP256Sha256,
        P384Oid => SigningAlgorithm.EcdsaP384Sha384,
        P521Oid => SigningAlgorithm.EcdsaP521Sha512,
        _ => null,
    };

    /// <summary>
    /// Maps an EC SubjectPublicKeyInfo to its ECDSA algorithm by the named-curve OID in its
    /// AlgorithmIdentifier (key size alone would take secp256k1 for P-256), or <c>null</c> for other
    /// curves, explicit curve parameters or malformed input.
    /// </summary>
    public static SigningAlgorithm? FromEcSubjectPublicKeyInfo(ReadOnlySpan<byte> spki)
    {
        try
        {
            var reader = new AsnReader(spki.ToArray(), AsnEncodingRules.DER);
            var algorithm = reader.ReadSequence().ReadSequence();
            if (algorithm.ReadObjectIdentifier() != EcPublicKeyOid || !algorithm.HasData
                || !algorithm.PeekTag().HasSameClassAndValue(Asn1Tag.ObjectIdentifier))
            {
                return null;
            }

            return FromCurveOid(algorithm.ReadObjectIdentifier());
        }
        catch (AsnContentException)
        {
            return null;
        }
    }
}
