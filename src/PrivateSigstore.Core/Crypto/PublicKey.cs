using System.Formats.Asn1;
using System.Security.Cryptography;

namespace PrivateSigstore.Core.Crypto;

/// <summary>The public-key types Sigstore signs and verifies with.</summary>
public enum PublicKeyType
{
    /// <summary>ECDSA on a named NIST curve (<see cref="PublicKey.CurveOid"/>).</summary>
    Ecdsa,

    /// <summary>RSA.</summary>
    Rsa,

    /// <summary>Ed25519 (RFC 8032).</summary>
    Ed25519,
}

/// <summary>
/// A public key, parsed once from its DER SubjectPublicKeyInfo as Go's <c>x509.ParsePKIXPublicKey</c> does
/// (<see cref="PublicKeyInfo.Validate"/>: ECDSA on P-224/256/384/521, RSA, Ed25519) and then used for verification.
/// The primitives here are the plain ones (ECDSA DER or P1363 over a digest, RSA PKCS#1 v1.5, Ed25519 pure or
/// prehashed); which of them a role allows — Rekor's algorithm registry, Fulcio's key policy, the verifier's rules —
/// is that role's policy. Imported keys are shared through a process-wide cache (<see cref="ImportedKeys"/>), so
/// instances need no disposal.
/// </summary>
public sealed class PublicKey
{
    private const string P224Oid = "1.3.132.0.33";

    private readonly byte[] _spki;

    private PublicKey(PublicKeyType type, byte[] spki, string? curveOid, int sizeBits, int keySizeBits, byte[] keyBytes, byte[]? rsaExponent = null)
    {
        Type = type;
        _spki = spki;
        CurveOid = curveOid;
        SizeBits = sizeBits;
        KeySizeBits = keySizeBits;
        KeyBytes = keyBytes;
        RsaExponent = rsaExponent;
    }

    /// <summary>The key type.</summary>
    public PublicKeyType Type { get; }

    /// <summary>The DER SubjectPublicKeyInfo (the parsed bytes; do not modify).</summary>
    public byte[] SubjectPublicKeyInfo => _spki;

    /// <summary>For ECDSA, the named curve's OID; otherwise null.</summary>
    public string? CurveOid { get; }

    /// <summary>For RSA, the modulus size as Go's <c>rsa.PublicKey.Size()*8</c> (whole bytes); for ECDSA the field size in bits; 256 for Ed25519.</summary>
    public int SizeBits { get; }

    /// <summary>The exact key size: the RSA modulus's bit length, the curve's size (224, 256, 384, 521), 256 for Ed25519.</summary>
    public int KeySizeBits { get; }

    /// <summary>For RSA, the public exponent (big-endian, as imported); otherwise null.</summary>
    public byte[]? RsaExponent { get; }

    /// <summary>The subjectPublicKey bit string contents (EC point, RSAPublicKey DER or the 32-byte Ed25519 key).</summary>
    public byte[] KeyBytes { get; }

    /// <summary>
    /// The scheme this key signs with by default: ECDSA with its curve's digest (P-256 SHA-256, P-384 SHA-384,
    /// P-521 SHA-512), RSA PKCS#1 v1.5 SHA-256, pure Ed25519; null for P-224, which no scheme uses.
    /// </summary>
    public SigningAlgorithm? DefaultAlgorithm => Type switch
    {
        PublicKeyType.Ecdsa => SigningAlgorithms.FromCurveOid(CurveOid),
        PublicKeyType.Rsa => SigningAlgorithm.RsaPkcs1v15Sha256,
        _ => SigningAlgorithm.Ed25519,
    };

    /// <summary>The digest of the key's default scheme: SHA-384 for P-384, SHA-512 for P-521, otherwise SHA-256.</summary>
    public HashAlgorithmName DefaultHash => CurveOid switch
    {
        SigningAlgorithms.P384Oid => HashAlgorithmName.SHA384,
        SigningAlgorithms.P521Oid => HashAlgorithmName.SHA512,
        _ => HashAlgorithmName.SHA256,
    };

