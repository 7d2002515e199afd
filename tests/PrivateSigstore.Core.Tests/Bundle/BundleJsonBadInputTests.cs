using System.Text;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Dsse;

namespace PrivateSigstore.Core.Tests.Bundle;

/// <summary>Every kind of bad input surfaces as WireFormatException, never another exception type.</summary>
public sealed class BundleJsonBadInputTests
{
    private const string Minimal =
        "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"certificate\":{\"rawBytes\":\"MAA=\"}},"
        + "\"messageSignature\":{\"messageDigest\":{\"algorithm\":\"SHA2_256\",\"digest\":\"AAAA\"},\"signature\":\"MAA=\"}}";

    private static WireFormatException Rejects(string json) =>
        Assert.ThrowsAny<WireFormatException>(() => BundleJson.Parse(Encoding.UTF8.GetBytes(json)));

    private static WireFormatException Rejects(byte[] utf8) =>
        Assert.ThrowsAny<WireFormatException>(() => BundleJson.Parse(utf8));

    [Fact]
    public void Minimal_bundle_parses() => BundleJson.Parse(Minimal).Validate();

    [Fact]
    public void Upstream_malformed_json_is_rejected() =>
        Rejects(TestData.Bytes("bundles/conformance.bundle-malformed-json_fail.sigstore.json"));

    [Fact]
    public void Upstream_invalid_base64_signature_is_rejected()
    {
        var error = Rejects(TestData.Bytes("bundles/conformance.bundle-invalid-base64-signature_fail.sigstore.json"));

        Assert.Equal("$.messageSignature.signature: invalid base64", error.Reason);
    }

