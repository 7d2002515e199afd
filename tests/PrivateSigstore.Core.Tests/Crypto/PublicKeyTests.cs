using System.Security.Cryptography;
using PrivateSigstore.Core.Crypto;

namespace PrivateSigstore.Core.Tests.Crypto;

public sealed class PublicKeyTests
{
    [Theory]
    [InlineData("1.2.840.10045.3.1.7", SigningAlgorithm.EcdsaP256Sha256, 256, "SHA256")]
    [InlineData("1.3.132.0.34", SigningAlgorithm.EcdsaP384Sha384, 384, "SHA384")]
    [InlineData("1.3.132.0.35", SigningAlgorithm.EcdsaP521Sha512, 521, "SHA512")]
    public void Ecdsa_keys_parse_once_and_verify_DER_and_P1363(string curve, SigningAlgorithm expected, int bits, string hash)
    {
        using var ecdsa = ECDsa.Create(ECCurve.CreateFromValue(curve));
        var key = PublicKey.FromSubjectPublicKeyInfo(ecdsa.ExportSubjectPublicKeyInfo());
        Assert.Equal(PublicKeyType.Ecdsa, key.Type);
        Assert.Equal(curve, key.CurveOid);
        Assert.Equal(bits, key.KeySizeBits);
        Assert.Equal(expected, key.DefaultAlgorithm);
        Assert.Equal(hash, key.DefaultHash.Name);

        var message = "hello"u8.ToArray();
        var der = ecdsa.SignData(message, key.DefaultHash, DSASignatureFormat.Rfc3279DerSequence);
        Assert.True(key.VerifyMessage(message, der, key.DefaultHash));
        Assert.False(key.VerifyMessage("other"u8, der, key.DefaultHash));
        var p1363 = ecdsa.SignData(message, key.DefaultHash);
        Assert.True(key.VerifyDigest(PublicKey.HashData(key.DefaultHash, message), p1363, key.DefaultHash, DSASignatureFormat.IeeeP1363FixedFieldConcatenation));
        Assert.False(key.VerifyDigest(PublicKey.HashData(key.DefaultHash, message), p1363, key.DefaultHash));
    }

    [Fact]
    public void Rsa_and_Ed25519_keys_report_their_facts()
    {
        using var rsa = RSA.Create(2048);
        var key = PublicKey.FromSubjectPublicKeyInfo(rsa.ExportSubjectPublicKeyInfo());
        Assert.Equal((PublicKeyType.Rsa, 2048, 2048), (key.Type, key.SizeBits, key.KeySizeBits));
        Assert.Equal([1, 0, 1], key.RsaExponent);
        Assert.Equal(SigningAlgorithm.RsaPkcs1v15Sha256, key.DefaultAlgorithm);
        Assert.True(key.VerifyMessage("m"u8, rsa.SignData("m"u8.ToArray(), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), HashAlgorithmName.SHA256));

        var seed = new byte[32];
        var ed = PublicKey.FromSubjectPublicKeyInfo(Ed25519.ToSubjectPublicKeyInfo(Ed25519.PublicKeyFromSeed(seed)));
        Assert.Equal((PublicKeyType.Ed25519, SigningAlgorithm.Ed25519), (ed.Type, ed.DefaultAlgorithm));
        Assert.True(ed.VerifyMessage("m"u8, Ed25519.Sign(seed, "m"u8), default));
        Assert.False(ed.VerifyDigest(new byte[32], new byte[64], HashAlgorithmName.SHA256));
    }

    [Fact]
    public void Pem_and_bad_input_fail_with_WireFormatException()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal(ecdsa.ExportSubjectPublicKeyInfo(), PublicKey.FromPem(ecdsa.ExportSubjectPublicKeyInfoPem()).SubjectPublicKeyInfo);
        Assert.Throws<WireFormatException>(() => PublicKey.FromPem("no pem here"));
        Assert.Throws<WireFormatException>(() => PublicKey.FromPem(ecdsa.ExportPkcs8PrivateKeyPem()));
        Assert.Throws<WireFormatException>(() => PublicKey.FromSubjectPublicKeyInfo([0x30, 0x00]));
    }
}
