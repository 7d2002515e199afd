using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Text;
using PrivateSigstore.Core.Crypto;

namespace PrivateSigstore.Keys;

/// <summary>
/// The parts of PKCS#8 (RFC 5208 / RFC 5958) that .NET's inbox APIs do not cover: Ed25519 private
/// keys (RFC 8410) and algorithm-independent PBES2 encryption (RFC 8018), so that one code path
/// reads and writes every key type.
/// </summary>
internal static class Pkcs8
{
    private const string Pbes2Oid = "1.2.840.113549.1.5.13";
    private const string Pbkdf2Oid = "1.2.840.113549.1.5.12";
    private const string HmacSha1Oid = "1.2.840.113549.2.7";
    private const string HmacSha256Oid = "1.2.840.113549.2.9";
    private const string HmacSha384Oid = "1.2.840.113549.2.10";
    private const string HmacSha512Oid = "1.2.840.113549.2.11";
    private const string Aes128CbcOid = "2.16.840.1.101.3.4.1.2";
    private const string Aes192CbcOid = "2.16.840.1.101.3.4.1.22";
    private const string Aes256CbcOid = "2.16.840.1.101.3.4.1.42";

    /// <summary>PBKDF2 iterations used when writing (OWASP's 2023 figure for PBKDF2-HMAC-SHA256).</summary>
    public const int WriteIterations = 600_000;

    /// <summary>Iteration counts above this are refused when reading (a corrupt or hostile file would hang start-up).</summary>
    public const int MaxReadIterations = 10_000_000;

    /// <summary>Returns the private key algorithm OID of an unencrypted PKCS#8 PrivateKeyInfo. Throws <see cref="AsnContentException"/> if malformed.</summary>
    public static string AlgorithmOid(ReadOnlySpan<byte> pkcs8)
    {
        var reader = new AsnReader(pkcs8.ToArray(), AsnEncodingRules.BER);
        var info = reader.ReadSequence();
        _ = info.ReadInteger();
        var algorithm = info.ReadSequence();
        return algorithm.ReadObjectIdentifier();
    }

    /// <summary>Encodes an Ed25519 seed as PKCS#8 v1: <c>SEQUENCE { 0, SEQUENCE { 1.3.101.112 }, OCTET STRING { OCTET STRING seed } }</c>.</summary>
    public static byte[] EncodeEd25519(ReadOnlySpan<byte> seed)
    {
        var inner = new AsnWriter(AsnEncodingRules.DER);
        inner.WriteOctetString(seed);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(0);
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(SigningAlgorithms.Ed25519Oid);
            }

