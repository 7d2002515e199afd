using System.Security.Cryptography;
using PrivateSigstore.Core.Crypto;

namespace PrivateSigstore.Core.Tests.Crypto;

/// <summary>Ed25519ph (RFC 8032 §5.1 with dom2(1, "")), as Rekor's hashedrekord verifies Ed25519 keys.</summary>
public sealed class Ed25519PrehashTests
{
    // RFC 8032 §7.3, the Ed25519ph test vector ("abc").
    private const string Secret = "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42";
    private const string Public = "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf";
    private const string Signature = "98a70222f0b8121aa9d30f813d683f809e462b469c7ff87639499bb94e6dae4131f85042463c2a355a2003d062adf5aaa10b8c61e636062aaad11c2a26083406";

    [Fact]
    public void Rfc8032_section_7_3_vector()
    {
        var seed = Convert.FromHexString(Secret);
        var digest = SHA512.HashData("abc"u8);

        Assert.Equal(Public, Convert.ToHexStringLower(Ed25519.PublicKeyFromSeed(seed)));
        Assert.Equal(Signature, Convert.ToHexStringLower(Ed25519.SignPrehashed(seed, digest)));
        Assert.True(Ed25519.VerifyPrehashed(Convert.FromHexString(Public), digest, Convert.FromHexString(Signature)));
    }

    [Fact]
    public void Prehashed_and_pure_signatures_are_not_interchangeable()
    {
        var seed = Convert.FromHexString(Secret);
        var publicKey = Convert.FromHexString(Public);
        var digest = SHA512.HashData("abc"u8);

        // dom2 separates Ed25519ph from Ed25519 over the same 64 bytes.
        Assert.False(Ed25519.Verify(publicKey, digest, Convert.FromHexString(Signature)));
        Assert.False(Ed25519.VerifyPrehashed(publicKey, digest, Ed25519.Sign(seed, digest)));
    }

    [Fact]
    public void Rejects_tampering_and_bad_lengths_without_throwing()
    {
        var publicKey = Convert.FromHexString(Public);
        var digest = SHA512.HashData("abc"u8);
        var signature = Convert.FromHexString(Signature);

        for (var bit = 0; bit < 512; bit += 13)
        {
            var bad = (byte[])signature.Clone();
            bad[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(Ed25519.VerifyPrehashed(publicKey, digest, bad), $"bit {bit}");
        }

        Assert.False(Ed25519.VerifyPrehashed(publicKey, SHA512.HashData("abd"u8), signature));
        Assert.False(Ed25519.VerifyPrehashed(publicKey, digest.AsSpan(0, 32), signature));
        Assert.False(Ed25519.VerifyPrehashed(publicKey, digest, signature.AsSpan(0, 63)));
        Assert.False(Ed25519.VerifyPrehashed(publicKey.AsSpan(1), digest, signature));
        Assert.Throws<ArgumentException>(() => Ed25519.SignPrehashed(Convert.FromHexString(Secret), digest.AsSpan(0, 48)));
    }

    [Fact]
    public void Sign_and_verify_round_trip_for_random_keys()
    {
        for (var i = 0; i < 8; i++)
        {
            var seed = RandomNumberGenerator.GetBytes(32);
            var digest = SHA512.HashData(RandomNumberGenerator.GetBytes(i * 17));
            Assert.True(Ed25519.VerifyPrehashed(Ed25519.PublicKeyFromSeed(seed), digest, Ed25519.SignPrehashed(seed, digest)));
        }
    }
}
