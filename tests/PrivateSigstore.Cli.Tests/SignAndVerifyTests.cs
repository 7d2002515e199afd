using System.Text.Json;

namespace PrivateSigstore.Cli.Tests;

/// <summary>psig signs with a PEM key against our Rekor and verifies what it wrote; exit codes 0 / 1 / 2.</summary>
public sealed class SignAndVerifyTests(RekorFixture rekor) : IClassFixture<RekorFixture>
{
    [Fact]
    public async Task Sign_blob_with_a_key_then_verify_blob_with_the_key_writes_a_verified_record()
    {
        var artifact = rekor.NewFile("artifact.txt", "hello from psig\n");
        var bundle = artifact + ".sigstore.json";

        var sign = await Psig.RunAsync("sign-blob", artifact, "--key", rekor.KeyPath, "--rekor-url", rekor.Url);
        Assert.True(sign.ExitCode == 0, sign.Error);
        Assert.Contains("tlog entry created with index", sign.Error, StringComparison.Ordinal);

        var record = artifact + ".record.json";
        var verify = await Psig.RunAsync("verify-blob", artifact, "--bundle", bundle, "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath, "--record", record);

        Assert.True(verify.ExitCode == 0, verify.Error);
        Assert.Contains("Verified OK", verify.Out, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(File.ReadAllText(record));
        Assert.Equal("verified", json.RootElement.GetProperty("verdict").GetString());
        var entry = json.RootElement.GetProperty("transparencyLogEntries")[0];
        Assert.True(entry.GetProperty("logIndex").GetInt64() >= 0);
        Assert.Contains("127.0.0.1", entry.GetProperty("checkpoint").GetString(), StringComparison.Ordinal);
        using var bundleJson = JsonDocument.Parse(File.ReadAllText(bundle));
        Assert.Equal("application/vnd.dev.sigstore.bundle.v0.3+json", bundleJson.RootElement.GetProperty("mediaType").GetString());
    }

    [Fact]
    public async Task Verify_blob_of_a_changed_artifact_exits_1_naming_the_step()
    {
        var artifact = rekor.NewFile("artifact.txt", "original\n");
        Assert.Equal(0, (await Psig.RunAsync("sign-blob", artifact, "--key", rekor.KeyPath, "--rekor-url", rekor.Url)).ExitCode);
        File.WriteAllText(artifact, "changed\n");

        var verify = await Psig.RunAsync("verify-blob", artifact, "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath);

        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("artifact-digest", verify.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_blob_with_another_key_exits_1()
    {
        var artifact = rekor.NewFile("artifact.txt", "signed\n");
        Assert.Equal(0, (await Psig.RunAsync("sign-blob", artifact, "--key", rekor.KeyPath, "--rekor-url", rekor.Url)).ExitCode);
        using var other = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var otherKey = rekor.NewFile("other.pub", other.ExportSubjectPublicKeyInfoPem());

        var verify = await Psig.RunAsync("verify-blob", artifact, "--key", otherKey, "--trusted-root", rekor.TrustedRootPath);

        Assert.Equal(1, verify.ExitCode);
        // Issue 21: the message says the key does not match (it used to say "entry-body-mismatch").
        Assert.Contains("signature: the key given does not match the key the bundle was signed with", verify.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Several_files_verify_each_with_its_own_bundle()
    {
        var files = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var file = rekor.NewFile($"many-{i}.txt", $"file {i}\n");
            Assert.Equal(0, (await Psig.RunAsync("sign-blob", file, "--key", rekor.KeyPath, "--rekor-url", rekor.Url)).ExitCode);
            files.Add(file);
        }

        var verify = await Psig.RunAsync(["verify-blob", .. files, "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath]);

        Assert.True(verify.ExitCode == 0, verify.Error);
        Assert.Equal(3, verify.Out.Split('\n').Count(l => l.EndsWith("Verified OK", StringComparison.Ordinal)));
        Assert.Equal("", verify.Error); // piped: no progress

        var onTerminal = await Psig.RunAsync(true, ["verify-blob", .. files, "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath]);
        Assert.Equal(0, onTerminal.ExitCode);
        Assert.Contains("\rverified: 3/3", onTerminal.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Attest_then_verify_attestation_checks_the_subject()
    {
        var artifact = rekor.NewFile("package.tgz", "package bytes");
        var predicate = rekor.NewFile("predicate.json", """{"buildType":"https://example.com/build","note":"psig test"}""");
        var bundle = artifact + ".intoto.sigstore.json";

        var attest = await Psig.RunAsync("attest", artifact, "--predicate", predicate, "--type", "https://slsa.dev/provenance/v1", "--key", rekor.KeyPath, "--rekor-url", rekor.Url, "--bundle", bundle);
        Assert.True(attest.ExitCode == 0, attest.Error);

        var verify = await Psig.RunAsync("verify-attestation", artifact, "--bundle", bundle, "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath);
        Assert.True(verify.ExitCode == 0, verify.Error);

        var other = rekor.NewFile("other.tgz", "other bytes");
        var mismatch = await Psig.RunAsync("verify-attestation", other, "--bundle", bundle, "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath);
        Assert.Equal(1, mismatch.ExitCode);
        Assert.Contains("artifact-digest", mismatch.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unreadable_bundle_exits_1_and_still_writes_a_record()
    {
        var artifact = rekor.NewFile("artifact.txt", "x\n");
        var bundle = rekor.NewFile("broken.sigstore.json", "{\"mediaType\": ");
        var record = artifact + ".record.json";

        var verify = await Psig.RunAsync("verify-blob", artifact, "--bundle", bundle, "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath, "--record", record);

        Assert.Equal(1, verify.ExitCode);
        using var json = JsonDocument.Parse(File.ReadAllText(record));
        Assert.Equal("not-verified", json.RootElement.GetProperty("verdict").GetString());
        Assert.Equal("bundle-format", json.RootElement.GetProperty("failedStep").GetString());
    }

    [Theory]
    [InlineData("sign-bundle", "--identity-token", "t", "--bundle", "b.json", "x.txt")]
    [InlineData("trusted-root", "--rekor-url", "not a url")]
    [InlineData("verify-blob", "x.txt", "--key", "k.pem", "--certificate-identity", "a@b")]
    [InlineData("verify-blob", "x.txt", "--certificate-identity", "a@b")]
    [InlineData("verify-blob", "x.txt", "--certificate-identity", "a@b", "--certificate-identity-regexp", "a", "--certificate-oidc-issuer", "https://i")]
    [InlineData("verify-blob")]
    [InlineData("verify-blob", "x.txt", "--no-such-flag")]
    [InlineData("log", "get", "--log-index", "1", "--uuid", "abc")]
    public async Task Usage_errors_exit_2(params string[] args)
    {
        var result = await Psig.RunAsync(args);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("psig: ", result.Error, StringComparison.Ordinal);
    }
}
