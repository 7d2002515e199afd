using System.Buffers.Binary;
using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Crypto;

namespace PrivateSigstore.Rekor.Entries;

/// <summary>
/// sigstore's verifier semantics (<c>sigstore/pkg/signature</c>) over a <see cref="PublicKey"/>: ECDSA accepts ASN.1 DER
/// or IEEE P1363 signatures over a digest, RSA is PKCS#1 v1.5, Ed25519 is pure or Ed25519ph. The check methods return
/// null on success and otherwise the error text the Go verifier returns.
/// </summary>
internal static class SigstoreVerifier
{
    /// <summary>
    /// Parses a DER SubjectPublicKeyInfo as Go's <c>x509.ParsePKIXPublicKey</c> would for RSA, ECDSA on
    /// P-224/256/384/521 (uncompressed points only) and Ed25519.
    /// </summary>
    /// <exception cref="EntryFailure">The key is malformed or of another algorithm.</exception>
    public static PublicKey Parse(byte[] spki)
    {
        PublicKey key;
        try
        {
            key = PublicKey.FromSubjectPublicKeyInfo(spki);
        }
        catch (WireFormatException e)
        {
            throw new EntryFailure(e.Reason.Replace("public key:", "x509:", StringComparison.Ordinal), FailureStage.Processing, e);
        }

        // Go's elliptic.Unmarshal accepts only the uncompressed form.
        if (key.Type == PublicKeyType.Ecdsa && (key.KeyBytes.Length == 0 || key.KeyBytes[0] != 0x04))
        {
            throw new EntryFailure("x509: failed to unmarshal elliptic curve point", FailureStage.Processing);
        }

        return key;
    }

    /// <summary>
    /// Verifies a signature over a precomputed digest, as hashedrekord does
    /// (<c>LoadVerifierWithOpts(key, WithED25519ph())</c> then <c>VerifySignature(…, WithDigest, WithCryptoSignerOpts(hash))</c>).
    /// </summary>
    public static string? CheckDigest(this PublicKey key, byte[] digest, HashAlgorithmName hash, byte[] signature) => key.Type switch
    {
        PublicKeyType.Ecdsa => CheckEcdsa(key, digest, signature),
        PublicKeyType.Rsa => CheckRsa(key, digest, hash, signature),
        _ => CheckEd25519Prehashed(key, digest, hash, signature),
    };

    /// <summary>
    /// Verifies a signature over a message as <c>signature.LoadVerifier(key, crypto.SHA256)</c> does (DSSE in
    /// dsse and intoto entries): ECDSA and RSA over SHA-256 of the message, Ed25519 pure over the message.
    /// </summary>
    public static string? CheckMessage(this PublicKey key, byte[] message, byte[] signature) => key.Type switch
    {
        PublicKeyType.Ecdsa => CheckEcdsa(key, SHA256.HashData(message), signature),
        PublicKeyType.Rsa => CheckRsa(key, SHA256.HashData(message), HashAlgorithmName.SHA256, signature),
        _ => key.VerifyMessage(message, signature, default) ? null : "failed to verify signature",
    };

    /// <summary>
    /// The key ID go-securesystemslib derives when a DSSE verifier has none (<c>dsse.SHA256KeyID</c>): the
    /// OpenSSH SHA-256 fingerprint <c>SHA256:&lt;unpadded base64&gt;</c>; null where <c>ssh.NewPublicKey</c> fails (P-224).
    /// </summary>
    public static string? SshFingerprint(this PublicKey key)
    {
        var wire = new List<byte>();
        switch (key.Type)
        {
            case PublicKeyType.Rsa:
                using (var rsa = RSA.Create())
                {
                    rsa.ImportSubjectPublicKeyInfo(key.SubjectPublicKeyInfo, out _);
                    var parameters = rsa.ExportParameters(false);
                    AppendString(wire, "ssh-rsa"u8);
                    AppendMpint(wire, parameters.Exponent!);
                    AppendMpint(wire, parameters.Modulus!);
                }

                break;
            case PublicKeyType.Ecdsa:
                var name = key.CurveOid switch
                {
                    SigningAlgorithms.P256Oid => "nistp256",
                    SigningAlgorithms.P384Oid => "nistp384",
                    SigningAlgorithms.P521Oid => "nistp521",
                    _ => null,
                };
                if (name is null)
                {
                    return null;
                }

                AppendString(wire, System.Text.Encoding.ASCII.GetBytes("ecdsa-sha2-" + name));
                AppendString(wire, System.Text.Encoding.ASCII.GetBytes(name));
                AppendString(wire, key.KeyBytes);
                break;
            default:
                AppendString(wire, "ssh-ed25519"u8);
                AppendString(wire, key.KeyBytes);
                break;
        }

        return "SHA256:" + Convert.ToBase64String(SHA256.HashData(wire.ToArray())).TrimEnd('=');
    }

    private static string? CheckEcdsa(PublicKey key, byte[] digest, byte[] signature)
    {
        var fieldBytes = key.SizeBits / 8;
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

        return key.VerifyDigest(digest, fixedWidth, default, DSASignatureFormat.IeeeP1363FixedFieldConcatenation) ? null : failure;
    }

    private static string? CheckRsa(PublicKey key, byte[] digest, HashAlgorithmName hash, byte[] signature)
    {
        // Go 1.24+: rsa.VerifyPKCS1v15 refuses keys under 1024 bits.
        if (key.SizeBits < 1024)
        {
            return $"crypto/rsa: {key.SizeBits}-bit keys are insecure (see https://go.dev/pkg/crypto/rsa#hdr-Minimum_key_size)";
        }

        const string Failure = "crypto/rsa: verification error";
        if (signature.Length != key.SizeBits / 8)
        {
            return Failure;
        }

        return key.VerifyDigest(digest, signature, hash) ? null : Failure;
    }

    private static string? CheckEd25519Prehashed(PublicKey key, byte[] digest, HashAlgorithmName hash, byte[] signature)
    {
        // sigstore ED25519phVerifier: only SHA-512 digests (ComputeDigestForVerifying's supported list).
        if (hash != HashAlgorithmName.SHA512)
        {
            return $"unsupported hash algorithm: \"{GoHashName(hash)}\" not in [SHA-512]";
        }

        return key.VerifyEd25519Prehashed(digest, signature) ? null : "failed to verify signature: ed25519: invalid signature";
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
