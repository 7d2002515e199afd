using System.Text;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.ProtoJson;
using PrivateSigstore.Core.Trust;

namespace PrivateSigstore.Core.Tests.Trust;

public sealed class TrustedRootTests
{
    public static TheoryData<string> TrustedRoots =>
    [
        "sigstore-go.public-good.trusted_root.json",
        "sigstore-go.scaffolding.trusted_root.json",
        "sigstore-go.public-key-validity.trusted_root.json",
        "sigstore-js.tuf-seeds.production.trusted_root.json",
        "sigstore-python.staging-tuf.trusted_root.json",
        "conformance.intoto-with-custom-trust-root.trusted_root.json",
        "conformance.trust-root-tlog-validity-end-inclusive.trusted_root.json",
    ];

    /// <summary>
    /// Trusted roots whose bytes are what protojson writes, modulo whitespace. Not in this list: roots with
    /// "….000Z" times (written by JavaScript's toISOString: sigstore-go.public-good,
    /// conformance.intoto-with-custom-trust-root) and a Python-written one with explicit nulls and
    /// six-digit fractions (conformance.trust-root-tlog-validity-end-inclusive); they are checked semantically.
    /// </summary>
    public static TheoryData<string> ProtojsonShapedTrustedRoots =>
    [
        "sigstore-go.scaffolding.trusted_root.json",
        "sigstore-go.public-key-validity.trusted_root.json",
        "sigstore-js.tuf-seeds.production.trusted_root.json",
        "sigstore-python.staging-tuf.trusted_root.json",
    ];

    [Theory]
    [MemberData(nameof(TrustedRoots))]
    public void Round_trip_is_semantically_identical(string file)
    {
        var original = TestData.Text("trust/" + file);

        var written = TrustedRootJson.Serialize(TrustedRootJson.Parse(TestData.Bytes("trust/" + file)));

        JsonComparison.AssertSemanticallyEqual(original, written);
        Assert.Equal(written, TrustedRootJson.Serialize(TrustedRootJson.Parse(written)));
    }

    [Theory]
    [MemberData(nameof(ProtojsonShapedTrustedRoots))]
    public void Round_trip_of_protojson_shaped_roots_is_identical_modulo_whitespace(string file)
    {
        var original = TestData.Text("trust/" + file);

        var written = TrustedRootJson.Serialize(TrustedRootJson.Parse(original), indented: true);

        Assert.Equal(JsonComparison.Minified(original), JsonComparison.Minified(written));
    }

    [Fact]
    public void Public_good_root_fields()
    {
        var root = TrustedRootJson.Parse(TestData.Bytes("trust/sigstore-go.public-good.trusted_root.json"));

        Assert.Equal(TrustedRootMediaType.V0_1, root.MediaType);
        var rekor = Assert.Single(root.Tlogs);
        Assert.Equal("https://rekor.sigstore.dev", rekor.BaseUrl);
        Assert.Equal(HashAlgorithm.Sha2_256, rekor.HashAlgorithm);
        Assert.Equal(PublicKeyDetails.PkixEcdsaP256Sha256, rekor.PublicKey!.KeyDetails);
        Assert.Equal(91, rekor.PublicKey.RawBytes!.Length); // DER SPKI of a P-256 key
        Assert.Equal(ProtoTimestamp.Parse("2021-01-12T11:53:27Z"), rekor.PublicKey.ValidFor!.Start);
        Assert.Null(rekor.PublicKey.ValidFor.End);
        Assert.Equal("wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=", Convert.ToBase64String(rekor.LogId!.KeyId));
        Assert.Null(rekor.CheckpointKeyId);
        Assert.Equal("", rekor.Operator);

        Assert.Equal(2, root.CertificateAuthorities.Count);
        var fulcio = root.CertificateAuthorities[0];
        Assert.Equal(("sigstore.dev", "sigstore"), (fulcio.Subject!.Organization, fulcio.Subject.CommonName));
        Assert.Equal("https://fulcio.sigstore.dev", fulcio.Uri);
        Assert.Single(fulcio.CertChain!.Certificates);
        Assert.Equal(new DateTimeOffset(2022, 12, 31, 23, 59, 59, 999, TimeSpan.Zero), fulcio.ValidFor!.End!.Value.ToDateTimeOffset());
        Assert.Equal(2, root.CertificateAuthorities[1].CertChain!.Certificates.Count);
        Assert.Equal(2, root.Ctlogs.Count);
        Assert.Single(root.TimestampAuthorities);
    }