    /// <summary>Parses a DER SubjectPublicKeyInfo; throws <see cref="WireFormatException"/> with <see cref="PublicKeyInfo.Validate"/>'s reasons.</summary>
    public static PublicKey FromSubjectPublicKeyInfo(ReadOnlySpan<byte> spki)
    {
        var der = spki.ToArray();
        var oid = PublicKeyInfo.Validate(der);
        try
        {
            var reader = new AsnReader(der, AsnEncodingRules.DER).ReadSequence();
            var algorithm = reader.ReadSequence();
            algorithm.ReadObjectIdentifier();
            var curve = oid == PublicKeyInfo.EcPublicKeyOid ? algorithm.ReadObjectIdentifier() : null;
            var key = reader.ReadBitString(out _);
            switch (oid)
            {
                case PublicKeyInfo.EcPublicKeyOid:
                    return new PublicKey(PublicKeyType.Ecdsa, der, curve, FieldBytes(curve!) * 8, ImportedKeys.Ecdsa(der).KeySize, key);
                case PublicKeyInfo.RsaEncryptionOid:
                    var rsa = ImportedKeys.Rsa(der);
                    var parameters = rsa.ExportParameters(false);
                    return new PublicKey(PublicKeyType.Rsa, der, null, parameters.Modulus!.AsSpan().TrimStart((byte)0).Length * 8, rsa.KeySize, key, parameters.Exponent);
                default:
                    return new PublicKey(PublicKeyType.Ed25519, der, null, 256, 256, key);
            }
        }
        catch (Exception e) when (e is AsnContentException or CryptographicException)
        {
            throw new WireFormatException($"public key: malformed public key ({e.Message})", e);
        }
    }

    /// <summary>
    /// Parses PEM text holding exactly one <c>PUBLIC KEY</c> block (text around it is ignored, as
    /// <see cref="PemEncoding.Find(ReadOnlySpan{char})"/> does); throws <see cref="WireFormatException"/>.
    /// </summary>
    public static PublicKey FromPem(ReadOnlySpan<char> pem)
    {
        if (!PemEncoding.TryFind(pem, out var fields))
        {
            throw new WireFormatException("public key: no PEM block found");
        }

        var label = pem[fields.Label];
        if (!label.SequenceEqual("PUBLIC KEY"))
        {
            throw new WireFormatException($"public key: PEM type {label} is not PUBLIC KEY");
        }

        return FromSubjectPublicKeyInfo(Convert.FromBase64String(pem[fields.Base64Data].ToString()));
    }

    /// <summary>
    /// Verifies a signature over a precomputed digest: ECDSA in <paramref name="ecdsaFormat"/> (DER by default),
    /// RSA PKCS#1 v1.5 with <paramref name="hash"/>. False for Ed25519 (see <see cref="VerifyEd25519Prehashed"/>)
    /// and for a signature that does not verify or does not decode.
    /// </summary>
    public bool VerifyDigest(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature, HashAlgorithmName hash,
        DSASignatureFormat ecdsaFormat = DSASignatureFormat.Rfc3279DerSequence)
    {
        try
        {
            return Type switch
            {
                PublicKeyType.Ecdsa => ImportedKeys.Ecdsa(_spki).VerifyHash(digest, signature, ecdsaFormat),
                PublicKeyType.Rsa => ImportedKeys.Rsa(_spki).VerifyHash(digest, signature, hash, RSASignaturePadding.Pkcs1),
                _ => false,
            };
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>
    /// Verifies a signature over a message: ECDSA (DER) and RSA (PKCS#1 v1.5) over its <paramref name="hash"/>
    /// digest, Ed25519 pure over the message itself (<paramref name="hash"/> unused).
    /// </summary>
    public bool VerifyMessage(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature, HashAlgorithmName hash) =>
        Type == PublicKeyType.Ed25519
            ? Ed25519.Verify(KeyBytes, message, signature)
            : VerifyDigest(HashData(hash, message), signature, hash);

    /// <summary>Verifies an Ed25519ph (RFC 8032 §5.1, SHA-512 prehash) signature over <paramref name="digest"/>; false for other key types.</summary>
    public bool VerifyEd25519Prehashed(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature) =>
        Type == PublicKeyType.Ed25519 && Ed25519.VerifyPrehashed(KeyBytes, digest, signature);

    /// <summary>The digest of <paramref name="data"/> with SHA-256, SHA-384 or SHA-512.</summary>
    public static byte[] HashData(HashAlgorithmName hash, ReadOnlySpan<byte> data) =>
        hash == HashAlgorithmName.SHA384 ? SHA384.HashData(data)
        : hash == HashAlgorithmName.SHA512 ? SHA512.HashData(data)
        : SHA256.HashData(data);

    private static int FieldBytes(string curveOid) => curveOid switch
    {
        P224Oid => 28,
        SigningAlgorithms.P256Oid => 32,
        SigningAlgorithms.P384Oid => 48,
        _ => 66,
    };
}
