using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Pem;
using PublicKey = System.Security.Cryptography.X509Certificates.PublicKey;

namespace PrivateSigstore.Rekor.Entries.Tests;

public enum SignerKind
{
    P224,
    P256,
    P384,
    P521,
    Rsa1024,
    Rsa2048,
    Rsa3072,
    Rsa4096,
    Ed25519,
}

/// <summary>A signing key of one kind, signing the way sigstore clients do (ECDSA DER, RSA PKCS#1 v1.5, Ed25519/Ed25519ph).</summary>
internal sealed class TestSigner
{
    private static readonly Dictionary<SignerKind, TestSigner> Cache = [];
    private static readonly Lock Gate = new();

    private readonly ECDsa? _ecdsa;
    private readonly RSA? _rsa;
    private readonly byte[]? _seed;

    private TestSigner(SignerKind kind)
    {
        Kind = kind;
        switch (kind)
        {
            case SignerKind.Ed25519:
                _seed = RandomNumberGenerator.GetBytes(32);
                SubjectPublicKeyInfo = Ed25519.ToSubjectPublicKeyInfo(Ed25519.PublicKeyFromSeed(_seed));
                break;
            case SignerKind.Rsa1024 or SignerKind.Rsa2048 or SignerKind.Rsa3072 or SignerKind.Rsa4096:
                _rsa = RSA.Create(kind switch { SignerKind.Rsa1024 => 1024, SignerKind.Rsa2048 => 2048, SignerKind.Rsa3072 => 3072, _ => 4096 });
                SubjectPublicKeyInfo = _rsa.ExportSubjectPublicKeyInfo();
                break;
            default:
                _ecdsa = ECDsa.Create(kind switch
                {
                    SignerKind.P224 => ECCurve.CreateFromValue("1.3.132.0.33"),
                    SignerKind.P256 => ECCurve.NamedCurves.nistP256,
                    SignerKind.P384 => ECCurve.NamedCurves.nistP384,
                    _ => ECCurve.NamedCurves.nistP521,
                });
                SubjectPublicKeyInfo = _ecdsa.ExportSubjectPublicKeyInfo();
                break;
        }
    }

    public SignerKind Kind { get; }

    public byte[] SubjectPublicKeyInfo { get; }

    public string PublicKeyPem => GoPem.Encode(GoPem.PublicKeyType, SubjectPublicKeyInfo);

    public ECDsa Ecdsa => _ecdsa ?? throw new InvalidOperationException("not an ECDSA key");

    /// <summary>One cached signer per kind (RSA-4096 generation is slow).</summary>
    public static TestSigner Of(SignerKind kind)
    {
        lock (Gate)
        {
            if (!Cache.TryGetValue(kind, out var signer))
            {
                signer = new TestSigner(kind);
                Cache[kind] = signer;
            }

            return signer;
        }
    }

    /// <summary>A signature over a digest as hashedrekord expects it (Ed25519 keys sign Ed25519ph over a SHA-512 digest).</summary>
    public byte[] SignDigest(byte[] digest, HashAlgorithmName hash)
    {
        if (_ecdsa is not null)
        {
            return _ecdsa.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
        }

        return _rsa is not null ? _rsa.SignHash(digest, hash, RSASignaturePadding.Pkcs1) : Ed25519.SignPrehashed(_seed, digest);
    }

    /// <summary>A signature over a message as DSSE verifiers check it (ECDSA/RSA over SHA-256, pure Ed25519).</summary>
    public byte[] SignMessage(byte[] message)
    {
        if (_ecdsa is not null)
        {
            return _ecdsa.SignData(message, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        }

        return _rsa is not null ? _rsa.SignData(message, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1) : Ed25519.Sign(_seed, message);
    }

    public X509SignatureGenerator SignatureGenerator() => _ecdsa is not null
        ? X509SignatureGenerator.CreateForECDsa(_ecdsa)
        : X509SignatureGenerator.CreateForRSA(_rsa ?? throw new InvalidOperationException("Ed25519 keys cannot sign certificates here"), RSASignaturePadding.Pkcs1);
}

/// <summary>Certificates for tests: a CA hierarchy and Fulcio-like leaves for any key.</summary>
internal static class TestCertificates
{
    public static readonly DateTimeOffset NotBefore = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>A CA certificate for <paramref name="key"/>, signed by <paramref name="issuer"/> (self-signed when null).</summary>
    public static byte[] Ca(string name, TestSigner key, (string Name, TestSigner Key)? issuer = null, int? pathLength = null, bool isCa = true, bool certSign = true)
    {
        var request = Request(name, key);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(isCa, pathLength.HasValue, pathLength ?? 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(certSign ? X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign : X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var (issuerName, issuerKey) = issuer ?? (name, key);
        return Sign(request, issuerName, issuerKey, NotBefore.AddYears(-1), NotBefore.AddYears(5));
    }

    /// <summary>A short-lived code-signing leaf with an email SAN, like Fulcio issues.</summary>
    public static byte[] Leaf(TestSigner key, (string Name, TestSigner Key) issuer, string email = "signer@example.com", X509Extension? extra = null)
    {
        var request = Request(string.Empty, key);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.3")], critical: false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddEmailAddress(email);
        request.CertificateExtensions.Add(san.Build(critical: true));
        if (extra is not null)
        {
            request.CertificateExtensions.Add(extra);
        }

        return Sign(request, issuer.Name, issuer.Key, NotBefore, NotBefore.AddMinutes(10));
    }

    /// <summary>A self-signed certificate for an ECDSA or RSA key, or an Ed25519 key certified by a throwaway P-256 CA.</summary>
    public static byte[] SelfSigned(TestSigner key, string email = "signer@example.com")
    {
        if (key.Kind == SignerKind.Ed25519)
        {
            return Leaf(key, ("CN=ed25519 issuer", TestSigner.Of(SignerKind.P256)), email);
        }

        return Leaf(key, ("CN=self", key), email);
    }

    public static string Pem(params byte[][] certificates) => GoPem.EncodeCertificates(certificates);

    private static CertificateRequest Request(string name, TestSigner key)
    {
        var publicKey = PublicKey.CreateFromSubjectPublicKeyInfo(key.SubjectPublicKeyInfo, out _);
        return new CertificateRequest(new X500DistinguishedName(name.Length == 0 ? string.Empty : name), publicKey, HashAlgorithmName.SHA256);
    }

    private static byte[] Sign(CertificateRequest request, string issuerName, TestSigner issuerKey, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using var certificate = request.Create(new X500DistinguishedName(issuerName), issuerKey.SignatureGenerator(), notBefore, notAfter, RandomNumberGenerator.GetBytes(16));
        return certificate.RawData;
    }
}
