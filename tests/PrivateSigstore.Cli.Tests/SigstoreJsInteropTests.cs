using System.Text.Json.Nodes;
using PrivateSigstore.Tests.Support;

namespace PrivateSigstore.Cli.Tests;

/// <summary>
/// Bundles written by psig (key-based, against our Rekor) verify with the pinned @sigstore/verify
/// (tests/interop/psig-verify.mjs), and a tampered one does not.
/// </summary>
public sealed class SigstoreJsInteropTests(RekorFixture rekor) : IClassFixture<RekorFixture>
{
    [Fact]
    public async Task Psig_bundles_verify_with_sigstore_js()
    {
        NodeScript.Require();
        var blob = rekor.NewFile("interop.txt", "verified by sigstore-js\n");
        Assert.Equal(0, (await Psig.RunAsync("sign-blob", blob, "--key", rekor.KeyPath, "--rekor-url", rekor.Url)).ExitCode);
        var subject = rekor.NewFile("interop.tgz", "package");
        var predicate = rekor.NewFile("predicate.json", """{"buildType":"https://example.com/psig"}""");
        var attestation = subject + ".sigstore.json";
        Assert.Equal(0, (await Psig.RunAsync("attest", subject, "--predicate", predicate, "--key", rekor.KeyPath, "--rekor-url", rekor.Url)).ExitCode);
        var tampered = rekor.NewFile("tampered.sigstore.json", File.ReadAllText(blob + ".sigstore.json"));
        var otherArtifact = rekor.NewFile("other.txt", "not what was signed\n");

        var hint = Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(rekor.SigningKeySpki));
        var keyPem = File.ReadAllText(rekor.PublicKeyPath);
        JsonObject Case(string name, string bundle, string? artifact) =>
            new() { ["name"] = name, ["bundle"] = bundle, ["artifact"] = artifact, ["keyPem"] = keyPem, ["keyHint"] = hint };
        var cases = new JsonObject
        {
            ["trustedRoot"] = JsonNode.Parse(rekor.TrustedRootJson),
            ["cases"] = new JsonArray(
                Case("hashedrekord", blob + ".sigstore.json", blob),
                Case("dsse", attestation, null),
                Case("wrong-artifact", tampered, otherArtifact)),
        };
        var casesPath = rekor.NewFile("cases.json", cases.ToJsonString());

        var run = await NodeScript.RunAsync("psig-verify.mjs", new Dictionary<string, string> { ["CASES_PATH"] = casesPath }, TestContext.Current.CancellationToken);

        Assert.True(run.ExitCode == 0 && run.Summary?["ok"]?.GetValue<bool>() == true, run.Report());
        var results = run.Summary!["results"]!;
        Assert.True(results["hashedrekord"]!.GetValue<string>() == "ok", run.Report());
        Assert.True(results["dsse"]!.GetValue<string>() == "ok", run.Report());
        Assert.StartsWith("error:", results["wrong-artifact"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sigstore_js_bundles_against_our_rekor_verify_with_psig()
    {
        NodeScript.Require();
        var dir = Directory.CreateDirectory(Path.Combine(rekor.Directory, "sigstore-js-" + Guid.NewGuid().ToString("N")[..8])).FullName;

        var run = await NodeScript.RunAsync("sigstore-js-sign.mjs", new Dictionary<string, string> { ["REKOR_URL"] = rekor.Url, ["OUT_DIR"] = dir }, TestContext.Current.CancellationToken);
        Assert.True(run.ExitCode == 0 && run.Summary?["ok"]?.GetValue<bool>() == true, run.Report());

        string In(string name) => Path.Combine(dir, name);
        var blob = await Psig.RunAsync("verify-blob", In("artifact.txt"), "--bundle", In("artifact.sigstore.json"), "--key", In("key.pub.pem"), "--trusted-root", rekor.TrustedRootPath);
        var attestation = await Psig.RunAsync("verify-attestation", In("artifact.txt"), "--bundle", In("statement.sigstore.json"), "--key", In("key.pub.pem"), "--trusted-root", rekor.TrustedRootPath);
        var wrongKey = await Psig.RunAsync("verify-blob", In("artifact.txt"), "--bundle", In("artifact.sigstore.json"), "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath);

        Assert.True(blob.ExitCode == 0, blob.Error);
        Assert.True(attestation.ExitCode == 0, attestation.Error);
        Assert.Equal(1, wrongKey.ExitCode);
    }
}
