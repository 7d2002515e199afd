using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Timestamp.Tests;

/// <summary>The token writer with every TSA key algorithm the ceremony offers (the digest and signature OIDs follow the key).</summary>
public sealed class KeyAlgorithmTests
{
    private static TimestampAuthority Authority(SigningAlgorithm algorithm, out X509Certificate2[] chain)
    {
        var key = InMemorySigningKey.Generate(algorithm);
        using var rootKey = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP384Sha384);
        var now = DateTimeOffset.UtcNow.AddMinutes(-1);
        var root = TsaCertificates.CreateRoot(rootKey, "Algorithms Root", "Test", now, now.AddYears(1));
        var leaf = TsaCertificates.CreateLeaf(key.SubjectPublicKeyInfo, "Algorithms TSA", "Test", root, rootKey, now, now.AddDays(1));
        chain = [leaf, root];
        var options = new TimestampOptions();
        return new TimestampAuthority(TsaCredentials.Create(key, chain), options,
            new ClockMonitor(options.ClockCheck, TimeProvider.System, NullLogger<ClockMonitor>.Instance), TimeProvider.System);
    }

    [Theory]
    [InlineData(SigningAlgorithm.EcdsaP256Sha256, "2.16.840.1.101.3.4.2.1")]
    [InlineData(SigningAlgorithm.EcdsaP384Sha384, "2.16.840.1.101.3.4.2.2")]
    [InlineData(SigningAlgorithm.EcdsaP521Sha512, "2.16.840.1.101.3.4.2.3")]
    [InlineData(SigningAlgorithm.RsaPkcs1v15Sha256, "2.16.840.1.101.3.4.2.1")]
    public void Tokens_signed_with_each_key_algorithm_verify(SigningAlgorithm algorithm, string digestOid)
    {
        using var authority = Authority(algorithm, out var chain);
        foreach (var hash in new[] { "sha256", "sha384", "sha512" })
        {
            var request = Replies.Request(hash, "algorithms"u8.ToArray(), true, 77);
            var reply = authority.Issue(TimestampQuery.FromDer(request.Encode(), authority.AcceptedPolicies));
            var token = Replies.Verify(request, reply, chain);
            Assert.Equal(digestOid, token.AsSignedCms().SignerInfos[0].DigestAlgorithm.Value);
        }
    }

    [Fact]
    public void Ed25519_keys_are_refused()
    {
        using var key = InMemorySigningKey.Generate(SigningAlgorithm.Ed25519);
        using var rootKey = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
        var now = DateTimeOffset.UtcNow;
        using var root = TsaCertificates.CreateRoot(rootKey, "Root", "Test", now, now.AddYears(1));
        var e = Assert.Throws<InvalidOperationException>(() => TsaCredentials.Create(key, [root, root]));
        Assert.Contains("Ed25519", e.Message, StringComparison.Ordinal);
    }
}
