using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace PrivateSigstore.Cli.Tests;

/// <summary>
/// Layouts other tools write, read by psig: cosign 3's referrer (upstream's own test bundle, laid out as cosign writes
/// it), the legacy <c>.sig</c>/<c>.att</c> tags of specs/SIGNATURE_SPEC.md, and bad input (a missing image, a referrer
/// that is not a bundle, a bundle for another digest). Layouts are written here in plain HTTP, not with psig's code.
/// </summary>
public sealed class ImageLayoutTests(RekorFixture rekor) : IClassFixture<RekorFixture>
{
    private const string BundleType = "application/vnd.dev.sigstore.bundle.v0.3+json";
    private const string OciManifest = "application/vnd.oci.image.manifest.v1+json";
    private const string OciIndex = "application/vnd.oci.image.index.v1+json";

    private static string TestData(string name) => Path.Combine(AppContext.BaseDirectory, "testdata", "oci", name);

    /// <summary>go-containerregistry's <c>empty.Image</c>: its config and Docker schema 2 manifest bytes, as ggcr marshals them.</summary>
    private static async Task<(string Digest, JsonObject Descriptor)> PushEmptyImageAsync(DistributionRegistry registry, string repository, string tag)
    {
        var config = "{\"architecture\":\"\",\"created\":\"0001-01-01T00:00:00Z\",\"os\":\"\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":null},\"config\":{}}"u8.ToArray();
        await registry.PushBlobAsync(repository, config, "application/vnd.docker.container.image.v1+json");
        var manifest = Encoding.UTF8.GetBytes("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"size\":"
            + config.Length + ",\"digest\":\"sha256:" + Convert.ToHexStringLower(SHA256.HashData(config)) + "\"},\"layers\":[]}");
        var digest = await registry.PutManifestAsync(repository, tag, manifest, "application/vnd.docker.distribution.manifest.v2+json");
        return (digest, new JsonObject { ["mediaType"] = "application/vnd.docker.distribution.manifest.v2+json", ["size"] = manifest.Length, ["digest"] = digest });
    }

    /// <summary>
    /// A bundle attached as cosign 3's <c>WriteAttestationNewBundleFormat</c> → <c>WriteReferrer</c> does, plus the
    /// referrers tag index go-containerregistry's <c>remote.Put</c> keeps when the registry has no referrers API.
    /// </summary>
    internal static async Task<string> WriteCosignReferrerAsync(DistributionRegistry registry, string repository, JsonObject subject, byte[] bundle, string predicateType,
        string layerMediaType = BundleType)
    {
        var config = await registry.PushBlobAsync(repository, "{}"u8.ToArray(), "application/vnd.oci.empty.v1+json");
        config["artifactType"] = BundleType;
        var layer = await registry.PushBlobAsync(repository, bundle, layerMediaType);
        var annotations = new JsonObject
        {
            ["dev.sigstore.bundle.content"] = "dsse-envelope",
            ["dev.sigstore.bundle.predicateType"] = predicateType,
            ["org.opencontainers.image.created"] = "2025-02-28T19:18:11Z",
        };
        var manifest = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = OciManifest,
            ["config"] = config,
            ["layers"] = new JsonArray(layer),
            ["annotations"] = annotations,
            ["subject"] = subject.DeepClone(),
            ["artifactType"] = BundleType,
        }.ToJsonString());
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(manifest));
        await registry.PutManifestAsync(repository, digest, manifest, OciManifest);
        var tag = subject["digest"]!.GetValue<string>().Replace(':', '-');
        var (status, existing) = await registry.GetAsync($"/v2/{repository}/manifests/{tag}");
        var index = status == 200 ? JsonNode.Parse(existing)!.AsObject() : new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = OciIndex, ["manifests"] = new JsonArray() };
        index["manifests"]!.AsArray().Add(new JsonObject
        {
            ["mediaType"] = OciManifest, ["size"] = manifest.Length, ["digest"] = digest, ["annotations"] = annotations.DeepClone(), ["artifactType"] = BundleType,
        });
        await registry.PutManifestAsync(repository, tag, Encoding.UTF8.GetBytes(index.ToJsonString()), OciIndex);
        return digest;
    }

    [Fact]
    public async Task Cosigns_own_test_attestation_in_the_layout_cosign_writes_verifies_and_not_for_another_image()
    {
        await using var registry = await DistributionRegistry.StartAsync();
        var (digest, subject) = await PushEmptyImageAsync(registry, "repo", "tag");
        // The upstream bundle's subject: the digest of go-containerregistry's empty.Image.
        Assert.Equal("sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4", digest);
        var bundle = await File.ReadAllBytesAsync(TestData("cosign.oci-attestation.sigstore.json"), TestContext.Current.CancellationToken);
        await WriteCosignReferrerAsync(registry, "repo", subject, bundle, "https://cosign.sigstore.dev/attestation/v1");

        string[] policy = ["--allow-insecure-registry", "--certificate-identity", "cody@soyland.com", "--certificate-oidc-issuer", "https://github.com/login/oauth",
            "--trusted-root", TestData("cosign.trusted_root_pgi.json")];
        var verify = await Psig.RunAsync(["verify-image-attestation", $"{registry.Host}/repo:tag", "--type", "custom", .. policy]);
        Assert.True(verify.ExitCode == 0, verify.Error);
        Assert.Contains("Verified OK: 1 attestation", verify.Out, StringComparison.Ordinal);

        // A bundle for another digest: the same upstream bundle attached to another image does not verify for it.
        var (other, _) = await registry.PushRandomImageAsync("repo", "tag2");
        var otherSubject = new JsonObject { ["mediaType"] = OciManifest, ["size"] = 1, ["digest"] = other };
        await WriteCosignReferrerAsync(registry, "repo", otherSubject, bundle, "https://cosign.sigstore.dev/attestation/v1");
        var wrong = await Psig.RunAsync(["verify-image-attestation", $"{registry.Host}/repo:tag2", "--type", "custom", .. policy]);
        Assert.Equal(1, wrong.ExitCode);
        Assert.True(wrong.Error.Contains("artifact-digest: no in-toto subject digest matches the artifact", StringComparison.Ordinal), wrong.Error);
        Assert.True(wrong.Error.Contains($"none of the 1 attestation of type https://cosign.sigstore.dev/attestation/v1 found for {registry.Host}/repo@{other} verified", StringComparison.Ordinal), wrong.Error);
    }

    [Fact]
    public async Task A_legacy_sig_tag_with_a_keyless_simple_signing_signature_verifies_and_must_name_the_digest()
    {
        await using var stack = await KeylessTests.KeylessStack.StartAsync(rekor);
        await using var registry = await DistributionRegistry.StartAsync();
        var (digest, _) = await registry.PushRandomImageAsync("legacy/app", "v1");
        var (other, _) = await registry.PushRandomImageAsync("legacy/app", "v2");

        async Task WriteSigAsync(string imageDigest, string claimedDigest)
        {
            // cosign's simple-signing payload (pkg/cosign/payload: critical.identity, critical.image, critical.type, optional).
            var payload = $"{{\"critical\":{{\"identity\":{{\"docker-reference\":\"{registry.Host}/legacy/app\"}},\"image\":{{\"docker-manifest-digest\":\"{claimedDigest}\"}},\"type\":\"cosign container image signature\"}},\"optional\":null}}";
            var file = rekor.NewFile("payload.json", payload);
            var sign = await Psig.RunAsync("sign-blob", file, "--identity-token", stack.EmailToken("legacy@example.com"), "--fulcio-url", stack.FulcioUrl, "--rekor-url", rekor.Url);
            Assert.True(sign.ExitCode == 0, sign.Error);
            var bundle = JsonNode.Parse(File.ReadAllText(file + ".sigstore.json"))!;
            var entry = bundle["verificationMaterial"]!["tlogEntries"]![0]!;
            Assert.True(entry["inclusionPromise"] is not null && bundle["verificationMaterial"]!["certificate"] is not null && bundle["messageSignature"] is not null, bundle.ToJsonString());
            var certificate = Convert.FromBase64String(bundle["verificationMaterial"]!["certificate"]!["rawBytes"]!.GetValue<string>());
            // SIGNATURE_SPEC "bundle": {SignedEntryTimestamp, Payload{body, integratedTime, logIndex, logID (hex)}}.
            var rekorBundle = new JsonObject
            {
                ["SignedEntryTimestamp"] = entry["inclusionPromise"]!["signedEntryTimestamp"]!.GetValue<string>(),
                ["Payload"] = new JsonObject
                {
                    ["body"] = entry["canonicalizedBody"]!.GetValue<string>(),
                    ["integratedTime"] = long.Parse(entry["integratedTime"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture),
                    ["logIndex"] = long.Parse(entry["logIndex"]?.GetValue<string>() ?? "0", System.Globalization.CultureInfo.InvariantCulture),
                    ["logID"] = Convert.ToHexStringLower(Convert.FromBase64String(entry["logId"]!["keyId"]!.GetValue<string>())),
                },
            };
            var layer = await registry.PushBlobAsync("legacy/app", Encoding.UTF8.GetBytes(payload), "application/vnd.dev.cosign.simplesigning.v1+json");
            layer["annotations"] = new JsonObject
            {
                ["dev.cosignproject.cosign/signature"] = bundle["messageSignature"]!["signature"]!.GetValue<string>(),
                ["dev.sigstore.cosign/bundle"] = rekorBundle.ToJsonString(),
                ["dev.sigstore.cosign/certificate"] = Core.Pem.GoPem.Encode("CERTIFICATE", certificate),
                ["dev.sigstore.cosign/chain"] = "",
            };
            var config = await registry.PushBlobAsync("legacy/app", Encoding.UTF8.GetBytes("{\"architecture\":\"\",\"os\":\"\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"config\":{}}"), "application/vnd.oci.image.config.v1+json");
            var manifest = new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = OciManifest, ["config"] = config, ["layers"] = new JsonArray(layer) };
            await registry.PutManifestAsync("legacy/app", imageDigest.Replace(':', '-') + ".sig", Encoding.UTF8.GetBytes(manifest.ToJsonString()), OciManifest);
        }

        await WriteSigAsync(digest, digest);
        string[] policy = ["--allow-insecure-registry", "--certificate-identity", "legacy@example.com", "--certificate-oidc-issuer", stack.EmailIssuer, "--trusted-root", stack.TrustedRootPath];
        var verify = await Psig.RunAsync(["verify-image", $"{registry.Host}/legacy/app:v1", "--output", "json", .. policy]);
        Assert.True(verify.ExitCode == 0, verify.Error);
        var result = JsonNode.Parse(verify.Out)!;
        Assert.Equal("legacy-sig-tag", Assert.Single(result["signatures"]!.AsArray())!["source"]!.GetValue<string>());
        Assert.True(verify.Error.Contains("no referrers API", StringComparison.Ordinal), verify.Error);

        // A valid signature over a payload that names another image does not verify this one.
        await WriteSigAsync(other, digest);
        var wrong = await Psig.RunAsync(["verify-image", $"{registry.Host}/legacy/app:v2", .. policy]);
        Assert.Equal(1, wrong.ExitCode);
        Assert.True(wrong.Error.Contains($"the signed payload names {digest}, not the image digest {other}", StringComparison.Ordinal), wrong.Error);
    }

    [Fact]
    public async Task A_legacy_att_tag_with_a_dsse_attestation_verifies_by_type()
    {
        await using var registry = await DistributionRegistry.StartAsync();
        var (digest, _) = await registry.PushRandomImageAsync("legacy/att", "v1");
        var statement = rekor.NewFile("statement.json", new JsonObject
        {
            ["_type"] = "https://in-toto.io/Statement/v0.1",
            ["predicateType"] = "https://slsa.dev/provenance/v0.2",
            ["subject"] = new JsonArray(new JsonObject { ["name"] = $"{registry.Host}/legacy/att", ["digest"] = new JsonObject { ["sha256"] = digest["sha256:".Length..] } }),
            ["predicate"] = new JsonObject { ["builder"] = new JsonObject { ["id"] = "https://ci.example.com" } },
        }.ToJsonString());
        var attest = await Psig.RunAsync("attest", "--statement", statement, "--key", rekor.KeyPath, "--rekor-url", rekor.Url, "--bundle", statement + ".sigstore.json");
        Assert.True(attest.ExitCode == 0, attest.Error);
        var bundle = JsonNode.Parse(File.ReadAllText(statement + ".sigstore.json"))!;
        var entry = bundle["verificationMaterial"]!["tlogEntries"]![0]!;
        var envelope = bundle["dsseEnvelope"]!.DeepClone().AsObject();
        // cosign writes the envelope's signatures with a keyid member (empty for keyless/key signing).
        var layer = await registry.PushBlobAsync("legacy/att", Encoding.UTF8.GetBytes(envelope.ToJsonString()), "application/vnd.dsse.envelope.v1+json");
        layer["annotations"] = new JsonObject
        {
            ["dev.cosignproject.cosign/signature"] = "",
            ["dev.sigstore.cosign/bundle"] = new JsonObject
            {
                ["SignedEntryTimestamp"] = entry["inclusionPromise"]!["signedEntryTimestamp"]!.GetValue<string>(),
                ["Payload"] = new JsonObject
                {
                    ["body"] = entry["canonicalizedBody"]!.GetValue<string>(),
                    ["integratedTime"] = long.Parse(entry["integratedTime"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture),
                    ["logIndex"] = long.Parse(entry["logIndex"]?.GetValue<string>() ?? "0", System.Globalization.CultureInfo.InvariantCulture),
                    ["logID"] = Convert.ToHexStringLower(Convert.FromBase64String(entry["logId"]!["keyId"]!.GetValue<string>())),
                },
            }.ToJsonString(),
            ["predicateType"] = "https://slsa.dev/provenance/v0.2",
        };
        var config = await registry.PushBlobAsync("legacy/att", "{\"architecture\":\"\",\"os\":\"\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"config\":{}}"u8.ToArray(), "application/vnd.oci.image.config.v1+json");
        var manifest = new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = OciManifest, ["config"] = config, ["layers"] = new JsonArray(layer) };
        await registry.PutManifestAsync("legacy/att", digest.Replace(':', '-') + ".att", Encoding.UTF8.GetBytes(manifest.ToJsonString()), OciManifest);

        var verify = await Psig.RunAsync("verify-image-attestation", $"{registry.Host}/legacy/att:v1", "--type", "slsaprovenance", "--allow-insecure-registry",
            "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath);
        Assert.True(verify.ExitCode == 0, verify.Error);
        Assert.True(verify.Error.Contains("verified legacy attestation", StringComparison.Ordinal), verify.Error);
    }

    [Fact]
    public async Task Bad_input_gets_one_clear_line_and_a_non_zero_exit()
    {
        await using var registry = await DistributionRegistry.StartAsync();
        var (digest, manifest) = await registry.PushRandomImageAsync("bad/app", "v1");
        string[] key = ["--allow-insecure-registry", "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath];

        var missing = await Psig.RunAsync(["verify-image", $"{registry.Host}/bad/app:nope", .. key]);
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal($"psig: image {registry.Host}/bad/app:nope not found: the registry answered 404 for nope in {registry.Host}/bad/app", missing.Error.Trim());
        var missingRepo = await Psig.RunAsync(["sign-image", $"{registry.Host}/no/such@sha256:{new string('0', 64)}", "--allow-insecure-registry", "--key", rekor.KeyPath, "--rekor-url", rekor.Url]);
        Assert.Equal(1, missingRepo.ExitCode);
        Assert.StartsWith("psig: image ", missingRepo.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", missingRepo.Error, StringComparison.Ordinal);

        var badReference = await Psig.RunAsync(["verify-image", "Not A Reference", .. key]);
        Assert.Equal(2, badReference.ExitCode);
        Assert.True(badReference.Error.Contains("is not a valid", StringComparison.Ordinal), badReference.Error);

        var subject = new JsonObject { ["mediaType"] = OciManifest, ["size"] = manifest.Length, ["digest"] = digest };
        // A referrer that says it is a bundle but whose bundle is garbage, and one whose layer is an SBOM.
        await WriteCosignReferrerAsync(registry, "bad/app", subject, "{\"mediaType\": \"application/vnd.dev.sigstore.bundle.v0.3+json\", \"this is\": \"not a bundle\"}"u8.ToArray(), "https://sigstore.dev/cosign/sign/v1");
        await WriteCosignReferrerAsync(registry, "bad/app", subject, "SPDXVersion: SPDX-2.3"u8.ToArray(), "https://sigstore.dev/cosign/sign/v1", layerMediaType: "text/spdx");
        var notBundles = await Psig.RunAsync(["verify-image", $"{registry.Host}/bad/app:v1", .. key]);
        Assert.Equal(1, notBundles.ExitCode);
        Assert.True(notBundles.Error.Contains("content: a messageSignature or a dsseEnvelope is required", StringComparison.Ordinal), notBundles.Error);
        Assert.True(notBundles.Error.Contains("its layer is text/spdx, not a Sigstore bundle", StringComparison.Ordinal), notBundles.Error);
        Assert.True(notBundles.Error.Contains($"none of the 2 signatures found for {registry.Host}/bad/app@{digest} verified", StringComparison.Ordinal), notBundles.Error);
        Assert.DoesNotContain("   at ", notBundles.Error, StringComparison.Ordinal);

        var unreachable = await Psig.RunAsync(["verify-image", "127.0.0.1:1/x/y:v1", "--registry-retries", "0", .. key]);
        Assert.Equal(1, unreachable.ExitCode);
        Assert.StartsWith("psig: cannot reach registry 127.0.0.1:1", unreachable.Error, StringComparison.Ordinal);
    }
}