            writer.WriteOctetString(inner.Encode());
        }

        return writer.Encode();
    }

    /// <summary>
    /// Reads the 32-byte seed from an Ed25519 PKCS#8 v1 or v2 (OneAsymmetricKey) structure; when a
    /// v2 public key is present it must match the seed. Throws <see cref="CryptographicException"/> otherwise.
    /// </summary>
    public static byte[] DecodeEd25519(ReadOnlySpan<byte> pkcs8)
    {
        try
        {
            var reader = new AsnReader(pkcs8.ToArray(), AsnEncodingRules.BER);
            var info = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var version = info.ReadInteger();
            if (version != 0 && version != 1)
            {
                throw new CryptographicException($"unsupported PKCS#8 version {version}");
            }

            var algorithm = info.ReadSequence();
            if (algorithm.ReadObjectIdentifier() != SigningAlgorithms.Ed25519Oid || algorithm.HasData)
            {
                throw new CryptographicException("not an Ed25519 PKCS#8 key (RFC 8410: OID 1.3.101.112, no parameters)");
            }

            var seed = AsnDecoder.ReadOctetString(info.ReadOctetString(), AsnEncodingRules.BER, out var consumed);
            if (seed.Length != Core.Crypto.Ed25519.KeySize)
            {
                throw new CryptographicException("Ed25519 private key is not 32 bytes");
            }

            if (info.HasData && info.PeekTag().HasSameClassAndValue(new Asn1Tag(TagClass.ContextSpecific, 0)))
            {
                _ = info.ReadEncodedValue(); // [0] attributes
            }

            if (info.HasData)
            {
                var publicKey = info.ReadBitString(out _, new Asn1Tag(TagClass.ContextSpecific, 1));
                if (!publicKey.AsSpan().SequenceEqual(Core.Crypto.Ed25519.PublicKeyFromSeed(seed)))
                {
                    throw new CryptographicException("the Ed25519 public key in the file does not match its private key");
                }
            }

            info.ThrowIfNotEmpty();
            return seed;
        }
        catch (AsnContentException e)
        {
            throw new CryptographicException("malformed Ed25519 PKCS#8 key", e);
        }
    }

    /// <summary>
    /// Encrypts a PKCS#8 PrivateKeyInfo as an EncryptedPrivateKeyInfo with PBES2: PBKDF2-HMAC-SHA256
    /// (<see cref="WriteIterations"/> iterations, 16-byte random salt) and AES-256-CBC, as
    /// <c>openssl pkcs8 -topk8 -v2 aes-256-cbc</c> and .NET's <c>ExportEncryptedPkcs8PrivateKey</c> write it.
    /// </summary>
    public static byte[] Encrypt(ReadOnlySpan<byte> pkcs8, string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var iv = RandomNumberGenerator.GetBytes(16);
        var key = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, WriteIterations, HashAlgorithmName.SHA256, 32);
        byte[] ciphertext;
        using (var aes = Aes.Create())
        {
            aes.Key = key;
            ciphertext = aes.EncryptCbc(pkcs8, iv, PaddingMode.PKCS7);
        }

        CryptographicOperations.ZeroMemory(key);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(Pbes2Oid);
                using (writer.PushSequence())
                {
                    using (writer.PushSequence())
                    {
                        writer.WriteObjectIdentifier(Pbkdf2Oid);
                        using (writer.PushSequence())
                        {
                            writer.WriteOctetString(salt);
                            writer.WriteInteger(WriteIterations);
                            using (writer.PushSequence())
                            {
                                writer.WriteObjectIdentifier(HmacSha256Oid);
                                writer.WriteNull();
                            }
                        }
                    }

                    using (writer.PushSequence())
                    {
                        writer.WriteObjectIdentifier(Aes256CbcOid);
                        writer.WriteOctetString(iv);
                    }
                }
            }

            writer.WriteOctetString(ciphertext);
        }

        return writer.Encode();
    }

    /// <summary>
    /// Decrypts a PBES2 (PBKDF2 with HMAC-SHA1/256/384/512, AES-128/192/256-CBC) EncryptedPrivateKeyInfo.
    /// Returns <c>null</c> if the file uses another scheme (e.g. PBES1), so that the caller can fall
    /// back to .NET's importers. Throws <see cref="CryptographicException"/> for a wrong password or
    /// malformed data.
    /// </summary>
    public static byte[]? TryDecryptPbes2(ReadOnlySpan<byte> encryptedPrivateKeyInfo, ReadOnlySpan<char> password)
    {
        byte[] salt, iv, ciphertext;
        int iterations, keyLength;
        HashAlgorithmName prf;
        try
        {
            var reader = new AsnReader(encryptedPrivateKeyInfo.ToArray(), AsnEncodingRules.BER);
            var info = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var scheme = info.ReadSequence();
            if (scheme.ReadObjectIdentifier() != Pbes2Oid)
            {
                return null;
            }

            var parameters = scheme.ReadSequence();
            var kdf = parameters.ReadSequence();
            if (kdf.ReadObjectIdentifier() != Pbkdf2Oid)
            {
                return null;
            }

            var kdfParameters = kdf.ReadSequence();
            salt = kdfParameters.ReadOctetString();
            if (!kdfParameters.TryReadInt32(out iterations) || iterations < 1 || iterations > MaxReadIterations)
            {
                throw new CryptographicException($"PBKDF2 iteration count out of range (1 to {MaxReadIterations})");
            }

            int? declaredKeyLength = null;
            if (kdfParameters.HasData && kdfParameters.PeekTag().HasSameClassAndValue(Asn1Tag.Integer))
            {
                declaredKeyLength = kdfParameters.TryReadInt32(out var length) ? length : -1;
            }

            prf = HashAlgorithmName.SHA1;
            if (kdfParameters.HasData)
            {
                var prfAlgorithm = kdfParameters.ReadSequence();
                var prfOid = prfAlgorithm.ReadObjectIdentifier();
                prf = prfOid switch
                {
                    HmacSha1Oid => HashAlgorithmName.SHA1,
                    HmacSha256Oid => HashAlgorithmName.SHA256,
                    HmacSha384Oid => HashAlgorithmName.SHA384,
                    HmacSha512Oid => HashAlgorithmName.SHA512,
                    _ => default,
                };
                if (prf == default)
                {
                    return null;
                }
            }

            var cipher = parameters.ReadSequence();
            keyLength = cipher.ReadObjectIdentifier() switch
            {
                Aes128CbcOid => 16,
                Aes192CbcOid => 24,
                Aes256CbcOid => 32,
                _ => 0,
            };
            if (keyLength == 0)
            {
                return null;
            }

            if (declaredKeyLength is { } declared && declared != keyLength)
            {
                throw new CryptographicException("PBKDF2 key length does not match the cipher");
            }

            iv = cipher.ReadOctetString();
            if (iv.Length != 16)
            {
                throw new CryptographicException("AES-CBC IV is not 16 bytes");
            }

            ciphertext = info.ReadOctetString();
        }
        catch (AsnContentException e)
        {
            throw new CryptographicException("malformed EncryptedPrivateKeyInfo", e);
        }

        var passwordBytes = Encoding.UTF8.GetBytes(password.ToArray());
        var key = Rfc2898DeriveBytes.Pbkdf2(passwordBytes, salt, iterations, prf, keyLength);
        try
        {
            using var aes = Aes.Create();
            aes.Key = key;
            return aes.DecryptCbc(ciphertext, iv, PaddingMode.PKCS7); // a wrong password almost always fails the padding check
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(passwordBytes);
        }
    }
}
