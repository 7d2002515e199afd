using System.Formats.Asn1;
using System.Security.Cryptography;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Crypto;
using PublicKey = PrivateSigstore.Core.Crypto.PublicKey;
using X509PublicKey = System.Security.Cryptography.X509Certificates.PublicKey;

namespace PrivateSigstore.Fulcio.Issuance;

/// <summary>
/// The CA's key policy for a client's public key (sigstore/sigstore <c>goodkey.ValidatePubKey</c> and Fulcio's default
/// <c>--client-signing-algorithms</c>): ECDSA P-256/P-384/P-521, RSA 2048/3072/4096 with e = 65537, Ed25519; each key
/// with the one digest allowed with it (<see cref="AlgorithmOf"/>).
/// </summary>
public static class ClientKeyPolicy
{
    /// <summary>
    /// Parses a public key as Fulcio does (PEM <c>PUBLIC KEY</c> first, then DER) and applies the key policy.
    /// Throws <see cref="IssuanceException"/>: <see cref="IssuanceError.InvalidPublicKey"/> if it does not parse,
    /// <see cref="IssuanceError.InsecurePublicKey"/> if the policy rejects it.
    /// </summary>
    public static PublicKey Parse(ReadOnlySpan<byte> content)
    {
        byte[] der;
        string text = System.Text.Encoding.UTF8.GetString(content);
        if (text.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            try
            {
                var fields = PemEncoding.Find(text);
                if (text[fields.Label] != "PUBLIC KEY")
                {
                    throw new IssuanceException(IssuanceError.InvalidPublicKey, IssuanceException.Messages.InvalidPublicKey, $"PEM type {text[fields.Label]} is not PUBLIC KEY");
                }

                der = Convert.FromBase64String(text[fields.Base64Data]);
            }
            catch (ArgumentException e)
            {
                throw new IssuanceException(IssuanceError.InvalidPublicKey, IssuanceException.Messages.InvalidPublicKey, e.Message, e);
            }
        }
        else
        {
            der = content.ToArray();
        }

        return FromSubjectPublicKeyInfo(der);
    }

    /// <summary>Parses a DER SubjectPublicKeyInfo and applies the key policy (see <see cref="Parse"/> for the errors).</summary>
    public static PublicKey FromSubjectPublicKeyInfo(byte[] spki)
    {
        ArgumentNullException.ThrowIfNull(spki);
        var (oid, curve) = ReadAlgorithm(spki);
        switch (oid)
        {
            case PublicKeyInfo.EcPublicKeyOid:
                // goodkey: only the NIST curves P-256, P-384, P-521 (the curve named in the SPKI parameters).
                if (curve is not (SigningAlgorithms.P256Oid or SigningAlgorithms.P384Oid or SigningAlgorithms.P521Oid))
                {
                    throw Insecure("unsupported ec curve, expected NIST P-256, P-384, or P-521");
                }

                break;
            case PublicKeyInfo.RsaEncryptionOid or PublicKeyInfo.Ed25519Oid:
                break;
            default:
                throw Insecure($"unsupported public key type {oid}");
        }

        PublicKey key;
        try
        {
            // Parsed once (OpenSSL checks an EC point is on the curve) and kept for the proof of possession.
            key = PublicKey.FromSubjectPublicKeyInfo(spki);
        }
        catch (WireFormatException e)
        {
            throw new IssuanceException(IssuanceError.InvalidPublicKey, IssuanceException.Messages.InvalidPublicKey, e.Message, e);
        }

        // goodkey / the default client signing algorithms: RSA 2048, 3072 or 4096 bits, public exponent 65537.
        if (key.Type == PublicKeyType.Rsa)
        {
            if (key.KeySizeBits is not (2048 or 3072 or 4096))
            {
                throw Insecure($"unsupported RSA key size: {key.KeySizeBits}");
            }

            if (!key.RsaExponent.AsSpan().TrimStart((byte)0).SequenceEqual(new byte[] { 1, 0, 1 }))
            {
                throw Insecure("RSA public exponent must be 65537");
            }
        }

        return key;
    }

    /// <summary>The key's scheme under this policy: the key type and the one digest allowed with it.</summary>
    public static SigningAlgorithm AlgorithmOf(PublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.DefaultAlgorithm ?? throw Insecure("unsupported ec curve, expected NIST P-256, P-384, or P-521");
    }

    /// <summary>
    /// Verifies <paramref name="signature"/> over <paramref name="data"/> with the key and the key's digest (ECDSA:
    /// DER, SHA-256/384/512 by curve; RSA: PKCS#1 v1.5 SHA-256; Ed25519: pure). <paramref name="hash"/>, when given
    /// (a CSR's signature algorithm), must be the key's digest, else <see cref="IssuanceError.SigningAlgorithmNotPermitted"/>.
    /// </summary>
    public static bool Verify(PublicKey key, ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, HashAlgorithmName? hash = null)
    {
        var algorithm = AlgorithmOf(key);

        // --client-signing-algorithms: the (key, hash) pair must be an allowed one (P-256 with SHA-256, RSA with SHA-256, …).
        if (hash is { } requested && (algorithm == SigningAlgorithm.Ed25519 || requested != HashOf(algorithm)))
        {
            throw new IssuanceException(IssuanceError.SigningAlgorithmNotPermitted, IssuanceException.Messages.SigningAlgorithmNotPermitted, $"{algorithm} with {requested.Name} is not an allowed client signing algorithm");
        }

        return key.VerifyMessage(data, signature, HashOf(algorithm));
    }

    /// <summary>The key as an X.509 <see cref="X509PublicKey"/>, for <see cref="CertificateProfile"/>.</summary>
    public static X509PublicKey ToX509(PublicKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return X509PublicKey.CreateFromSubjectPublicKeyInfo(key.SubjectPublicKeyInfo, out _);
    }

    /// <summary>The digest a CA or client key of <paramref name="algorithm"/> signs with (SHA-256 for RSA and Ed25519).</summary>
    internal static HashAlgorithmName HashOf(SigningAlgorithm algorithm) => algorithm switch
    {
        SigningAlgorithm.EcdsaP384Sha384 => HashAlgorithmName.SHA384,
        SigningAlgorithm.EcdsaP521Sha512 => HashAlgorithmName.SHA512,
        _ => HashAlgorithmName.SHA256,
    };

    // The algorithm OID and, for EC keys, the namedCurve OID (RFC 5480 §2.1.1; "" when the parameters are not a named curve).
    private static (string Oid, string? Curve) ReadAlgorithm(byte[] spki)
    {
        try
        {
            var reader = new AsnReader(spki, AsnEncodingRules.DER);
            var info = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var algorithm = info.ReadSequence();
            var oid = algorithm.ReadObjectIdentifier();
            if (oid != PublicKeyInfo.EcPublicKeyOid)
            {
                return (oid, null);
            }

            return (oid, algorithm.HasData && algorithm.PeekTag().HasSameClassAndValue(Asn1Tag.ObjectIdentifier) ? algorithm.ReadObjectIdentifier() : "");
        }
        catch (AsnContentException e)
        {
            throw new IssuanceException(IssuanceError.InvalidPublicKey, IssuanceException.Messages.InvalidPublicKey, e.Message, e);
        }
    }

    private static IssuanceException Insecure(string detail) =>
        new(IssuanceError.InsecurePublicKey, IssuanceException.Messages.InsecurePublicKey, detail);
}