    [Fact]
    public void Production_root_has_the_rekor_v2_ed25519_shard()
    {
        var root = TrustedRootJson.Parse(TestData.Bytes("trust/sigstore-js.tuf-seeds.production.trusted_root.json"));

        var shard = Assert.Single(root.Tlogs, t => t.BaseUrl == "https://log2025-1.rekor.sigstore.dev");
        Assert.Equal(PublicKeyDetails.PkixEd25519, shard.PublicKey!.KeyDetails);
        Assert.Equal("MCowBQYDK2VwAyEAt8rlp1knGwjfbcXAYPYAkn0XiLz1x8O4t0YkEhie244=", Convert.ToBase64String(shard.PublicKey.RawBytes!));
        Assert.Equal("zxGZFVvd0FEmjR8WrFwMdcAJ9vtaY/QXf44Y1wUeP6A=", Convert.ToBase64String(shard.LogId!.KeyId));
        Assert.Equal("2025-09-23T00:00:00Z", shard.PublicKey.ValidFor!.Start.ToString());
    }

    [Fact]
    public void Nanosecond_validity_times_survive_the_round_trip()
    {
        var root = TrustedRootJson.Parse(TestData.Bytes("trust/sigstore-go.public-key-validity.trusted_root.json"));

        var validFor = root.TimestampAuthorities[0].ValidFor!;
        Assert.Equal(186_617_431, validFor.Start!.Value.Nanos);
        Assert.Equal(186_617_501, validFor.End!.Value.Nanos);
        Assert.Contains("\"end\":\"2026-06-04T18:43:29.186617501Z\"", TrustedRootJson.Serialize(root), StringComparison.Ordinal);
    }

    [Fact]
    public void Deprecated_key_details_and_explicit_nulls_are_read()
    {
        var staging = TrustedRootJson.Parse(TestData.Bytes("trust/sigstore-python.staging-tuf.trusted_root.json"));
        var inclusive = TrustedRootJson.Parse(TestData.Bytes("trust/conformance.trust-root-tlog-validity-end-inclusive.trusted_root.json"));

        Assert.Equal(PublicKeyDetails.Pkcs1RsaPkcs1v5, staging.Ctlogs[0].PublicKey!.KeyDetails);
        Assert.Null(inclusive.Tlogs[1].CheckpointKeyId);
        Assert.Null(inclusive.Tlogs[1].PublicKey!.ValidFor!.End);
        Assert.Equal(999_000_000, inclusive.CertificateAuthorities[0].ValidFor!.End!.Value.Nanos); // "…59.999000Z"
    }

    [Fact]
    public void V0_2_root_with_checkpoint_key_id_and_operator_round_trips_exactly()
    {
        const string Json =
            "{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot.v0.2+json\",\"tlogs\":[{\"baseUrl\":\"https://log2025-1.rekor.example\","
            + "\"hashAlgorithm\":\"SHA2_256\",\"publicKey\":{\"rawBytes\":\"MCowBQYDK2VwAyEAt8rlp1knGwjfbcXAYPYAkn0XiLz1x8O4t0YkEhie244=\","
            + "\"keyDetails\":\"PKIX_ED25519\",\"validFor\":{\"start\":\"2025-09-23T00:00:00Z\",\"end\":\"2026-03-23T00:00:00.5Z\"}},"
            + "\"logId\":{\"keyId\":\"zxGZFVvd0FEmjR8WrFwMdcAJ9vtaY/QXf44Y1wUeP6A=\"},\"checkpointKeyId\":{\"keyId\":\"zxGZFVvd0FEmjR8WrFwMdcAJ9vtaY/QXf44Y1wUeP6A=\"},"
            + "\"operator\":\"example.com\"}],\"certificateAuthorities\":[{\"subject\":{\"organization\":\"example.com\",\"commonName\":\"ca\"},"
            + "\"uri\":\"https://fulcio.example\",\"certChain\":{\"certificates\":[{\"rawBytes\":\"MAA=\"}]},\"validFor\":{\"start\":\"2025-01-01T00:00:00Z\"},"
            + "\"operator\":\"example.com\"}],\"timestampAuthorities\":[{\"uri\":\"https://tsa.example/api/v1/timestamp\",\"validFor\":{}}]}";

        var root = TrustedRootJson.Parse(Json);

        Assert.Equal(TrustedRootMediaType.V0_2, root.MediaType);
        Assert.Equal("example.com", root.Tlogs[0].Operator);
        Assert.Equal(root.Tlogs[0].LogId!.KeyId, root.Tlogs[0].CheckpointKeyId!.KeyId);
        Assert.Equal(500_000_000, root.Tlogs[0].PublicKey!.ValidFor!.End!.Value.Nanos);
        Assert.Empty(root.Ctlogs);
        Assert.Equal(Json.Replace("00:00:00.5Z", "00:00:00.500Z", StringComparison.Ordinal), TrustedRootJson.Serialize(root));
        Assert.Equal(TrustedRootJson.Serialize(root), Encoding.UTF8.GetString(TrustedRootJson.SerializeToUtf8Bytes(root)));
    }

