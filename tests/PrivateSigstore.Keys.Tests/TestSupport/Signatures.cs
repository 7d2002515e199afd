using System.Formats.Asn1;
using System.Security.Cryptography;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Keys.Tests.TestSupport;

/// <summary>Verifies signatures with .NET public-key APIs built only from the SubjectPublicKeyInfo.</summary>
public static class Signatures
{
    public static bool Verify(SigningAlgorithm algorithm, byte[] spki, byte[] data, byte[] signature)
    {
        switch (algorithm)
        {
            case SigningAlgorithm.Ed25519:
                return Core.Crypto.Ed25519.Verify(Core.Crypto.Ed25519.PublicKeyFromSubjectPublicKeyInfo(spki), data, signature);
            case SigningAlgorithm.RsaPkcs1v15Sha256:
                using (var rsa = RSA.Create())
                {
                    rsa.ImportSubjectPublicKeyInfo(spki, out _);
                    return rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
                }

            default:
                using (var ecdsa = ECDsa.Create())
                {
                    ecdsa.ImportSubjectPublicKeyInfo(spki, out _);
                    var hash = algorithm switch
                    {
                        SigningAlgorithm.EcdsaP256Sha256 => HashAlgorithmName.SHA256,
                        SigningAlgorithm.EcdsaP384Sha384 => HashAlgorithmName.SHA384,
                        _ => HashAlgorithmName.SHA512,
                    };
                    return ecdsa.VerifyData(data, signature, hash, DSASignatureFormat.Rfc3279DerSequence);
                }
        }
    }

    /// <summary>
    /// Asserts that <paramref name="signature"/> is strict DER <c>SEQUENCE { INTEGER r, INTEGER s }</c>
    /// with both INTEGERs positive and minimally encoded; returns how many of the two needed a
    /// leading 0x00 (their high bit was set).
    /// </summary>
    public static int AssertStrictDerEcdsa(byte[] signature, int scalarSize)
    {
        var reader = new AsnReader(signature, AsnEncodingRules.DER);
        var sequence = reader.ReadSequence();
        reader.ThrowIfNotEmpty();
        var padded = 0;
        for (var i = 0; i < 2; i++)
        {
            var value = sequence.ReadIntegerBytes().ToArray();
            Assert.True(value.Length is >= 1 && value.Length <= scalarSize + 1, $"INTEGER of {value.Length} bytes");
            Assert.True(value[0] < 0x80, "INTEGER must be positive");
            Assert.False(value.Length > 1 && value[0] == 0 && value[1] < 0x80, "INTEGER must be minimal");
            Assert.False(value.Length == 1 && value[0] == 0, "r and s are never zero");
            if (value[0] == 0)
            {
                padded++;
            }
        }

        sequence.ThrowIfNotEmpty();
        return padded;
    }

    public static int ScalarSize(SigningAlgorithm algorithm) => algorithm switch
    {
        SigningAlgorithm.EcdsaP256Sha256 => 32,
        SigningAlgorithm.EcdsaP384Sha384 => 48,
        SigningAlgorithm.EcdsaP521Sha512 => 66,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };

    public static bool IsEcdsa(SigningAlgorithm algorithm) =>
        algorithm is SigningAlgorithm.EcdsaP256Sha256 or SigningAlgorithm.EcdsaP384Sha384 or SigningAlgorithm.EcdsaP521Sha512;
}
