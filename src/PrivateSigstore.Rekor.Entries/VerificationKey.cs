using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Der;
using PrivateSigstore.Core.Pem;

namespace PrivateSigstore.Rekor.Entries;

/// <summary>The public-key algorithms Rekor's x509 PKI verifies with.</summary>
internal enum KeyAlgorithm
{
    Rsa,
    Ecdsa,
    Ed25519,
}

/// <summary>
/// A PKIX public key with sigstore's verifier semantics (<c>sigstore/pkg/signature</c>): ECDSA accepts ASN.1 DER
/// or IEEE P1363 signatures over a digest, RSA is PKCS#1 v1.5, Ed25519 is pure or Ed25519ph. Verification
/// methods return null on success and otherwise the error text the Go verifier returns.
/// </summary>
internal sealed class VerificationKey
{
    private VerificationKey(KeyAlgorithm algorithm, byte[] spki, string? curveOid, int sizeBits, byte[] keyBytes)
    {
        Algorithm = algorithm;
        SubjectPublicKeyInfo = spki;
        CurveOid = curveOid;
        SizeBits = sizeBits;
        KeyBytes = keyBytes;
    }

    public KeyAlgorithm Algorithm { get; }

    /// <summary>The DER SubjectPublicKeyInfo.</summary>
    public byte[] SubjectPublicKeyInfo { get; }

    /// <summary>For ECDSA, the named curve OID.</summary>
    public string? CurveOid { get; }

    /// <summary>For RSA, the modulus size as Go's <c>rsa.PublicKey.Size()*8</c> (whole bytes); for ECDSA the field size in bits.</summary>
    public int SizeBits { get; }

    /// <summary>The subjectPublicKey bit string contents (EC point, RSAPublicKey DER or the 32-byte Ed25519 key).</summary>
    public byte[] KeyBytes { get; }

    /// <summary>
    /// Parses a DER SubjectPublicKeyInfo as Go's <c>x509.ParsePKIXPublicKey</c> would for RSA, ECDSA on
    /// P-224/256/384/521 (uncompressed points only) and Ed25519.
    /// </summary>
    /// <exception cref="EntryFailure">The key is malformed or of another algorithm.</exception>
    public static VerificationKey Parse(byte[] spki)
    {
        string oid;
        try
        {
            oid = PublicKeyInfo.Validate(spki);
        }
        catch (WireFormatException e)
        {
            throw new EntryFailure(e.Reason.Replace("public key:", "x509:", StringComparison.Ordinal), FailureStage.Processing, e);
        }

        try
        {
            var reader = new AsnReader(spki, AsnEncodingRules.DER).ReadSequence();
            var algorithm = reader.ReadSequence();
            algorithm.ReadObjectIdentifier();
            var parameter = oid == PublicKeyInfo.EcPublicKeyOid ? algorithm.ReadObjectIdentifier() : null;
            var key = reader.ReadBitString(out _);
            switch (oid)
            {
                case PublicKeyInfo.EcPublicKeyOid:
                    // Go's elliptic.Unmarshal accepts only the uncompressed form.
                    if (key.Length == 0 || key[0] != 0x04)
                    {
                        throw new EntryFailure("x509: failed to unmarshal elliptic curve point", FailureStage.Processing);
                    }

                    return new VerificationKey(KeyAlgorithm.Ecdsa, spki, parameter, FieldBytes(parameter!) * 8, key);
                case PublicKeyInfo.RsaEncryptionOid:
                    using (var rsa = RSA.Create())
                    {
                        rsa.ImportSubjectPublicKeyInfo(spki, out _);
                        var modulus = rsa.ExportParameters(false).Modulus!;
                        var modulusBytes = modulus.AsSpan().TrimStart((byte)0).Length;
                        return new VerificationKey(KeyAlgorithm.Rsa, spki, null, modulusBytes * 8, key);
                    }

                default:
                    return new VerificationKey(KeyAlgorithm.Ed25519, spki, null, 256, key);
            }
        }
        catch (AsnContentException e)
        {
            throw new EntryFailure($"x509: malformed public key ({e.Message})", FailureStage.Processing, e);
        }
        catch (CryptographicException e)
        {
            throw new EntryFailure($"x509: malformed public key ({e.Message})", FailureStage.Processing, e);
        }
    }

