using System.Text;
using PrivateSigstore.Core.Trust;

namespace PrivateSigstore.Core.Tests.Trust;

public sealed class SigningConfigTests
{
    // Shape of the v0.1 file written by sigstore/scaffolding's setup script (hack/setup-scaffolding-from-release.sh
    // style heredoc: mediaType, caUrl, oidcUrl, tlogUrls), with concrete URLs filled in.
    private const string V01 =
        "{\"mediaType\":\"application/vnd.dev.sigstore.signingconfig.v0.1+json\",\"caUrl\":\"https://fulcio.example\","
        + "\"oidcUrl\":\"https://oauth2.example/auth\",\"tlogUrls\":[\"https://rekor.example\"],\"tsaUrls\":[\"https://tsa.example/api/v1/timestamp\"]}";

    [Fact]
    public void Sigstore_go_example_v0_2_config_fields()
    {
        var config = SigningConfigJson.Parse(TestData.Bytes("trust/sigstore-go.signing_config.v0.2.json"));

        Assert.Equal(SigningConfigMediaType.V0_2, config.MediaType);
        var ca = Assert.Single(config.CaUrls);
        Assert.Equal("https://fulcio.sigstage.dev", ca.Url);
        Assert.Equal(1u, ca.MajorApiVersion);
        Assert.Equal("2022-04-14T21:38:40Z", ca.ValidFor!.Start.ToString());
        Assert.Null(ca.ValidFor.End);
        Assert.Equal("sigstore.dev", ca.Operator);
        Assert.Single(config.OidcUrls);
        Assert.Single(config.RekorTlogUrls);
        Assert.Single(config.TsaUrls);
        Assert.Equal(ServiceSelector.Any, config.RekorTlogConfig!.Selector);
        Assert.Equal(0u, config.RekorTlogConfig.Count);
        Assert.Equal(ServiceSelector.Any, config.TsaConfig!.Selector);
    }

    [Theory]
    [InlineData("sigstore-go.signing_config.v0.2.json")]
    [InlineData("sigstore-python.signingconfig.v2.json")]
    public void Round_trip_is_semantically_identical(string file)
    {
        var original = TestData.Text("trust/" + file);

        var written = SigningConfigJson.Serialize(SigningConfigJson.Parse(original));

        JsonComparison.AssertSemanticallyEqual(original, written);
    }

    [Fact]
    public void Output_follows_proto_declaration_order()
    {
        // Upstream files list tsaUrls before rekorTlogConfig; protojson writes fields 8, 9, 10 in declaration order.
        var written = SigningConfigJson.Serialize(SigningConfigJson.Parse(TestData.Bytes("trust/sigstore-python.signingconfig.v2.json")));

        var order = new[] { "\"mediaType\"", "\"caUrls\"", "\"oidcUrls\"", "\"rekorTlogUrls\"", "\"rekorTlogConfig\"", "\"tsaUrls\"", "\"tsaConfig\"" }
            .Select(key => written.IndexOf(key, StringComparison.Ordinal))
            .ToList();
        Assert.DoesNotContain(-1, order);
        Assert.Equal(order.Order(), order);
        Assert.Contains("\"majorApiVersion\":2,", written, StringComparison.Ordinal); // uint32 stays a JSON number
    }

    [Fact]
    public void Exact_selector_with_count_round_trips()
    {
        var config = new SigningConfig
        {
            MediaType = SigningConfigMediaType.V0_2,
            RekorTlogUrls = [new Service { Url = "https://rekor.example", MajorApiVersion = 2, Operator = "example.com" }],
            RekorTlogConfig = new ServiceConfiguration { Selector = ServiceSelector.Exact, Count = 2 },
            TsaConfig = new ServiceConfiguration { Selector = ServiceSelector.All },
        };

        var json = SigningConfigJson.Serialize(config);

        Assert.Equal(
            "{\"mediaType\":\"application/vnd.dev.sigstore.signingconfig.v0.2+json\",\"rekorTlogUrls\":[{\"url\":\"https://rekor.example\","
            + "\"majorApiVersion\":2,\"operator\":\"example.com\"}],\"rekorTlogConfig\":{\"selector\":\"EXACT\",\"count\":2},\"tsaConfig\":{\"selector\":\"ALL\"}}",
            json);
        Assert.Equal(json, SigningConfigJson.Serialize(SigningConfigJson.Parse(json)));
    }

