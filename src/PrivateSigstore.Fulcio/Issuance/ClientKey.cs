using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Fulcio.Issuance;

/// <summary>
/// A client's public key that passed the key policy (sigstore/sigstore <c>goodkey.ValidatePubKey</c> and Fulcio's
/// default <c>--client-signing-algorithms</c>): ECDSA P-256/P-384/P-521, RSA 2048/3072/4096 with e = 65537, Ed25519.
/// </summary>
public sealed class ClientKey
{
    private const string EcPublicKeyOid = "1.2.840.10045.2.1";
    private const string RsaEncryptionOid = "1.2.840.113549.1.1.1";
    private const string Ed25519Oid = "1.3.101.112";

    private readonly byte[] _spki;
    private ECDsa? _ecdsa;

    private ClientKey(byte[] spki, SigningAlgorithm algorithm)
    {
        _spki = spki;
        Algorithm = algorithm;
    }

    /// <summary>The key's scheme: the key type and the one digest allowed with it.</summary>
    public SigningAlgorithm Algorithm { get; }

    /// <summary>The DER SubjectPublicKeyInfo (a fresh copy).</summary>
    public byte[] SubjectPublicKeyInfo => [.. _spki];

    /// <summary>The key as a <see cref="PublicKey"/>, for <see cref="CertificateProfile"/>.</summary>
    public PublicKey PublicKey => PublicKey.CreateFromSubjectPublicKeyInfo(_spki, out _);

    /// <summary>
    /// Parses a public key as Fulcio does (PEM <c>PUBLIC KEY</c> first, then DER) and applies the key policy.
    /// Throws <see cref="IssuanceException"/>: <see cref="IssuanceError.InvalidPublicKey"/> if it does not parse,
    /// <see cref="IssuanceError.InsecurePublicKey"/> if the policy rejects it.
    /// </summary>
    public static ClientKey Parse(ReadOnlySpan<byte> content)
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

    /// <summary>Applies the key policy to a DER SubjectPublicKeyInfo (see <see cref="Parse"/> for the errors).</summary>
    public static ClientKey FromSubjectPublicKeyInfo(byte[] spki)
    {
        ArgumentNullException.ThrowIfNull(spki);
        string oid;
        try
        {
            var reader = new AsnReader(spki, AsnEncodingRules.DER);
            var info = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            var algorithm = info.ReadSequence();
            oid = algorithm.ReadObjectIdentifier();
        }
        catch (AsnContentException e)
        {
            throw new IssuanceException(IssuanceError.InvalidPublicKey, IssuanceException.Messages.InvalidPublicKey, e.Message, e);
        }

        switch (oid)
        {
            case EcPublicKeyOid:
                // goodkey: only the NIST curves P-256, P-384, P-521 (the curve named in the SPKI parameters).
                SigningAlgorithm scheme = CurveOf(spki) switch
                {
                    "1.2.840.10045.3.1.7" => SigningAlgorithm.EcdsaP256Sha256,
                    "1.3.132.0.34" => SigningAlgorithm.EcdsaP384Sha384,
                    "1.3.132.0.35" => SigningAlgorithm.EcdsaP521Sha512,
                    _ => throw Insecure("unsupported ec curve, expected NIST P-256, P-384, or P-521"),
                };

                // Imported once (OpenSSL checks the point is on the curve) and kept for the proof of possession.
                var ecdsa = ECDsa.Create();
                try
                {
                    Import(() => ecdsa.ImportSubjectPublicKeyInfo(spki, out _));
                }
                catch
                {
                    ecdsa.Dispose();
                    throw;
                }

                return new ClientKey(spki, scheme) { _ecdsa = ecdsa };
            case RsaEncryptionOid:
                using (var rsa = RSA.Create())
                {
                    Import(() => rsa.ImportSubjectPublicKeyInfo(spki, out _));

                    // goodkey / the default client signing algorithms: RSA 2048, 3072 or 4096 bits, public exponent 65537.
                    if (rsa.KeySize is not (2048 or 3072 or 4096))
                    {
                        throw Insecure($"unsupported RSA key size: {rsa.KeySize}");
                    }

                    var exponent = rsa.ExportParameters(false).Exponent!;
                    if (!exponent.AsSpan().TrimStart((byte)0).SequenceEqual(new byte[] { 1, 0, 1 }))
                    {
                        throw Insecure("RSA public exponent must be 65537");
                    }
                }

                return new ClientKey(spki, SigningAlgorithm.RsaPkcs1v15Sha256);
            case Ed25519Oid:
                Import(() => Core.Crypto.Ed25519.PublicKeyFromSubjectPublicKeyInfo(spki));
                return new ClientKey(spki, SigningAlgorithm.Ed25519);
            default:
                throw Insecure($"unsupported public key type {oid}");
        }
    }

