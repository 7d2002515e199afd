using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrivateSigstore.Cli.Tests;

/// <summary>
/// The verify-before-use gate for OCI images, against a real registry (Debian's docker-registry on a loopback port, as
/// <see cref="ImageTests"/>) and real keyless signatures (our test IdP, Fulcio and Rekor over loopback): policies match
/// references by glob, a tag is resolved to its digest, the image's bundles are found as verify-image finds them, and
/// required attestations are the ones attached to the image.
/// </summary>
public sealed class GateImageTests(RekorFixture rekor) : IClassFixture<RekorFixture>
{
    private const string Provenance = "https://slsa.dev/provenance/v1";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_signed_image_is_allowed_by_tag_and_digest_and_its_record_replays()
    {
        await using var stack = await KeylessTests.KeylessStack.StartAsync(rekor);
        await using var registry = await DistributionRegistry.StartAsync();
        var policy = Policy(stack, registry);
        var (digest, _) = await registry.PushRandomImageAsync("agents/app", "v1");
        await SignAsync(stack, $"{registry.Host}/agents/app:v1", "release-bot@example.com");

        var record = rekor.NewFile("gate-image.record.json", "");
        var allowed = await Psig.RunAsync("gate", "check", $"{registry.Host}/agents/app:v1", "--policy", policy, "--allow-insecure-registry", "--record", record);
        Assert.True(allowed.ExitCode == 0, allowed.Error);
        Assert.Contains($"Resolved tag v1 to {digest}", allowed.Error, StringComparison.Ordinal);
        Assert.Contains($"{registry.Host}/agents/app:v1@{digest}: allowed (allowed by policy agents", allowed.Out, StringComparison.Ordinal);
        Assert.Contains("not a safety verdict", allowed.Out, StringComparison.Ordinal);
        using (var json = JsonDocument.Parse(await File.ReadAllTextAsync(record, Ct)))
        {
            var r = json.RootElement;
            Assert.Equal("application/vnd.dev.privatesigstore.verificationrecord.v0.2+json", r.GetProperty("mediaType").GetString());
            Assert.Equal("allowed", r.GetProperty("decision").GetString());
            Assert.Equal("oci-image", r.GetProperty("artifact").GetProperty("kind").GetString());
            Assert.Equal(digest, r.GetProperty("artifact").GetProperty("digest").GetString());
            Assert.Equal($"{registry.Host}/agents/app:v1@{digest}", r.GetProperty("artifact").GetProperty("name").GetString());
            Assert.Equal("agents", r.GetProperty("gatePolicy").GetProperty("name").GetString());
            Assert.Equal("release-bot@example.com", r.GetProperty("certificateIdentity").GetString());
        }
        var replay = await Psig.RunAsync("record", "verify", record);
        Assert.True(replay.ExitCode == 0, replay.Error);
        Assert.Contains($"oci-image {registry.Host}/agents/app:v1@{digest} {digest} signed by release-bot@example.com", replay.Out, StringComparison.Ordinal);

        var byDigest = await Psig.RunAsync("gate", "check", $"{registry.Host}/agents/app@{digest}", "--policy", policy, "--allow-insecure-registry");
        Assert.True(byDigest.ExitCode == 0, byDigest.Error);
        Assert.DoesNotContain("Resolved tag", byDigest.Error, StringComparison.Ordinal);

        // The HTTP endpoint takes an image by reference and reads the registry the same way.
        var console = new CliConsole(TextWriter.Null, TextWriter.Null, false);
        var engine = await Commands.GateCommands.LoadAsync(console, new FileInfo(policy), Ct);
        using var registryHttp = new HttpClient();
        await using (var app = await Gate.GateServer.StartAsync(console, engine, 0, Ct, new Client.Oci.RegistryClient(registryHttp, new Client.Oci.RegistryClientOptions { AllowInsecure = true })))
        {
            using var http = new HttpClient { BaseAddress = new Uri(Gate.GateServer.Address(app)) };
            var served = await PostAsync(http, new JsonObject { ["policy"] = "agents", ["image"] = $"{registry.Host}/agents/app:v1" });
            Assert.True((string?)served["decision"] == "allowed", served.ToJsonString());
            Assert.Equal(digest, (string?)served["record"]!["artifact"]!["digest"]);
            Assert.Equal("release-bot@example.com", (string?)served["record"]!["certificateIdentity"]);
            var wrongPolicy = await PostAsync(http, new JsonObject { ["policy"] = "attested", ["image"] = $"{registry.Host}/agents/app:v1" });
            Assert.Equal("refused", (string?)wrongPolicy["decision"]);
            Assert.Contains("does not match", (string?)wrongPolicy["reason"], StringComparison.Ordinal);
            var absent = await PostAsync(http, new JsonObject { ["policy"] = "agents", ["image"] = $"{registry.Host}/agents/absent:v1" });
            Assert.Equal("refused", (string?)absent["decision"]);
            using var bad = await http.PostAsJsonAsync(new Uri("/v1/verify", UriKind.Relative), new JsonObject { ["policy"] = "agents", ["image"] = "Not A Reference" }, Ct);
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
        }

        // Plain HTTP only when asked for: without --allow-insecure-registry the registry is not reached, and that is a refusal.
        var secure = await Psig.RunAsync("gate", "check", $"{registry.Host}/agents/app:v1", "--policy", policy, "--registry-retries", "0");
        Assert.Equal(1, secure.ExitCode);
        Assert.Contains("refused: cannot read", secure.Error, StringComparison.Ordinal);
        Assert.Contains("--allow-insecure-registry", secure.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unsigned_other_identity_missing_attestation_and_unmatched_images_are_refused()
    {
        await using var stack = await KeylessTests.KeylessStack.StartAsync(rekor);
        await using var registry = await DistributionRegistry.StartAsync();
        var policy = Policy(stack, registry);
        var host = registry.Host;
        await registry.PushRandomImageAsync("agents/unsigned", "v1");
        await registry.PushRandomImageAsync("agents/other", "v1");
        await SignAsync(stack, $"{host}/agents/other:v1", "eve@example.com");
        var (attested, _) = await registry.PushRandomImageAsync("attested/app", "v1");
        await SignAsync(stack, $"{host}/attested/app:v1", "release-bot@example.com");
        await registry.PushRandomImageAsync("elsewhere/app", "v1");
        await SignAsync(stack, $"{host}/elsewhere/app:v1", "release-bot@example.com");

        var record = rekor.NewFile("gate-image-refused.record.json", "");
        var unsigned = await Psig.RunAsync("gate", "check", $"{host}/agents/unsigned:v1", "--policy", policy, "--allow-insecure-registry", "--record", record);
        Assert.Equal(1, unsigned.ExitCode);
        Assert.Contains("refused: no signature found", unsigned.Error, StringComparison.Ordinal);
        Assert.Contains("(unsigned)", unsigned.Error, StringComparison.Ordinal);
        Assert.Equal(0, (await Psig.RunAsync("record", "verify", record)).ExitCode); // the refusal replays

        var other = await Psig.RunAsync("gate", "check", $"{host}/agents/other:v1", "--policy", policy, "--allow-insecure-registry", "--record", record);
        Assert.Equal(1, other.ExitCode);
        Assert.Contains("policy agents: no authority verified", other.Error, StringComparison.Ordinal);
        Assert.Contains("identity", other.Error, StringComparison.Ordinal);
        var otherReplay = await Psig.RunAsync("record", "verify", record);
        Assert.True(otherReplay.ExitCode == 0, otherReplay.Error);
        Assert.Contains("the refusal stands", otherReplay.Out, StringComparison.Ordinal);

        // Signed by the policy's identity but without the SLSA provenance the policy requires; then attested, it is allowed.
        var missing = await Psig.RunAsync("gate", "check", $"{host}/attested/app:v1", "--policy", policy, "--allow-insecure-registry");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains($"required attestation {Provenance} is missing (no attestation attached to {host}/attested/app:v1@{attested} holds it", missing.Error, StringComparison.Ordinal);
        // An attestation by another identity does not count.
        await AttestAsync(stack, $"{host}/attested/app:v1", "eve@example.com");
        Assert.Equal(1, (await Psig.RunAsync("gate", "check", $"{host}/attested/app:v1", "--policy", policy, "--allow-insecure-registry")).ExitCode);
        await AttestAsync(stack, $"{host}/attested/app:v1", "release-bot@example.com");
        var withAttestation = rekor.NewFile("gate-image-attested.record.json", "");
        var ok = await Psig.RunAsync("gate", "check", $"{host}/attested/app:v1", "--policy", policy, "--allow-insecure-registry", "--record", withAttestation);
        Assert.True(ok.ExitCode == 0, ok.Error);
        using (var json = JsonDocument.Parse(await File.ReadAllTextAsync(withAttestation, Ct)))
        {
            var links = json.RootElement.GetProperty("links").EnumerateArray().ToList();
            Assert.Equal(2, links.Count);
            Assert.All(links, l => Assert.Equal(Provenance, l.GetProperty("predicateType").GetString()));
            Assert.Single(links, l => l.GetProperty("verdict").GetString() == "verified");
        }
        Assert.Equal(0, (await Psig.RunAsync("record", "verify", withAttestation)).ExitCode);

        // No policy matches elsewhere/*: refused although it is signed by the right identity.
        var unmatched = await Psig.RunAsync("gate", "check", $"{host}/elsewhere/app:v1", "--policy", policy, "--allow-insecure-registry");
        Assert.Equal(1, unmatched.ExitCode);
        Assert.Contains($"no policy in policy.yaml matches {host}/elsewhere/app:v1 (refused: the gate fails closed)", unmatched.Error, StringComparison.Ordinal);

        // A missing image is a refusal naming the registry's answer; --bundle is not for images.
        var absent = await Psig.RunAsync("gate", "check", $"{host}/agents/absent:v1", "--policy", policy, "--allow-insecure-registry");
        Assert.Equal(1, absent.ExitCode);
        Assert.Contains("not found", absent.Error, StringComparison.Ordinal);
        var bundle = await Psig.RunAsync("gate", "check", $"{host}/agents/other:v1", "--policy", policy, "--allow-insecure-registry", "--bundle", record);
        Assert.Equal(2, bundle.ExitCode);
    }

    private static async Task<JsonObject> PostAsync(HttpClient http, JsonObject body)
    {
        using var response = await http.PostAsJsonAsync(new Uri("/v1/verify", UriKind.Relative), body, Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
        return (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
    }

    private async Task SignAsync(KeylessTests.KeylessStack stack, string image, string email)
    {
        var sign = await Psig.RunAsync("sign-image", image, "--allow-insecure-registry", "--identity-token", stack.EmailToken(email), "--fulcio-url", stack.FulcioUrl, "--rekor-url", rekor.Url);
        Assert.True(sign.ExitCode == 0, sign.Error);
    }

    private async Task AttestAsync(KeylessTests.KeylessStack stack, string image, string email)
    {
        var predicate = rekor.NewFile("gate-provenance.json", """{"buildDefinition":{"buildType":"https://example.com/build/v1"},"runDetails":{"builder":{"id":"https://ci.example.com"}}}""");
        var attest = await Psig.RunAsync("attest-image", image, "--allow-insecure-registry", "--predicate", predicate, "--type", "slsaprovenance1",
            "--identity-token", stack.EmailToken(email), "--fulcio-url", stack.FulcioUrl, "--rekor-url", rekor.Url);
        Assert.True(attest.ExitCode == 0, attest.Error);
    }

    /// <summary>agents/* by release-bot; attested/* by release-bot with SLSA provenance; nothing else.</summary>
    private string Policy(KeylessTests.KeylessStack stack, DistributionRegistry registry)
    {
        var dir = Directory.CreateDirectory(Path.Combine(rekor.Directory, "gate-image-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        var policy = Path.Combine(dir, "policy.yaml");
        File.WriteAllText(policy, $"""
            trustedRoot: {stack.TrustedRootPath}
            policies:
              - name: agents
                match: ["{registry.Host}/agents/*"]
                authorities:
                  - keyless:
                      identities:
                        - issuer: {stack.EmailIssuer}
                          subject: release-bot@example.com
              - name: attested
                match: ["{registry.Host}/attested/**"]
                authorities:
                  - keyless:
                      identities:
                        - issuer: {stack.EmailIssuer}
                          subjectRegExp: release-.*@example\.com
                attestations:
                  - predicateType: {Provenance}
            """);
        return policy;
    }
}
