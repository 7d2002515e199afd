using System.Text;
using PrivateSigstore.Core.Bundle;

namespace PrivateSigstore.Core.Tests.Bundle;

/// <summary>Parse → serialize of real upstream bundles gives back the same JSON.</summary>
public sealed class BundleRoundTripTests
{
    /// <summary>Every real bundle that is well-formed JSON (valid or not by the bundle rules).</summary>
    public static TheoryData<string> WellFormedBundles =>
    [
        "sigstore-go.sigstore.js@2.0.0-provenance.sigstore.json",
        "sigstore-go.othername.sigstore.json",
        "sigstore-go.dsse.sigstore.json",
        "sigstore-go.dsse-2sigs.sigstore.json",
        "sigstore-go.public-key-validity.sigstore.json",
        "conformance.happy-path-v0.1.sigstore.json",
        "conformance.happy-path-v0.2.sigstore.json",
        "conformance.happy-path-v0.3.sigstore.json",
        "conformance.happy-path-v0.3-new-mediaType.sigstore.json",
        "conformance.happy-path-intoto-in-dsse-v3.sigstore.json",
        "conformance.rekor2-happy-path.sigstore.json",
        "conformance.rekor2-dsse-happy-path.sigstore.json",
        "conformance.managed-key-happy-path.sigstore.json",
        "conformance.bundle-unknown-version_fail.sigstore.json",
        "conformance.bundle-empty-certificate-chain_fail.sigstore.json",
        "conformance.bundle-negative-log-index_fail.sigstore.json",
        "conformance.intoto-missing-inclusion-proof_fail.sigstore.json",
        "conformance.rekor2-no-inclusion-proof_fail.sigstore.json",
        "sigstore-python.staging-rekor-v2.txt.sigstore.json",
    ];

    /// <summary>
    /// Bundles whose upstream bytes are exactly what a protojson writer produces (declaration-order fields,
    /// no default values): our output equals them after whitespace is removed. Not in this list: files from
    /// writers that put the key-material oneof after tlogEntries (older sigstore-js: sigstore-go.dsse,
    /// sigstore-go.dsse-2sigs, conformance.happy-path-intoto-in-dsse-v3) or that spell out defaults
    /// ("timestampVerificationData": null, "keyid": "" in sigstore.js@2.0.0-provenance); those are checked
    /// semantically above.
    /// </summary>
    public static TheoryData<string> ProtojsonShapedBundles =>
    [
        "sigstore-go.othername.sigstore.json",
        "sigstore-go.public-key-validity.sigstore.json",
        "conformance.happy-path-v0.1.sigstore.json",
        "conformance.happy-path-v0.2.sigstore.json",
        "conformance.happy-path-v0.3.sigstore.json",
        "conformance.happy-path-v0.3-new-mediaType.sigstore.json",
        "conformance.rekor2-happy-path.sigstore.json",
        "conformance.rekor2-dsse-happy-path.sigstore.json",
        "conformance.managed-key-happy-path.sigstore.json",
        "sigstore-python.staging-rekor-v2.txt.sigstore.json",
    ];

    [Theory]
    [MemberData(nameof(WellFormedBundles))]
    public void Round_trip_is_semantically_identical(string file)
    {
        var original = TestData.Text("bundles/" + file);

        var bundle = BundleJson.Parse(TestData.Bytes("bundles/" + file));
        var written = BundleJson.Serialize(bundle);

        JsonComparison.AssertSemanticallyEqual(original, written);
    }

    [Theory]
    [MemberData(nameof(ProtojsonShapedBundles))]
    public void Round_trip_of_protojson_shaped_bundles_is_identical_modulo_whitespace(string file)
    {
        var original = TestData.Text("bundles/" + file);

        var written = BundleJson.Serialize(BundleJson.Parse(original));

        Assert.Equal(JsonComparison.Minified(original), JsonComparison.Minified(written));
    }

    [Theory]
    [MemberData(nameof(WellFormedBundles))]
    public void Serialization_is_a_fixed_point(string file)
    {
        var once = BundleJson.Serialize(BundleJson.Parse(TestData.Bytes("bundles/" + file)));
        var twice = BundleJson.Serialize(BundleJson.Parse(once));
        var indented = BundleJson.Serialize(BundleJson.Parse(BundleJson.Serialize(BundleJson.Parse(once), indented: true)));

        Assert.Equal(once, twice);
        Assert.Equal(once, indented);
        Assert.Equal(Encoding.UTF8.GetBytes(once), BundleJson.SerializeToUtf8Bytes(BundleJson.Parse(once)));
    }

    [Fact]
    public void Output_is_compact_protojson_with_raw_em_dash_and_string_int64()
    {
        var bundle = BundleJson.Parse(TestData.Bytes("bundles/conformance.happy-path-v0.3.sigstore.json"));

        var written = BundleJson.Serialize(bundle);

        Assert.StartsWith("{\"mediaType\":\"application/vnd.dev.sigstore.bundle+json;version=0.3\",\"verificationMaterial\":{\"certificate\":{\"rawBytes\":\"MII", written, StringComparison.Ordinal);
        Assert.Contains("\"logIndex\":\"", written, StringComparison.Ordinal);
        Assert.Contains("\\n\u2014 rekor.sigstore.dev ", written, StringComparison.Ordinal); // Go protojson writes U+2014 raw
        Assert.DoesNotContain("\\u", written, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_from_string_stream_and_bytes_agree()
    {
        var bytes = TestData.Bytes("bundles/sigstore-go.othername.sigstore.json");

        var fromBytes = BundleJson.Serialize(BundleJson.Parse(bytes));
        var fromString = BundleJson.Serialize(BundleJson.Parse(Encoding.UTF8.GetString(bytes)));
        using var stream = new MemoryStream(bytes);
        var fromStream = BundleJson.Serialize(BundleJson.Parse(stream));

        Assert.Equal(fromBytes, fromString);
        Assert.Equal(fromBytes, fromStream);
    }
}
