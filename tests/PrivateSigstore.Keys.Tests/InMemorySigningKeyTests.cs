using System.Security.Cryptography;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys.Tests.TestSupport;

namespace PrivateSigstore.Keys.Tests;

public sealed class InMemorySigningKeyTests
{
    public static TheoryData<SigningAlgorithm> AllAlgorithms => [.. Enum.GetValues<SigningAlgorithm>()];

    [Theory]
    [MemberData(nameof(AllAlgorithms))]
    public void Generated_key_signatures_verify_with_the_public_key_alone(SigningAlgorithm algorithm)
    {
        using var key = InMemorySigningKey.Generate(algorithm);
        var data = "hello, transparency"u8.ToArray();

        var signature = key.Sign(data);

        Assert.Equal(algorithm, key.Algorithm);
        Assert.False(key.IsHardwareBacked);
        Assert.True(Signatures.Verify(algorithm, key.SubjectPublicKeyInfo, data, signature));
        Assert.False(Signatures.Verify(algorithm, key.SubjectPublicKeyInfo, "tampered"u8.ToArray(), signature));
        if (algorithm == SigningAlgorithm.Ed25519)
        {
            Assert.Equal(64, signature.Length);
        }
    }

    [Theory]
    [InlineData(SigningAlgorithm.EcdsaP256Sha256)]
    [InlineData(SigningAlgorithm.EcdsaP384Sha384)]
    [InlineData(SigningAlgorithm.EcdsaP521Sha512)]
    public void Ecdsa_signatures_are_strict_der_including_high_bit_scalars(SigningAlgorithm algorithm)
    {
        using var key = InMemorySigningKey.Generate(algorithm);
        var spki = key.SubjectPublicKeyInfo;
        var padded = 0;
        for (var i = 0; i < 200; i++)
        {
            var data = BitConverter.GetBytes(i);
            var signature = key.Sign(data);
            padded += Signatures.AssertStrictDerEcdsa(signature, Signatures.ScalarSize(algorithm));
            Assert.True(Signatures.Verify(algorithm, spki, data, signature));
        }

        if (algorithm != SigningAlgorithm.EcdsaP521Sha512)
        {
            // P-521 scalars are 521 bits in 66 bytes, so their top byte never has its high bit set.
            Assert.True(padded > 0, "200 signatures should include r or s with the high bit set");
        }
    }

    [Fact]
    public void Concurrent_signers_all_get_valid_signatures()
    {
        using var key = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
        var spki = key.SubjectPublicKeyInfo;
        var failures = 0;
        Parallel.For(0, 800, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            var data = BitConverter.GetBytes(i);
            if (!Signatures.Verify(SigningAlgorithm.EcdsaP256Sha256, spki, data, key.Sign(data)))
            {
                Interlocked.Increment(ref failures);
            }
        });

        Assert.Equal(0, failures);
    }

    [Fact]
    public void Wrapping_takes_the_callers_key_and_keeps_its_public_key()
    {
        var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var expected = ecdsa.ExportSubjectPublicKeyInfo();

        using var key = new InMemorySigningKey(ecdsa, "test key");

        Assert.Equal(SigningAlgorithm.EcdsaP384Sha384, key.Algorithm);
        Assert.Equal(expected, key.SubjectPublicKeyInfo);
        Assert.Equal("test key", key.Description);
    }

    [Fact]
    public void Subject_public_key_info_is_a_copy()
    {
        using var key = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
        var first = key.SubjectPublicKeyInfo;
        first[^1] ^= 0xff;

        Assert.NotEqual(first, key.SubjectPublicKeyInfo);
    }

    [Fact]
    public void Small_rsa_keys_and_public_only_keys_are_refused()
    {
        using var small = RSA.Create(1024);
        Assert.Throws<ArgumentException>(() => new InMemorySigningKey(small));

        using var full = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var publicOnly = ECDsa.Create(full.ExportParameters(includePrivateParameters: false));
        Assert.Throws<ArgumentException>(() => new InMemorySigningKey(publicOnly));
    }

    [Fact]
    public void Ed25519_seed_gives_rfc8032_signatures()
    {
        // RFC 8032 §7.1 TEST 1.
        var seed = Convert.FromHexString("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        using var key = InMemorySigningKey.FromEd25519Seed(seed);

        var signature = key.Sign([]);

        Assert.Equal(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
            Convert.ToHexStringLower(signature));
        Assert.Equal(
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            Convert.ToHexStringLower(key.SubjectPublicKeyInfo[^32..]));
    }

    [Fact]
    public void Signing_after_dispose_throws()
    {
        var key = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
        key.Dispose();

        Assert.Throws<ObjectDisposedException>(() => key.Sign([1, 2, 3]));
    }

    [Fact]
    public void Log_id_is_sha256_of_the_public_key()
    {
        using var key = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);

        Assert.Equal(SHA256.HashData(key.SubjectPublicKeyInfo), KeyIds.LogId(key.SubjectPublicKeyInfo));
    }
}