    [Fact]
    public void V0_1_config_parses_and_round_trips_exactly()
    {
        var config = SigningConfigJson.ParseV01(Encoding.UTF8.GetBytes(V01));

        Assert.Equal("https://fulcio.example", config.CaUrl);
        Assert.Equal("https://oauth2.example/auth", config.OidcUrl);
        Assert.Equal(["https://rekor.example"], config.TlogUrls);
        Assert.Equal(["https://tsa.example/api/v1/timestamp"], config.TsaUrls);
        Assert.Equal(V01, SigningConfigJson.Serialize(config));
        Assert.Equal(SigningConfigMediaType.V0_1, SigningConfigJson.PeekMediaType(Encoding.UTF8.GetBytes(V01)));
        Assert.True(SigningConfigMediaType.IsV01(SigningConfigMediaType.V0_1Alternate));
        Assert.False(SigningConfigMediaType.IsV01(SigningConfigMediaType.V0_2));
    }

    [Fact]
    public void Each_parser_refuses_the_other_version()
    {
        var v02 = TestData.Bytes("trust/sigstore-go.signing_config.v0.2.json");

        Assert.Contains("parse it with ParseV01", Assert.ThrowsAny<WireFormatException>(() => SigningConfigJson.Parse(V01)).Reason, StringComparison.Ordinal);
        Assert.Contains("is not a v0.1 signing config media type", Assert.ThrowsAny<WireFormatException>(() => SigningConfigJson.ParseV01(v02)).Reason, StringComparison.Ordinal);
        Assert.Equal(SigningConfigMediaType.V0_2, SigningConfigJson.PeekMediaType(v02));
    }

    [Theory]
    [InlineData("{\"rekorTlogConfig\":{\"selector\":\"SOME\"}}", "$.rekorTlogConfig.selector: unrecognized enum value \"SOME\" for dev.sigstore.trustroot.v1.ServiceSelector")]
    [InlineData("{\"tsaConfig\":{\"count\":-1}}", "$.tsaConfig.count: \"-1\" is not a valid uint32")]
    [InlineData("{\"tsaConfig\":{\"count\":4294967296}}", "$.tsaConfig.count: \"4294967296\" is not a valid uint32")]
    [InlineData("{\"caUrls\":[{\"majorApiVersion\":\"x\"}]}", "$.caUrls[0].majorApiVersion: \"x\" is not a valid uint32")]
    [InlineData("{\"caUrls\":\"https://fulcio.example\"}", "$.caUrls: expected an array, got a string")]
    [InlineData("{\"tsaUrls\":[\"https://tsa.example\"]}", "$.tsaUrls[0]: expected a JSON object for dev.sigstore.trustroot.v1.Service, got a string")]
    public void Bad_configs_are_rejected_with_the_reason(string json, string reason) =>
        Assert.Equal(reason, Assert.ThrowsAny<WireFormatException>(() => SigningConfigJson.Parse(json)).Reason);

    [Fact]
    public void Numbers_as_strings_are_accepted_for_uint32()
    {
        var config = SigningConfigJson.Parse("{\"caUrls\":[{\"majorApiVersion\":\"2\"}],\"tsaConfig\":{\"selector\":3,\"count\":\"1\"}}");

        Assert.Equal(2u, config.CaUrls[0].MajorApiVersion);
        Assert.Equal(ServiceSelector.Exact, config.TsaConfig!.Selector);
        Assert.Equal(1u, config.TsaConfig.Count);
    }

    [Fact]
    public void Oversized_and_malformed_configs_are_rejected()
    {
        var big = new byte[(17 * 1024 * 1024)];
        big.AsSpan().Fill((byte)' ');

        Assert.ThrowsAny<WireFormatException>(() => SigningConfigJson.Parse(big));
        Assert.ThrowsAny<WireFormatException>(() => SigningConfigJson.ParseV01(big));
        Assert.ThrowsAny<WireFormatException>(() => SigningConfigJson.PeekMediaType(big));
        Assert.ThrowsAny<WireFormatException>(() => SigningConfigJson.Parse("{\"caUrls\":["));
        Assert.ThrowsAny<WireFormatException>(() => SigningConfigJson.ParseV01("{\"mediaType\":\"application/vnd.dev.sigstore.signingconfig.v0.1+json\",\"tlogUrls\":[1]}"));
    }
}