    /// <summary>
    /// Verifies a signature over a precomputed digest, as hashedrekord does
    /// (<c>LoadVerifierWithOpts(key, WithED25519ph())</c> then <c>VerifySignature(…, WithDigest, WithCryptoSignerOpts(hash))</c>).
    /// </summary>
    public string? VerifyDigest(byte[] digest, HashAlgorithmName hash, byte[] signature) => Algorithm switch
    {
        KeyAlgorithm.Ecdsa => VerifyEcdsa(digest, signature),
        KeyAlgorithm.Rsa => VerifyRsa(digest, hash, signature),
        _ => VerifyEd25519Prehashed(digest, hash, signature),
    };

    /// <summary>
    /// Verifies a signature over a message as <c>signature.LoadVerifier(key, crypto.SHA256)</c> does (DSSE in
    /// dsse and intoto entries): ECDSA and RSA over SHA-256 of the message, Ed25519 pure over the message.
    /// </summary>
    public string? VerifyMessage(byte[] message, byte[] signature) => Algorithm switch
    {
        KeyAlgorithm.Ecdsa => VerifyEcdsa(SHA256.HashData(message), signature),
        KeyAlgorithm.Rsa => VerifyRsa(SHA256.HashData(message), HashAlgorithmName.SHA256, signature),
        _ => Ed25519.Verify(KeyBytes, message, signature) ? null : "failed to verify signature",
    };

    /// <summary>
    /// The key ID go-securesystemslib derives when a DSSE verifier has none (<c>dsse.SHA256KeyID</c>): the
    /// OpenSSH SHA-256 fingerprint <c>SHA256:&lt;unpadded base64&gt;</c>; null where <c>ssh.NewPublicKey</c> fails (P-224).
    /// </summary>
    public string? SshFingerprint()
    {
        var wire = new List<byte>();
        switch (Algorithm)
        {
            case KeyAlgorithm.Rsa:
                using (var rsa = RSA.Create())
                {
                    rsa.ImportSubjectPublicKeyInfo(SubjectPublicKeyInfo, out _);
                    var parameters = rsa.ExportParameters(false);
                    AppendString(wire, "ssh-rsa"u8);
                    AppendMpint(wire, parameters.Exponent!);
                    AppendMpint(wire, parameters.Modulus!);
                }

                break;
            case KeyAlgorithm.Ecdsa:
                var name = CurveOid switch
                {
                    "1.2.840.10045.3.1.7" => "nistp256",
                    "1.3.132.0.34" => "nistp384",
                    "1.3.132.0.35" => "nistp521",
                    _ => null,
                };
                if (name is null)
                {
                    return null;
                }

                AppendString(wire, System.Text.Encoding.ASCII.GetBytes("ecdsa-sha2-" + name));
                AppendString(wire, System.Text.Encoding.ASCII.GetBytes(name));
                AppendString(wire, KeyBytes);
                break;
            default:
                AppendString(wire, "ssh-ed25519"u8);
                AppendString(wire, KeyBytes);
                break;
        }

        return "SHA256:" + Convert.ToBase64String(SHA256.HashData(wire.ToArray())).TrimEnd('=');
    }

    private static int FieldBytes(string curveOid) => curveOid switch
    {
        "1.3.132.0.33" => 28,
        "1.2.840.10045.3.1.7" => 32,
        "1.3.132.0.34" => 48,
        _ => 66,
    };

    private string? VerifyEcdsa(byte[] digest, byte[] signature)
    {
        var fieldBytes = SizeBits / 8;
        byte[]? fixedWidth;
        string failure;

        // sigstore ECDSAVerifier: if asn1.Unmarshal into struct{R, S *big.Int} succeeds the signature is
        // taken as ASN.1 and checked with ecdsa.VerifyASN1 (strict DER, nothing trailing); otherwise IEEE P1363.
        if (LooksLikeAsn1(signature))
        {
            failure = "invalid signature when validating ASN.1 encoded signature";
            fixedWidth = StrictDerToFixed(signature, fieldBytes);
        }
        else
        {
            if (signature.Length == 0 || signature.Length > 132 || signature.Length % 2 != 0)
            {
                return "ecdsa: Invalid IEEE_P1363 encoded bytes";
            }

            failure = "invalid signature when validating IEEE_P1363 encoded signature";
            fixedWidth = HalvesToFixed(signature, fieldBytes);
        }

        if (fixedWidth is null)
        {
            return failure;
        }

        try
        {
            var ecdsa = ImportedKeys.Ecdsa(SubjectPublicKeyInfo);
            return ecdsa.VerifyHash(digest, fixedWidth, DSASignatureFormat.IeeeP1363FixedFieldConcatenation) ? null : failure;
        }
        catch (CryptographicException)
        {
            return failure;
        }
    }