    [Fact]
    public void An_empty_public_key_raw_bytes_is_kept_because_the_field_has_presence()
    {
        var root = TrustedRootJson.Parse("{\"tlogs\":[{\"publicKey\":{\"rawBytes\":\"\"}},{\"publicKey\":{}}]}");

        Assert.Equal([], root.Tlogs[0].PublicKey!.RawBytes!);
        Assert.Null(root.Tlogs[1].PublicKey!.RawBytes);
        Assert.Equal("{\"tlogs\":[{\"publicKey\":{\"rawBytes\":\"\"}},{\"publicKey\":{}}]}", TrustedRootJson.Serialize(root));
    }

    [Theory]
    [InlineData("{\"tlogs\":[{\"publicKey\":{\"keyDetails\":\"PKIX_ECDSA_P999_SHA_256\"}}]}", "$.tlogs[0].publicKey.keyDetails: unrecognized enum value \"PKIX_ECDSA_P999_SHA_256\" for dev.sigstore.common.v1.PublicKeyDetails")]
    [InlineData("{\"ctlogs\":[{\"hashAlgorithm\":\"MD5\"}]}", "$.ctlogs[0].hashAlgorithm: unrecognized enum value \"MD5\" for dev.sigstore.common.v1.HashAlgorithm")]
    [InlineData("{\"certificateAuthorities\":[{\"validFor\":{\"start\":\"2021-13-01T00:00:00Z\"}}]}", "$.certificateAuthorities[0].validFor.start: invalid RFC 3339 timestamp \"2021-13-01T00:00:00Z\"")]
    [InlineData("{\"certificateAuthorities\":[{\"validFor\":{\"start\":\"2021-01-01 00:00:00Z\"}}]}", "$.certificateAuthorities[0].validFor.start: invalid RFC 3339 timestamp \"2021-01-01 00:00:00Z\"")]
    [InlineData("{\"certificateAuthorities\":[{\"validFor\":{\"start\":\"2021-01-01T00:00:00\"}}]}", "$.certificateAuthorities[0].validFor.start: invalid RFC 3339 timestamp \"2021-01-01T00:00:00\"")]
    [InlineData("{\"certificateAuthorities\":[{\"validFor\":{\"end\":\"2021-01-01T00:00:00.1234567891Z\"}}]}", "$.certificateAuthorities[0].validFor.end: invalid RFC 3339 timestamp \"2021-01-01T00:00:00.1234567891Z\"")]
    [InlineData("{\"certificateAuthorities\":[{\"validFor\":{\"end\":1700000000}}]}", "$.certificateAuthorities[0].validFor.end: expected an RFC 3339 timestamp string, got a number")]
    [InlineData("{\"certificateAuthorities\":[{\"subject\":[]}]}", "$.certificateAuthorities[0].subject: expected a JSON object for dev.sigstore.common.v1.DistinguishedName, got an array")]
    [InlineData("{\"tlogs\":[{\"logId\":{\"keyId\":\"%%%\"}}]}", "$.tlogs[0].logId.keyId: invalid base64")]
    [InlineData("{\"timestampAuthorities\":[{\"certChain\":{\"certificates\":[{\"rawBytes\":true}]}}]}", "$.timestampAuthorities[0].certChain.certificates[0].rawBytes: expected a base64 string, got a boolean")]
    [InlineData("{\"tlogs\":[{\"baseUrl\":\"a\",\"base_url\":\"b\"}]}", "$.tlogs[0]: duplicate field \"base_url\" in dev.sigstore.trustroot.v1.TransparencyLogInstance")]
    public void Bad_roots_are_rejected_with_the_reason(string json, string reason) =>
        Assert.Equal(reason, Assert.ThrowsAny<WireFormatException>(() => TrustedRootJson.Parse(json)).Reason);

    [Fact]
    public void Truncated_oversized_and_deep_roots_are_rejected()
    {
        var bytes = TestData.Bytes("trust/sigstore-go.scaffolding.trusted_root.json");
        for (var length = 0; length < bytes.Length - 2; length += 7)
        {
            Assert.ThrowsAny<WireFormatException>(() => TrustedRootJson.Parse(bytes.AsSpan(0, length)));
        }

        var big = new byte[(17 * 1024 * 1024)];
        big.AsSpan().Fill((byte)' ');
        bytes.CopyTo(big, 0);
        Assert.ThrowsAny<WireFormatException>(() => TrustedRootJson.Parse(big));
        using var stream = new MemoryStream(big);
        Assert.ThrowsAny<WireFormatException>(() => TrustedRootJson.Parse(stream));

        var deep = "{\"tlogs\":" + new string('[', 200) + new string(']', 200) + "}";
        Assert.ThrowsAny<WireFormatException>(() => TrustedRootJson.Parse(deep));
    }
}
