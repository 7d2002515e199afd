using PrivateSigstore.Core.Trust;

namespace PrivateSigstore.Core.Tests.Trust;

public sealed class ClientTrustConfigTests
{
    [Fact]
    public void Sigstore_python_trust_config_parses_including_its_proto_style_field_name()
    {
        // The upstream file spells the field "signing_config" (the proto name), which protojson accepts.
        var original = TestData.Text("trust/sigstore-python.config.v1.client_trust_config.json");

        var config = ClientTrustConfigJson.Parse(original);

        Assert.Equal(ClientTrustConfig.V0_1MediaType, config.MediaType);
        Assert.Equal("https://rekor.sigstore.dev", config.TrustedRoot!.Tlogs[0].BaseUrl);
        Assert.Equal("https://fulcio.example.com", config.SigningConfig!.CaUrls[0].Url);
        Assert.Equal(2u, config.SigningConfig.RekorTlogUrls[1].MajorApiVersion);
        var written = ClientTrustConfigJson.Serialize(config);
        Assert.Contains("\"signingConfig\":{", written, StringComparison.Ordinal);
        JsonComparison.AssertSemanticallyEqual(original, written);
        Assert.Equal(written, ClientTrustConfigJson.Serialize(ClientTrustConfigJson.Parse(System.Text.Encoding.UTF8.GetBytes(written))));
    }

    [Fact]
    public void Bad_trust_config_is_rejected() =>
        Assert.Equal(
            "$.trustedRoot.tlogs: expected an array, got an object",
            Assert.ThrowsAny<WireFormatException>(() => ClientTrustConfigJson.Parse("{\"trustedRoot\":{\"tlogs\":{}}}")).Reason);
}
