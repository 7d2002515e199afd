using System.Formats.Asn1;
using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Identity;

/// <summary>
/// Makes an <see cref="ISigningKey"/> (PKCS#11 token, PEM file, memory) usable by OpenIddict: a Microsoft.IdentityModel
/// security key over the public key (so discovery publishes it in the JWKS) whose <see cref="CryptoProviderFactory"/>
/// signs through <see cref="ISigningKey.Sign"/>, so the private key never leaves an HSM.
/// </summary>
public static class JwtSigningKey
{
    /// <summary>The JWS algorithm for <paramref name="algorithm"/> (ES256, ES384, RS256); throws for others.</summary>
    public static string JwsAlgorithm(SigningAlgorithm algorithm) => algorithm switch
    {
        SigningAlgorithm.EcdsaP256Sha256 => SecurityAlgorithms.EcdsaSha256,
        SigningAlgorithm.EcdsaP384Sha384 => SecurityAlgorithms.EcdsaSha384,
        SigningAlgorithm.RsaPkcs1v15Sha256 => SecurityAlgorithms.RsaSha256,
        _ => throw new ArgumentException($"{algorithm} cannot sign JWTs that Sigstore CAs verify; use EcdsaP256Sha256, EcdsaP384Sha384 or RsaPkcs1v15Sha256", nameof(algorithm)),
    };

    /// <summary>The <c>kid</c>: first 16 bytes of SHA-256 over the SubjectPublicKeyInfo, lowercase hex.</summary>
    public static string KeyId(byte[] spki) => Convert.ToHexStringLower(SHA256.HashData(spki).AsSpan(0, 16));

    /// <summary>Signing credentials that sign with <paramref name="key"/>.</summary>
    public static SigningCredentials CreateCredentials(ISigningKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var alg = JwsAlgorithm(key.Algorithm);
        var securityKey = PublicSecurityKey(key.SubjectPublicKeyInfo);
        securityKey.CryptoProviderFactory = new SigningKeyCryptoProviderFactory(key, alg);
        return new SigningCredentials(securityKey, alg);
    }

    /// <summary>A verification-only security key (ECDSA or RSA) for a DER SubjectPublicKeyInfo, with <see cref="KeyId"/>.</summary>
    public static AsymmetricSecurityKey PublicSecurityKey(byte[] spki)
    {
        ArgumentNullException.ThrowIfNull(spki);
        try
        {
            var ec = ECDsa.Create();
            ec.ImportSubjectPublicKeyInfo(spki, out _);
            return new ECDsaSecurityKey(ec) { KeyId = KeyId(spki) };
        }
        catch (CryptographicException)
        {
            var rsa = RSA.Create();
            rsa.ImportSubjectPublicKeyInfo(spki, out _);
            return new RsaSecurityKey(rsa) { KeyId = KeyId(spki) };
        }
    }

    /// <summary>Converts an ASN.1 DER ECDSA signature to the JWS form r||s, each <paramref name="scalarSize"/> bytes (RFC 7518 §3.4).</summary>
    internal static byte[] DerToP1363(byte[] der, int scalarSize)
    {
        var reader = new AsnReader(der, AsnEncodingRules.DER);
        var sequence = reader.ReadSequence();
        var r = sequence.ReadIntegerBytes().Span.TrimStart((byte)0);
        var s = sequence.ReadIntegerBytes().Span.TrimStart((byte)0);
        sequence.ThrowIfNotEmpty();
        reader.ThrowIfNotEmpty();
        if (r.Length > scalarSize || s.Length > scalarSize) throw new CryptographicException("ECDSA signature component larger than the curve");
        var result = new byte[2 * scalarSize];
        r.CopyTo(result.AsSpan(scalarSize - r.Length));
        s.CopyTo(result.AsSpan(2 * scalarSize - s.Length));
        return result;
    }

    private sealed class SigningKeyCryptoProviderFactory(ISigningKey key, string algorithm) : CryptoProviderFactory
    {
        public override SignatureProvider CreateForSigning(SecurityKey key1, string algorithm1) =>
            string.Equals(algorithm1, algorithm, StringComparison.Ordinal)
                ? new SigningKeySignatureProvider(key1, key, algorithm)
                : throw new NotSupportedException($"this key signs only {algorithm}");

        public override SignatureProvider CreateForSigning(SecurityKey key1, string algorithm1, bool cacheProvider) => CreateForSigning(key1, algorithm1);

        public override void ReleaseSignatureProvider(SignatureProvider signatureProvider)
        {
            if (signatureProvider is not SigningKeySignatureProvider)
            {
                base.ReleaseSignatureProvider(signatureProvider);
            }
        }
    }

    private sealed class SigningKeySignatureProvider(SecurityKey securityKey, ISigningKey key, string algorithm) : SignatureProvider(securityKey, algorithm)
    {
        public override byte[] Sign(byte[] input) => Sign(input.AsSpan());

        public override byte[] Sign(byte[] input, int offset, int count) => Sign(input.AsSpan(offset, count));

        public override bool Sign(ReadOnlySpan<byte> data, Span<byte> destination, out int bytesWritten)
        {
            var signature = Sign(data);
            if (signature.Length > destination.Length)
            {
                bytesWritten = 0;
                return false;
            }
            signature.CopyTo(destination);
            bytesWritten = signature.Length;
            return true;
        }

        private byte[] Sign(ReadOnlySpan<byte> data)
        {
            var signature = key.Sign(data);
            return key.Algorithm switch
            {
                SigningAlgorithm.EcdsaP256Sha256 => DerToP1363(signature, 32),
                SigningAlgorithm.EcdsaP384Sha384 => DerToP1363(signature, 48),
                _ => signature,
            };
        }

        public override bool Verify(byte[] input, byte[] signature) => throw new NotSupportedException("signing only");

        public override bool Verify(byte[] input, int inputOffset, int inputLength, byte[] signature, int signatureOffset, int signatureLength) => throw new NotSupportedException("signing only");

        protected override void Dispose(bool disposing)
        {
            // The ISigningKey belongs to the application.
        }
    }
}
