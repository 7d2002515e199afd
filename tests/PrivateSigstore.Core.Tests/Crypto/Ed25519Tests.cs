using System.Numerics;
using CsCheck;
using PrivateSigstore.Core.Crypto;

namespace PrivateSigstore.Core.Tests.Crypto;

public sealed class Ed25519Tests
{
    public static TheoryData<string, string, string, string, string> Rfc8032Vectors()
    {
        var data = new TheoryData<string, string, string, string, string>();
        foreach (var line in File.ReadLines(TestData.PathOf("ed25519", "rfc8032-section-7.1.txt")))
        {
            var f = line.Split(':');
            data.Add(f[0], f[1], f[2], f[3], f[4]);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Rfc8032Vectors))]
    public void Rfc8032_section_7_1_vectors(string name, string secretHex, string publicHex, string messageHex, string signatureHex)
    {
        var seed = Convert.FromHexString(secretHex);
        var message = Convert.FromHexString(messageHex);
        var signature = Convert.FromHexString(signatureHex);

        Assert.Equal(publicHex, Convert.ToHexStringLower(Ed25519.PublicKeyFromSeed(seed)));
        Assert.Equal(signatureHex, Convert.ToHexStringLower(Ed25519.Sign(seed, message)));
        Assert.True(Ed25519.Verify(Convert.FromHexString(publicHex), message, signature), name);
    }

    [Fact]
    public void Rejects_tampered_signatures_messages_and_keys()
    {
        var seed = Convert.FromHexString("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb");
        var publicKey = Ed25519.PublicKeyFromSeed(seed);
        byte[] message = [0x72];
        var signature = Ed25519.Sign(seed, message);

        Assert.True(Ed25519.Verify(publicKey, message, signature));
        for (var bit = 0; bit < 512; bit += 7)
        {
            var bad = (byte[])signature.Clone();
            bad[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.False(Ed25519.Verify(publicKey, message, bad), $"bit {bit}");
        }

        Assert.False(Ed25519.Verify(publicKey, [0x73], signature));
        Assert.False(Ed25519.Verify(publicKey, [], signature));
        Assert.False(Ed25519.Verify(publicKey, message, signature.AsSpan(0, 63)));
        Assert.False(Ed25519.Verify(publicKey, message, [.. signature, 0]));
        Assert.False(Ed25519.Verify(publicKey.AsSpan(0, 31), message, signature));
        Assert.False(Ed25519.Verify(Ed25519.PublicKeyFromSeed(new byte[32]), message, signature));
    }

    [Fact]
    public void Rejects_non_canonical_scalars_and_points()
    {
        var seed = new byte[32];
        seed[0] = 7;
        var publicKey = Ed25519.PublicKeyFromSeed(seed);
        byte[] message = [1, 2, 3];
        var signature = Ed25519.Sign(seed, message);

        // RFC 8032 §5.1.7: S must be below L; S + L verifies the same equation but is rejected.
        var l = BigInteger.Pow(2, 252) + BigInteger.Parse("27742317777372353535851937790883648493", System.Globalization.CultureInfo.InvariantCulture);
        var s = new BigInteger(signature.AsSpan(32), isUnsigned: true);
        var malleable = (byte[])signature.Clone();
        (s + l).TryWriteBytes(malleable.AsSpan(32), out _, isUnsigned: true);
        Assert.False(Ed25519.Verify(publicKey, message, malleable));

        // RFC 8032 §5.1.3: y >= p, "negative zero" and off-curve encodings do not decode.
        var yIsP = Convert.FromHexString("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
        var negativeZero = Convert.FromHexString("0100000000000000000000000000000000000000000000000000000000000080");
        var offCurve = Convert.FromHexString("0200000000000000000000000000000000000000000000000000000000000000");
        foreach (var key in new[] { yIsP, negativeZero, offCurve })
        {
            Assert.False(Ed25519.Verify(key, message, signature));
            Assert.False(Ed25519.Verify(publicKey, message, [.. key, .. signature.AsSpan(32)]));
        }
    }

    [Fact]
    public void Random_keys_and_messages_round_trip() =>
        Gen.Select(Gen.Byte.Array[32], Gen.Byte.Array[0, 200]).Sample((seed, message) =>
        {
            var publicKey = Ed25519.PublicKeyFromSeed(seed);
            var signature = Ed25519.Sign(seed, message);
            Assert.True(Ed25519.Verify(publicKey, message, signature));
            Assert.False(Ed25519.Verify(publicKey, [.. message, 0], signature));
        }, iter: 40);

    [Fact]
    public void Converts_subject_public_key_info()
    {
        // The Rekor v2 log2025-1 key from the public trusted root (testdata/rekor/README.md).
        var spki = Convert.FromBase64String("MCowBQYDK2VwAyEAt8rlp1knGwjfbcXAYPYAkn0XiLz1x8O4t0YkEhie244=");
        var key = Ed25519.PublicKeyFromSubjectPublicKeyInfo(spki);

        Assert.Equal(32, key.Length);
        Assert.Equal(spki, Ed25519.ToSubjectPublicKeyInfo(key));
        Assert.Throws<WireFormatException>(() => Ed25519.PublicKeyFromSubjectPublicKeyInfo(spki.AsSpan(0, spki.Length - 1)));
        Assert.Throws<WireFormatException>(() => Ed25519.PublicKeyFromSubjectPublicKeyInfo(Convert.FromBase64String("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwrkBbmLSGtks4L3qX6yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw==")));
        Assert.Throws<ArgumentException>(() => Ed25519.Sign(new byte[31], []));
    }
}
