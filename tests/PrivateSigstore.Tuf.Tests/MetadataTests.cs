using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Tuf.Tests;

/// <summary>Canonical JSON, keys and signatures, checked against the bytes the TUF clients produce and accept.</summary>
public sealed class MetadataTests
{
    [Fact]
    public void Canonical_json_sorts_members_and_escapes_only_quote_and_backslash()
    {
        var node = JsonNode.Parse("""{"b":1,"a":{"z":[true,false,null],"y":"q\"u\\o\nte\u00e9"},"A":-7}""");
        Assert.Equal("{\"A\":-7,\"a\":{\"y\":\"q\\\"u\\\\o\nte\u00e9\",\"z\":[true,false,null]},\"b\":1}", Encoding.UTF8.GetString(TufCanonicalJson.Serialize(node)));
    }

    [Fact]
    public void Canonical_json_refuses_floats()
    {
        var e = Assert.Throws<TufFormatException>(() => TufCanonicalJson.Serialize(JsonNode.Parse("""{"version":1.5}""")));
        Assert.Contains("integers only", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(SigningAlgorithm.Ed25519, "ed25519", "ed25519")]
    [InlineData(SigningAlgorithm.EcdsaP256Sha256, "ecdsa", "ecdsa-sha2-nistp256")]
    public void Keys_round_trip_and_sign_verifiable_metadata(SigningAlgorithm algorithm, string keyType, string scheme)
    {
        using var signer = InMemorySigningKey.Generate(algorithm);
        var key = TufKey.FromSigningKey(signer);
        Assert.Equal(keyType, key.KeyType);
        Assert.Equal(scheme, key.Scheme);
        var parsed = TufKey.Parse(JsonNode.Parse(key.Json.ToJsonString()), "test");
        Assert.Equal(key.KeyId, parsed.KeyId);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(TufCanonicalJson.Serialize(key.Json))), key.KeyId);