    /// <summary>
    /// Verifies <paramref name="signature"/> over <paramref name="data"/> with this key and the key's digest (ECDSA:
    /// DER, SHA-256/384/512 by curve; RSA: PKCS#1 v1.5 SHA-256; Ed25519: pure). <paramref name="hash"/>, when given
    /// (a CSR's signature algorithm), must be the key's digest, else <see cref="IssuanceError.SigningAlgorithmNotPermitted"/>.
    /// </summary>
    public bool Verify(ReadOnlySpan<byte> data, ReadOnlySpan<byte> signature, HashAlgorithmName? hash = null)
    {
        // --client-signing-algorithms: the (key, hash) pair must be an allowed one (P-256 with SHA-256, RSA with SHA-256, …).
        if (hash is { } requested && (Algorithm == SigningAlgorithm.Ed25519 || requested != HashOf(Algorithm)))
        {
            throw new IssuanceException(IssuanceError.SigningAlgorithmNotPermitted, IssuanceException.Messages.SigningAlgorithmNotPermitted, $"{Algorithm} with {requested.Name} is not an allowed client signing algorithm");
        }

        switch (Algorithm)
        {
            case SigningAlgorithm.Ed25519:
                return Core.Crypto.Ed25519.Verify(Core.Crypto.Ed25519.PublicKeyFromSubjectPublicKeyInfo(_spki), data, signature);
            case SigningAlgorithm.RsaPkcs1v15Sha256:
                using (var rsa = RSA.Create())
                {
                    rsa.ImportSubjectPublicKeyInfo(_spki, out _);
                    return rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                }

            default:
                if (_ecdsa is { } imported)
                {
                    return imported.VerifyData(data, signature, HashOf(Algorithm), DSASignatureFormat.Rfc3279DerSequence);
                }

                using (var ecdsa = ECDsa.Create())
                {
                    ecdsa.ImportSubjectPublicKeyInfo(_spki, out _);
                    return ecdsa.VerifyData(data, signature, HashOf(Algorithm), DSASignatureFormat.Rfc3279DerSequence);
                }
        }
    }

    // The namedCurve OID of an EC SubjectPublicKeyInfo (RFC 5480 §2.1.1); "" when the parameters are not a named curve.
    private static string CurveOf(byte[] spki)
    {
        try
        {
            var algorithm = new AsnReader(spki, AsnEncodingRules.DER).ReadSequence().ReadSequence();
            algorithm.ReadObjectIdentifier();
            return algorithm.PeekTag().HasSameClassAndValue(Asn1Tag.ObjectIdentifier) ? algorithm.ReadObjectIdentifier() : "";
        }
        catch (AsnContentException e)
        {
            throw new IssuanceException(IssuanceError.InvalidPublicKey, IssuanceException.Messages.InvalidPublicKey, e.Message, e);
        }
    }

    internal static HashAlgorithmName HashOf(SigningAlgorithm algorithm) => algorithm switch
    {
        SigningAlgorithm.EcdsaP384Sha384 => HashAlgorithmName.SHA384,
        SigningAlgorithm.EcdsaP521Sha512 => HashAlgorithmName.SHA512,
        _ => HashAlgorithmName.SHA256,
    };

    private static IssuanceException Insecure(string detail) =>
        new(IssuanceError.InsecurePublicKey, IssuanceException.Messages.InsecurePublicKey, detail);

    private static void Import(Action import)
    {
        try
        {
            import();
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or Core.WireFormatException)
        {
            throw new IssuanceException(IssuanceError.InvalidPublicKey, IssuanceException.Messages.InvalidPublicKey, e.Message, e);
        }
    }
}
