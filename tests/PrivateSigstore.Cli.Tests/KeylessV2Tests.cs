using System.Text.Json.Nodes;
using PrivateSigstore.Core.Trust;

namespace PrivateSigstore.Cli.Tests;

/// <summary>
/// Keyless signing through the conformance protocol (sign-bundle) with a signing config v0.2 that offers Rekor v1 and
/// v2 and a TSA: psig picks v2 and the TSA, and verify-bundle accepts the bundle against a trusted root listing the CA,
/// the CT log, both logs and the TSA.
/// </summary>
public sealed class KeylessV2Tests(RekorFixture rekor, RekorV2Fixture v2) : IClassFixture<RekorFixture>, IClassFixture<RekorV2Fixture>
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Conformance_sign_bundle_with_a_v2_signing_config_then_verify_bundle(bool inToto)
    {
        await using var stack = await KeylessTests.KeylessStack.StartAsync(rekor);
        var keyless = TrustedRootJson.Parse(File.ReadAllText(stack.TrustedRootPath));
        var withV2 = TrustedRootJson.Parse(File.ReadAllText(v2.TrustedRootPath));
        var rootPath = v2.NewFile("trusted_root.json", TrustedRootJson.Serialize(keyless with
        {
            Tlogs = [.. keyless.Tlogs, .. withV2.Tlogs],
            TimestampAuthorities = withV2.TimestampAuthorities,
        }));
        var config = v2.SigningConfig();
        config = config with
        {
            CaUrls = [new Service { Url = stack.FulcioUrl, MajorApiVersion = 1, ValidFor = config.RekorTlogUrls[0].ValidFor }],
            RekorTlogUrls = [config.RekorTlogUrls[1], new Service { Url = rekor.Url, MajorApiVersion = 1, ValidFor = config.RekorTlogUrls[0].ValidFor }],
        };
        var configPath = v2.NewFile("signing_config.json", SigningConfigJson.Serialize(config));
        const string Digest = "a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf";
        var file = inToto
            ? v2.NewFile("statement.json", """{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a.txt","digest":{"sha256":"DIGEST"}}],"predicateType":"https://example.com/p","predicate":{}}""".Replace("DIGEST", Digest, StringComparison.Ordinal))
            : v2.NewFile("a.txt", "keyless to Rekor v2\n");
        var bundle = file + ".sigstore.json";

        string[] flags = ["--identity-token", stack.EmailToken("erin@example.com"), "--bundle", bundle, "--trusted-root", rootPath, "--signing-config", configPath, file];
        var sign = await Psig.RunAsync(inToto ? ["sign-bundle", "--in-toto", .. flags] : ["sign-bundle", .. flags]);
        Assert.True(sign.ExitCode == 0, sign.Error);

        var json = JsonNode.Parse(File.ReadAllText(bundle))!;
        var entry = json["verificationMaterial"]!["tlogEntries"]![0]!;
        Assert.Equal("hashedrekord", (string?)entry["kindVersion"]!["kind"]);
        Assert.Equal("0.0.2", (string?)entry["kindVersion"]!["version"]);
        Assert.NotNull(json["verificationMaterial"]!["certificate"]);
        Assert.NotNull(json["verificationMaterial"]!["timestampVerificationData"]!["rfc3161Timestamps"]![0]);

        var verify = await Psig.RunAsync("verify-bundle", "--bundle", bundle, "--certificate-identity", "erin@example.com",
            "--certificate-oidc-issuer", stack.EmailIssuer, "--trusted-root", rootPath, inToto ? "sha256:" + Digest : file);
        Assert.True(verify.ExitCode == 0, verify.Error);
    }
}