    private string? VerifyRsa(byte[] digest, HashAlgorithmName hash, byte[] signature)
    {
        // Go 1.24+: rsa.VerifyPKCS1v15 refuses keys under 1024 bits.
        if (SizeBits < 1024)
        {
            return $"crypto/rsa: {SizeBits}-bit keys are insecure (see https://go.dev/pkg/crypto/rsa#hdr-Minimum_key_size)";
        }

        const string Failure = "crypto/rsa: verification error";
        if (signature.Length != SizeBits / 8)
        {
            return Failure;
        }

        try
        {
            var rsa = ImportedKeys.Rsa(SubjectPublicKeyInfo);
            return rsa.VerifyHash(digest, signature, hash, RSASignaturePadding.Pkcs1) ? null : Failure;
        }
        catch (CryptographicException)
        {
            return Failure;
        }
    }

    private string? VerifyEd25519Prehashed(byte[] digest, HashAlgorithmName hash, byte[] signature)
    {
        // sigstore ED25519phVerifier: only SHA-512 digests (ComputeDigestForVerifying's supported list).
        if (hash != HashAlgorithmName.SHA512)
        {
            return $"unsupported hash algorithm: \"{GoHashName(hash)}\" not in [SHA-512]";
        }

        return Ed25519.VerifyPrehashed(KeyBytes, digest, signature) ? null : "failed to verify signature: ed25519: invalid signature";
    }

    /// <summary>Go's <c>crypto.Hash.String()</c>.</summary>
    internal static string GoHashName(HashAlgorithmName hash) =>
        hash == HashAlgorithmName.SHA384 ? "SHA-384" : hash == HashAlgorithmName.SHA512 ? "SHA-512" : "SHA-256";

    private static bool LooksLikeAsn1(byte[] signature)
    {
        // encoding/asn1.Unmarshal into struct{R, S *big.Int}: a DER SEQUENCE whose first two elements are
        // INTEGERs; bytes after the SEQUENCE, and further elements inside it, are ignored.
        try
        {
            var reader = new AsnReader(signature, AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            sequence.ReadInteger();
            sequence.ReadInteger();
            return true;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }

    private static byte[]? StrictDerToFixed(byte[] signature, int fieldBytes)
    {
        // ecdsa.VerifyASN1: exactly SEQUENCE { INTEGER r, INTEGER s } and nothing else.
        try
        {
            var reader = new AsnReader(signature, AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var r = sequence.ReadInteger();
            var s = sequence.ReadInteger();
            sequence.ThrowIfNotEmpty();
            return ToFixed(r, s, fieldBytes);
        }
        catch (AsnContentException)
        {
            return null;
        }
    }

    private static byte[]? HalvesToFixed(byte[] signature, int fieldBytes)
    {
        var half = signature.Length / 2;
        var r = new BigInteger(signature.AsSpan(0, half), isUnsigned: true, isBigEndian: true);
        var s = new BigInteger(signature.AsSpan(half), isUnsigned: true, isBigEndian: true);
        return ToFixed(r, s, fieldBytes);
    }

    private static byte[]? ToFixed(BigInteger r, BigInteger s, int fieldBytes)
    {
        if (r.Sign <= 0 || s.Sign <= 0 || r.GetByteCount(isUnsigned: true) > fieldBytes || s.GetByteCount(isUnsigned: true) > fieldBytes)
        {
            return null;
        }

        var result = new byte[2 * fieldBytes];
        r.TryWriteBytes(result.AsSpan(fieldBytes - r.GetByteCount(isUnsigned: true), r.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
        s.TryWriteBytes(result.AsSpan((2 * fieldBytes) - s.GetByteCount(isUnsigned: true)), out _, isUnsigned: true, isBigEndian: true);
        return result;
    }

    private static void AppendString(List<byte> wire, ReadOnlySpan<byte> value)
    {
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(length, value.Length);
        wire.AddRange(length);
        wire.AddRange(value);
    }

    private static void AppendMpint(List<byte> wire, byte[] unsignedBigEndian)
    {
        var magnitude = unsignedBigEndian.AsSpan().TrimStart((byte)0);
        if (magnitude.Length > 0 && magnitude[0] >= 0x80)
        {
            AppendString(wire, [0, .. magnitude]);
        }
        else
        {
            AppendString(wire, magnitude);
        }
    }
}
