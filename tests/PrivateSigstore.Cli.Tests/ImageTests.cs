using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrivateSigstore.Cli.Tests;

/// <summary>
/// psig's image commands against a real registry: Debian's docker-registry (distribution 2.8, no referrers API), started
/// per test on a loopback port; images pushed through its HTTP API (no Docker engine); signatures from our Rekor and
/// Fulcio over loopback.
/// </summary>
public sealed class ImageTests(RekorFixture rekor) : IClassFixture<RekorFixture>
{
    private const string BundleType = "application/vnd.dev.sigstore.bundle.v0.3+json";

    [Fact]
    public async Task Sign_keyless_then_verify_and_another_digest_does_not_verify()
    {
        await using var stack = await KeylessTests.KeylessStack.StartAsync(rekor);
        await using var registry = await DistributionRegistry.StartAsync();
        var (digest, _) = await registry.PushRandomImageAsync("team/app", "v1");
        var (other, _) = await registry.PushRandomImageAsync("team/app", "v2");
        var image = $"{registry.Host}/team/app";

        var sign = await Psig.RunAsync("sign-image", image + ":v1", "--allow-insecure-registry", "--identity-token", stack.EmailToken("dana@example.com"),
            "--fulcio-url", stack.FulcioUrl, "--rekor-url", rekor.Url);
        Assert.True(sign.ExitCode == 0, sign.Error);
        Assert.Contains($"Resolved tag v1 to {digest}", sign.Error, StringComparison.Ordinal);
        Assert.Contains($"referrers tag {registry.Host}/team/app:{digest.Replace(':', '-')}", sign.Error, StringComparison.Ordinal);

        var record = rekor.NewFile("image-record.json", "");
        var verify = await Psig.RunAsync("verify-image", image + ":v1", "--allow-insecure-registry", "--certificate-identity", "dana@example.com",
            "--certificate-oidc-issuer", stack.EmailIssuer, "--trusted-root", stack.TrustedRootPath, "--record", record, "--output", "json");
        Assert.True(verify.ExitCode == 0, verify.Error);
        var result = JsonNode.Parse(verify.Out)!;
        Assert.Equal("verified", result["verdict"]!.GetValue<string>());
        Assert.Equal(digest, result["digest"]!.GetValue<string>());
        var signature = Assert.Single(result["signatures"]!.AsArray())!;
        Assert.Equal("referrers-tag", signature["source"]!.GetValue<string>());
        Assert.Equal("dana@example.com", signature["record"]!["certificateIdentity"]!.GetValue<string>());
        Assert.Equal(verify.Out.Trim(), File.ReadAllText(record).Trim());
        // Each signature's record is the v0.2 governance record (issue 18) for the image, and it replays offline.
        var governance = signature["record"]!;
        Assert.Equal("application/vnd.dev.privatesigstore.verificationrecord.v0.2+json", governance["mediaType"]!.GetValue<string>());
        Assert.Equal("oci-image", governance["artifact"]!["kind"]!.GetValue<string>());
        Assert.Equal(digest, governance["artifact"]!["digest"]!.GetValue<string>());
        var single = rekor.NewFile("image-governance.json", governance.ToJsonString());
        var replay = await Psig.RunAsync("record", "verify", single);
        Assert.True(replay.ExitCode == 0, replay.Error + replay.Out);

        // The same image by digest verifies; another image (another digest) has no signature.
        var byDigest = await Psig.RunAsync("verify-image", $"{image}@{digest}", "--allow-insecure-registry", "--certificate-identity", "dana@example.com",
            "--certificate-oidc-issuer", stack.EmailIssuer, "--trusted-root", stack.TrustedRootPath);
        Assert.True(byDigest.ExitCode == 0, byDigest.Error);
        Assert.Contains("Verified OK", byDigest.Out, StringComparison.Ordinal);
        var unsigned = await Psig.RunAsync("verify-image", $"{image}@{other}", "--allow-insecure-registry", "--certificate-identity", "dana@example.com",
            "--certificate-oidc-issuer", stack.EmailIssuer, "--trusted-root", stack.TrustedRootPath);
        Assert.Equal(1, unsigned.ExitCode);
        Assert.Contains($"no signature found for {image}@{other}", unsigned.Error, StringComparison.Ordinal);

        var wrongIdentity = await Psig.RunAsync("verify-image", image + ":v1", "--allow-insecure-registry", "--certificate-identity", "eve@example.com",
            "--certificate-oidc-issuer", stack.EmailIssuer, "--trusted-root", stack.TrustedRootPath);
        Assert.Equal(1, wrongIdentity.ExitCode);
        Assert.Contains("identity", wrongIdentity.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bundle_psig_wrote_is_readable_at_the_referrers_tag_by_plain_http_and_json()
    {
        await using var registry = await DistributionRegistry.StartAsync();
        var (digest, manifest) = await registry.PushRandomImageAsync("reader/app", "latest");
        var sign = await Psig.RunAsync("sign-image", $"{registry.Host}/reader/app@{digest}", "--allow-insecure-registry", "--key", rekor.KeyPath, "--rekor-url", rekor.Url);
        Assert.True(sign.ExitCode == 0, sign.Error);
        Assert.DoesNotContain("Resolved tag", sign.Error, StringComparison.Ordinal);

        // The independent reader: distribution-spec's referrers tag schema, then BUNDLE_SPEC "Retrieval", in plain HTTP + JSON.
        var (referrersApi, _) = await registry.GetAsync($"/v2/reader/app/referrers/{digest}");
        Assert.Equal(404, referrersApi);
        var (status, indexBytes) = await registry.GetAsync($"/v2/reader/app/manifests/sha256-{digest["sha256:".Length..]}");
        Assert.Equal(200, status);
        var index = JsonNode.Parse(indexBytes)!;
        Assert.Equal("application/vnd.oci.image.index.v1+json", index["mediaType"]!.GetValue<string>());
        var entry = Assert.Single(index["manifests"]!.AsArray())!;
        Assert.Equal(BundleType, entry["artifactType"]!.GetValue<string>());
        Assert.Equal("dsse-envelope", entry["annotations"]!["dev.sigstore.bundle.content"]!.GetValue<string>());
        Assert.Equal("https://sigstore.dev/cosign/sign/v1", entry["annotations"]!["dev.sigstore.bundle.predicateType"]!.GetValue<string>());

        var (referrerStatus, referrerBytes) = await registry.GetAsync($"/v2/reader/app/manifests/{entry["digest"]!.GetValue<string>()}");
        Assert.Equal(200, referrerStatus);
        Assert.Equal(entry["size"]!.GetValue<long>(), referrerBytes.Length);
        var referrer = JsonNode.Parse(referrerBytes)!;
        Assert.Equal("application/vnd.oci.image.manifest.v1+json", referrer["mediaType"]!.GetValue<string>());
        Assert.Equal(BundleType, referrer["artifactType"]!.GetValue<string>());
        Assert.Equal("application/vnd.oci.empty.v1+json", referrer["config"]!["mediaType"]!.GetValue<string>());
        Assert.Equal("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", referrer["config"]!["digest"]!.GetValue<string>());
        Assert.Equal(digest, referrer["subject"]!["digest"]!.GetValue<string>());
        Assert.Equal(manifest.Length, referrer["subject"]!["size"]!.GetValue<long>());
        var layer = Assert.Single(referrer["layers"]!.AsArray())!;
        Assert.Equal(BundleType, layer["mediaType"]!.GetValue<string>());

        var (blobStatus, blob) = await registry.GetAsync($"/v2/reader/app/blobs/{layer["digest"]!.GetValue<string>()}", "*/*");
        Assert.Equal(200, blobStatus);
        var bundle = JsonNode.Parse(blob)!;
        Assert.Equal(BundleType, bundle["mediaType"]!.GetValue<string>());
        var statement = JsonNode.Parse(Convert.FromBase64String(bundle["dsseEnvelope"]!["payload"]!.GetValue<string>()))!;
        Assert.Equal("https://in-toto.io/Statement/v1", statement["_type"]!.GetValue<string>());
        Assert.Equal("https://sigstore.dev/cosign/sign/v1", statement["predicateType"]!.GetValue<string>());
        Assert.Equal(digest["sha256:".Length..], Assert.Single(statement["subject"]!.AsArray())!["digest"]!["sha256"]!.GetValue<string>());

        // A second signature is added to the same index, not written over it.
        var again = await Psig.RunAsync("sign-image", $"{registry.Host}/reader/app:latest", "--allow-insecure-registry", "--key", rekor.KeyPath, "--rekor-url", rekor.Url);
        Assert.True(again.ExitCode == 0, again.Error);
        var (_, twice) = await registry.GetAsync($"/v2/reader/app/manifests/sha256-{digest["sha256:".Length..]}");
        Assert.Equal(2, JsonNode.Parse(twice)!["manifests"]!.AsArray().Count);
        var verify = await Psig.RunAsync("verify-image", $"{registry.Host}/reader/app:latest", "--allow-insecure-registry", "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath);
        Assert.True(verify.ExitCode == 0, verify.Error);
        Assert.Contains("Verified OK: 2 signatures", verify.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_attestation_with_a_slsa_provenance_predicate_verifies_by_type()
    {
        await using var registry = await DistributionRegistry.StartAsync();
        var (digest, _) = await registry.PushRandomImageAsync("att/app", "1.0");
        var predicate = rekor.NewFile("provenance.json", """
            {"buildDefinition":{"buildType":"https://example.com/build/v1","externalParameters":{"repository":"https://git.example.com/app"}},
             "runDetails":{"builder":{"id":"https://ci.example.com/builder"}}}
            """);
        var attest = await Psig.RunAsync("attest-image", $"{registry.Host}/att/app:1.0", "--allow-insecure-registry", "--predicate", predicate, "--type", "slsaprovenance1",
            "--key", rekor.KeyPath, "--rekor-url", rekor.Url);
        Assert.True(attest.ExitCode == 0, attest.Error);

        var verify = await Psig.RunAsync("verify-image-attestation", $"{registry.Host}/att/app:1.0", "--allow-insecure-registry", "--type", "https://slsa.dev/provenance/v1",
            "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath, "--output", "json");
        Assert.True(verify.ExitCode == 0, verify.Error);
        var result = JsonNode.Parse(verify.Out)!;
        Assert.Equal("https://slsa.dev/provenance/v1", Assert.Single(result["signatures"]!.AsArray())!["predicateType"]!.GetValue<string>());

        var otherType = await Psig.RunAsync("verify-image-attestation", $"{registry.Host}/att/app:1.0", "--allow-insecure-registry", "--type", "spdxjson",
            "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath);
        Assert.Equal(1, otherType.ExitCode);
        Assert.Contains("no attestation of type https://spdx.dev/Document found", otherType.Error, StringComparison.Ordinal);
        Assert.Contains("predicate type https://slsa.dev/provenance/v1, not https://spdx.dev/Document", otherType.Error, StringComparison.Ordinal);

        // An attestation is not an image signature.
        var asSignature = await Psig.RunAsync("verify-image", $"{registry.Host}/att/app@{digest}", "--allow-insecure-registry",
            "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath);
        Assert.Equal(1, asSignature.ExitCode);
        Assert.Contains("no signature found", asSignature.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Recursive_signing_of_a_multi_platform_index_signs_each_platform()
    {
        await using var registry = await DistributionRegistry.StartAsync();
        var (amd64, amd64Manifest) = await registry.PushRandomImageAsync("multi/app", "amd64", "amd64");
        var (arm64, arm64Manifest) = await registry.PushRandomImageAsync("multi/app", "arm64", "arm64");
        var index = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.index.v1+json",
            ["manifests"] = new JsonArray(
                new JsonObject { ["mediaType"] = "application/vnd.oci.image.manifest.v1+json", ["digest"] = amd64, ["size"] = amd64Manifest.Length, ["platform"] = new JsonObject { ["architecture"] = "amd64", ["os"] = "linux" } },
                new JsonObject { ["mediaType"] = "application/vnd.oci.image.manifest.v1+json", ["digest"] = arm64, ["size"] = arm64Manifest.Length, ["platform"] = new JsonObject { ["architecture"] = "arm64", ["os"] = "linux" } }),
        }.ToJsonString());
        var indexDigest = await registry.PutManifestAsync("multi/app", "latest", index, "application/vnd.oci.image.index.v1+json");

        var sign = await Psig.RunAsync("sign-image", $"{registry.Host}/multi/app:latest", "--recursive", "--allow-insecure-registry", "--key", rekor.KeyPath, "--rekor-url", rekor.Url);
        Assert.True(sign.ExitCode == 0, sign.Error);
        Assert.Contains("and 2 platform manifests", sign.Out, StringComparison.Ordinal);
        foreach (var digest in new[] { indexDigest, amd64, arm64 })
        {
            var verify = await Psig.RunAsync("verify-image", $"{registry.Host}/multi/app@{digest}", "--allow-insecure-registry", "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath);
            Assert.True(verify.ExitCode == 0, digest + ": " + verify.Error);
        }
    }
}