    [Fact]
    public void Every_truncation_of_a_real_bundle_is_rejected()
    {
        var bytes = TestData.Bytes("bundles/sigstore-go.public-key-validity.sigstore.json");

        // The file ends with "}\n"; any cut before the final "}" leaves incomplete JSON.
        for (var length = 0; length < bytes.Length - 2; length++)
        {
            Rejects(bytes.AsSpan(0, length).ToArray());
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("\"bundle\"")]
    [InlineData("42")]
    [InlineData("{} {}")]
    [InlineData("{}x")]
    [InlineData("{\"mediaType\":\"x\",}")]
    [InlineData("{/*c*/}")]
    [InlineData("{'mediaType':'x'}")]
    public void Not_one_json_object_is_rejected(string json) => Rejects(json);

    [Theory]
    [InlineData("{\"mediaType\":1}", "$.mediaType: expected a string, got a number")]
    [InlineData("{\"mediaType\":[\"x\"]}", "$.mediaType: expected a string, got an array")]
    [InlineData("{\"verificationMaterial\":\"x\"}", "$.verificationMaterial: expected a JSON object for dev.sigstore.bundle.v1.VerificationMaterial, got a string")]
    [InlineData("{\"verificationMaterial\":{\"tlogEntries\":{}}}", "$.verificationMaterial.tlogEntries: expected an array, got an object")]
    [InlineData("{\"verificationMaterial\":{\"tlogEntries\":[null]}}", "$.verificationMaterial.tlogEntries[0]: null is not allowed in a repeated field")]
    [InlineData("{\"verificationMaterial\":{\"tlogEntries\":[{\"logIndex\":true}]}}", "$.verificationMaterial.tlogEntries[0].logIndex: expected an int64 as a string or number, got a boolean")]
    [InlineData("{\"verificationMaterial\":{\"tlogEntries\":[{\"logIndex\":\"1.5\"}]}}", "$.verificationMaterial.tlogEntries[0].logIndex: \"1.5\" is not a valid int64")]
    [InlineData("{\"verificationMaterial\":{\"tlogEntries\":[{\"logIndex\":\"9223372036854775808\"}]}}", "$.verificationMaterial.tlogEntries[0].logIndex: \"9223372036854775808\" is not a valid int64")]
    [InlineData("{\"verificationMaterial\":{\"tlogEntries\":[{\"logIndex\":\" 1\"}]}}", "$.verificationMaterial.tlogEntries[0].logIndex: \" 1\" is not a valid int64")]
    [InlineData("{\"verificationMaterial\":{\"tlogEntries\":[{\"logIndex\":\"0x10\"}]}}", "$.verificationMaterial.tlogEntries[0].logIndex: \"0x10\" is not a valid int64")]
    [InlineData("{\"verificationMaterial\":{\"tlogEntries\":[{\"logIndex\":1e400}]}}", "$.verificationMaterial.tlogEntries[0].logIndex: \"1e400\" is not a valid int64")]
    [InlineData("{\"verificationMaterial\":{\"tlogEntries\":[{\"canonicalizedBody\":\"a b\"}]}}", "$.verificationMaterial.tlogEntries[0].canonicalizedBody: invalid base64")]
    [InlineData("{\"verificationMaterial\":{\"tlogEntries\":[{\"canonicalizedBody\":\"a+b_\"}]}}", "$.verificationMaterial.tlogEntries[0].canonicalizedBody: invalid base64")]
    [InlineData("{\"verificationMaterial\":{\"tlogEntries\":[{\"canonicalizedBody\":\"YQ=\"}]}}", "$.verificationMaterial.tlogEntries[0].canonicalizedBody: invalid base64")]
    [InlineData("{\"verificationMaterial\":{\"tlogEntries\":[{\"canonicalizedBody\":\"Y\"}]}}", "$.verificationMaterial.tlogEntries[0].canonicalizedBody: invalid base64")]
    [InlineData("{\"verificationMaterial\":{\"tlogEntries\":[{\"inclusionProof\":{\"hashes\":[1]}}]}}", "$.verificationMaterial.tlogEntries[0].inclusionProof.hashes[0]: expected a base64 string, got a number")]
    [InlineData("{\"messageSignature\":{\"messageDigest\":{\"algorithm\":\"SHA2_257\"}}}", "$.messageSignature.messageDigest.algorithm: unrecognized enum value \"SHA2_257\" for dev.sigstore.common.v1.HashAlgorithm")]
    [InlineData("{\"messageSignature\":{\"messageDigest\":{\"algorithm\":\"sha2_256\"}}}", "$.messageSignature.messageDigest.algorithm: unrecognized enum value \"sha2_256\" for dev.sigstore.common.v1.HashAlgorithm")]
    [InlineData("{\"messageSignature\":{\"messageDigest\":{\"algorithm\":99}}}", "$.messageSignature.messageDigest.algorithm: unrecognized enum number 99 for dev.sigstore.common.v1.HashAlgorithm")]
    [InlineData("{\"messageSignature\":{\"messageDigest\":{\"algorithm\":{}}}}", "$.messageSignature.messageDigest.algorithm: expected an enum name string for dev.sigstore.common.v1.HashAlgorithm, got an object")]
    [InlineData("{\"mediaType\":\"a\",\"mediaType\":\"b\"}", "$: duplicate field \"mediaType\" in dev.sigstore.bundle.v1.Bundle")]
    [InlineData("{\"mediaType\":\"a\",\"media_type\":\"b\"}", "$: duplicate field \"media_type\" in dev.sigstore.bundle.v1.Bundle")]
    [InlineData("{\"mediaType\":\"\\ud800\"}", "$.mediaType: string contains an unpaired UTF-16 surrogate or invalid UTF-8")]
    [InlineData("{\"mediaType\":\"\\udc00x\"}", "$.mediaType: string contains an unpaired UTF-16 surrogate or invalid UTF-8")]
    public void Wrong_values_are_rejected_with_their_path(string json, string reason) =>
        Assert.Equal(reason, Rejects(json).Reason);

    [Fact]
    public void Both_members_of_the_content_oneof_are_rejected()
    {
        var json = Minimal[..^1] + ",\"dsseEnvelope\":{\"payload\":\"AA==\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AA==\"}]}}";

        Assert.Equal(
            "$: oneof dev.sigstore.bundle.v1.Bundle.content is already set by \"messageSignature\"; \"dsseEnvelope\" cannot also be set",
            Rejects(json).Reason);
    }

    [Fact]
    public void Two_members_of_the_key_material_oneof_are_rejected()
    {
        var json = Minimal.Replace("{\"certificate\":", "{\"publicKey\":{\"hint\":\"x\"},\"certificate\":", StringComparison.Ordinal);

        Assert.Equal(
            "$.verificationMaterial: oneof dev.sigstore.bundle.v1.VerificationMaterial.content is already set by \"publicKey\"; \"certificate\" cannot also be set",
            Rejects(json).Reason);
    }

    [Fact]
    public void A_null_oneof_member_does_not_count()
    {
        // protojson skips null fields before its oneof check.
        var json = Minimal[..^1] + ",\"dsseEnvelope\":null}";

        Assert.Null(BundleJson.Parse(json).DsseEnvelope);
    }

    [Fact]
    public void Input_over_16_MiB_is_rejected_before_parsing()
    {
        var big = new byte[(17 * 1024 * 1024)];
        big.AsSpan().Fill((byte)' ');
        Minimal.Select(c => (byte)c).ToArray().CopyTo(big, 0);

        Assert.Contains("more than the limit of 16777216 bytes", Rejects(big).Reason, StringComparison.Ordinal);
        Assert.ThrowsAny<WireFormatException>(() => BundleJson.Parse(Encoding.UTF8.GetString(big)));
        using var stream = new MemoryStream(big);
        Assert.ThrowsAny<WireFormatException>(() => BundleJson.Parse(stream));
    }

    [Fact]
    public void Exactly_16_MiB_is_accepted()
    {
        var bytes = new byte[BundleJson.MaxBytes];
        bytes.AsSpan().Fill((byte)' ');
        Encoding.UTF8.GetBytes(Minimal).CopyTo(bytes, 0);

        Assert.Equal(BundleMediaType.V0_3, BundleJson.Parse(bytes).MediaType);
    }

    [Theory]
    [InlineData(65)]
    [InlineData(100_000)]
    public void Depth_bombs_are_rejected_even_in_unknown_fields(int depth)
    {
        var json = "{\"unknown\":" + new string('[', depth) + new string(']', depth) + "}";

        Rejects(json);
    }

    [Fact]
    public void Nesting_up_to_64_levels_in_unknown_fields_is_ignored()
    {
        var json = Minimal[..^1] + ",\"future\":" + new string('[', 63) + new string(']', 63) + "}";

        Assert.Equal(BundleMediaType.V0_3, BundleJson.Parse(json).MediaType);
    }

    [Fact]
    public void Invalid_utf8_is_rejected()
    {
        var bytes = Encoding.UTF8.GetBytes("{\"mediaType\":\"ab\"}");
        bytes[15] = 0xff;

        Rejects(bytes);
    }

    [Fact]
    public void Unknown_fields_are_ignored_at_every_level()
    {
        var json = Minimal
            .Replace("{\"mediaType\"", "{\"x\":{\"y\":[1,2,{}]},\"mediaType\"", StringComparison.Ordinal)
            .Replace("{\"rawBytes\"", "{\"future\":true,\"rawBytes\"", StringComparison.Ordinal);

        Assert.Equal(BundleJson.Serialize(BundleJson.Parse(Minimal)), BundleJson.Serialize(BundleJson.Parse(json)));
    }

    [Fact]
    public void Proto_field_names_numbers_and_url_safe_base64_are_accepted_as_protojson_accepts_them()
    {
        var json = "{\"media_type\":\"m\",\"verification_material\":{\"tlog_entries\":[{\"log_index\":12,\"integrated_time\":\"1e3\","
                   + "\"inclusion_proof\":{\"tree_size\":1.3e1,\"root_hash\":\"-_8\",\"hashes\":[\"+/8=\",\"AA\"]},"
                   + "\"canonicalized_body\":\"YQ\"}]},\"message_signature\":{\"message_digest\":{\"algorithm\":1}}}";

        var bundle = BundleJson.Parse(json);

        var entry = bundle.VerificationMaterial!.TlogEntries[0];
        Assert.Equal("m", bundle.MediaType);
        Assert.Equal(12L, entry.LogIndex);
        Assert.Equal(1000L, entry.IntegratedTime);
        Assert.Equal(13L, entry.InclusionProof!.TreeSize);
        Assert.Equal(new byte[] { 0xfb, 0xff }, entry.InclusionProof.RootHash);
        Assert.Equal(new byte[] { 0xfb, 0xff }, entry.InclusionProof.Hashes[0]);
        Assert.Equal(new byte[] { 0 }, entry.InclusionProof.Hashes[1]);
        Assert.Equal("a"u8.ToArray(), entry.CanonicalizedBody);
        Assert.Equal(HashAlgorithm.Sha2_256, bundle.MessageSignature!.MessageDigest!.Algorithm);
    }

    [Fact]
    public void Serializing_two_oneof_members_set_in_code_is_refused()
    {
        var bundle = BundleJson.Parse(Minimal) with
        {
            DsseEnvelope = new DsseEnvelope("t", [1], []),
        };

        Assert.Throws<ArgumentException>(() => BundleJson.Serialize(bundle));
    }
}