        var roles = TufRoles.All.ToDictionary(r => r, _ => ((IReadOnlyList<TufKey>)[key], 1));
        var root = TufMetadata.NewRoot(1, DateTimeOffset.UtcNow.AddDays(1), roles);
        root.Sign(signer);
        var reparsed = TufMetadata.Parse(root.ToBytes(), TufRole.Root, "root.json");
        var info = reparsed.AsRoot();
        reparsed.VerifyThreshold(info.Roles[TufRole.Root], info.Keys, "root v1");
        Assert.True(info.ConsistentSnapshot);
    }

    [Fact]
    public void Unknown_key_types_and_rsa_keys_are_refused_with_the_reason()
    {
        var e = Assert.Throws<TufFormatException>(() => TufKey.Parse(JsonNode.Parse("""{"keytype":"rsa","scheme":"rsassa-pss-sha256","keyval":{"public":"x"}}"""), "root key 1"));
        Assert.Contains("unsupported key type 'rsa'", e.Message, StringComparison.Ordinal);
        using var rsa = InMemorySigningKey.Generate(SigningAlgorithm.RsaPkcs1v15Sha256);
        Assert.Throws<TufFormatException>(() => TufKey.FromSigningKey(rsa));
    }

    [Fact]
    public void Threshold_counts_each_key_once_and_names_the_shortfall()
    {
        using var a = InMemorySigningKey.Generate(SigningAlgorithm.Ed25519);
        using var b = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
        TufKey ka = TufKey.FromSigningKey(a), kb = TufKey.FromSigningKey(b);
        var roles = TufRoles.All.ToDictionary(r => r, _ => ((IReadOnlyList<TufKey>)[ka, kb], 2));
        var root = TufMetadata.NewRoot(1, DateTimeOffset.UtcNow.AddDays(1), roles);
        root.Sign(a);
        root.Signatures.Add(root.Signatures[0]); // a duplicate signature does not count twice
        var info = root.AsRoot();
        var e = Assert.Throws<TufThresholdException>(() => root.VerifyThreshold(info.Roles[TufRole.Root], info.Keys, "root v1"));
        Assert.Contains("1 valid signature(s) of the 2 needed", e.Message, StringComparison.Ordinal);
        root.Sign(b);
        root.VerifyThreshold(info.Roles[TufRole.Root], info.Keys, "root v1");
    }

    [Theory]
    [InlineData("""{"signed":{"_type":"targets","spec_version":"1.0","version":1,"expires":"2030-01-01T00:00:00Z","targets":{}},"signatures":[]}""", "_type is 'targets', expected 'root'")]
    [InlineData("""{"signed":{"_type":"root","spec_version":"2.0","version":1,"expires":"2030-01-01T00:00:00Z"},"signatures":[]}""", "unsupported spec_version")]
    [InlineData("""{"signed":{"_type":"root","spec_version":"1.0","version":0,"expires":"2030-01-01T00:00:00Z"},"signatures":[]}""", "'version' must be at least 1")]
    [InlineData("""{"signed":{"_type":"root","spec_version":"1.0","version":1,"expires":"tomorrow"},"signatures":[]}""", "'expires' must be a UTC time")]
    [InlineData("""{"signed":{"_type":"root","spec_version":"1.0","version":1,"expires":"2030-01-01T00:00:00Z","keys":{},"roles":{}},"signatures":[]}""", "roles has no 'root' object")]
    [InlineData("""{"signed":{"_type":"root"}""", "malformed JSON")]
    [InlineData("""[1]""", "not a JSON object")]
    public void Malformed_metadata_gets_a_clear_error(string json, string reason)
    {
        var e = Assert.Throws<TufFormatException>(() => TufMetadata.Parse(Encoding.UTF8.GetBytes(json), TufRole.Root, "1.root.json"));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.StartsWith("1.root.json", e.Message, StringComparison.Ordinal);
    }

    // Found by fuzzing (fuzz/run.sh tuf, CI of 2026-12-06): a member named twice ({"sig":"a","sig":"b"}) parsed, then threw
    // ArgumentException out of JsonObject.TryGetPropertyValue. Signed metadata with two values for one name is ambiguous
    // (which one did the signer mean?), so it is refused as malformed.
    [Theory]
    [InlineData("""{"signed":{"_type":"root","spec_version":"1.0","version":1,"expires":"2030-01-01T00:00:00Z"},"signatures":[{"keyid":"a","sig":"00","sig":"01"}]}""", "sig")]
    [InlineData("""{"signed":{"_type":"root","_type":"root","spec_version":"1.0","version":1,"expires":"2030-01-01T00:00:00Z"},"signatures":[]}""", "_type")]
    [InlineData("""{"signed":{"_type":"root","spec_version":"1.0","version":1,"version":2,"expires":"2030-01-01T00:00:00Z","keys":{},"roles":{}},"signatures":[]}""", "version")]
    public void Metadata_with_a_member_named_twice_is_refused_as_malformed(string json, string member)
    {
        var e = Assert.Throws<TufFormatException>(() => TufMetadata.Parse(Encoding.UTF8.GetBytes(json), TufRole.Root, "1.root.json"));
        Assert.StartsWith("1.root.json", e.Message, StringComparison.Ordinal);
        Assert.Contains("malformed JSON", e.Message, StringComparison.Ordinal);
        Assert.Contains(member, e.Message, StringComparison.Ordinal);
    }

    // Found by fuzzing (fuzz/run.sh tuf): metadata whose strings are not valid UTF-8 (or hold a lone escaped surrogate)
    // threw InvalidOperationException out of JsonNode.GetValue<string> instead of a TufFormatException.
    [Theory]
    [InlineData("""{"signed":{"_type":"root","spec_version":"1.0","version":1,"expires":"2030-01-01T00:00:00Z","keys":{},"roles":{"root":{"keyids":["ÿ"],"threshold":1}}},"signatures":[]}""")]
    [InlineData("""{"signed":{"_type":"roÃ","spec_version":"1.0","version":1,"expires":"2030-01-01T00:00:00Z"},"signatures":[]}""")]
    [InlineData("""{"signed":{"_type":"root","spec_version":"1.0","version":1,"expires":"2030-01-01T00:00:00Z"},"signatures":[{"keyid":"\ud800","sig":"00"}]}""")]
    [InlineData("""{"signed":{"_type":"root","spec_version":"1.0","version":1,"expires":"2030-01-01T00:00:00Z","keys":{"þ":{}},"roles":{}},"signatures":[]}""")]
    public void Metadata_with_a_string_that_is_not_unicode_gets_a_clear_error(string latin1)
    {
        var e = Assert.Throws<TufFormatException>(() => TufMetadata.Parse(Encoding.Latin1.GetBytes(latin1), TufRole.Root, "1.root.json"));
        Assert.StartsWith("1.root.json", e.Message, StringComparison.Ordinal);
    }
}
