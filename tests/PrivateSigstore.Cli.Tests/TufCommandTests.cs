using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Trust;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Tests.TestSupport;
using PrivateSigstore.Tuf;

namespace PrivateSigstore.Cli.Tests;

/// <summary>
/// <c>psig tuf</c>: a ceremony with offline root keys (2 of 3, one signer at a time), a targets key, an online snapshot
/// key in a PKCS#11 token (SoftHSM2) and a timestamp key file; publication, a root rotation, and the refusals.
/// </summary>
public sealed class TufCommandTests(SoftHsmFixture hsm) : IClassFixture<SoftHsmFixture>
{
    private readonly string _dir = Directory.CreateTempSubdirectory("psig-tuf-cli-").FullName;

    private string P(string name) => Path.Combine(_dir, name);

    private async Task<string> KeygenAsync(string name, string algorithm)
    {
        var result = await Psig.RunAsync("tuf", "keygen", "--out", P(name), "--algorithm", algorithm);
        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("Key ID ", result.Out, StringComparison.Ordinal);
        return P(name);
    }

    private void WriteTrustFiles()
    {
        using var log = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
        var start = DateTimeOffset.UtcNow.AddDays(-1);
        File.WriteAllText(P("trusted_root.json"), TrustedRootJson.Serialize(TrustMaterialBuilder.TrustedRoot([], [new TrustedLog("https://rekor.example", log.SubjectPublicKeyInfo, start)], []), indented: true));
        File.WriteAllText(P("signing_config.v0.2.json"), SigningConfigJson.Serialize(TrustMaterialBuilder.SigningConfig("https://fulcio.example", null, "https://rekor.example", start), indented: true));
    }

    [Fact]
    public async Task Ceremony_publishes_a_repository_and_rotates_its_root()
    {
        hsm.Require();
        using (var token = hsm.OpenToken())
        using (token.GenerateKey("tuf-snapshot-cli", SigningAlgorithm.EcdsaP256Sha256))
        {
        }
        Environment.SetEnvironmentVariable("PSIG_PKCS11_MODULE", SoftHsmFixture.ModulePath);
        Environment.SetEnvironmentVariable("PSIG_PKCS11_PIN", SoftHsmFixture.UserPin);
        var snapshot = $"pkcs11:token={SoftHsmFixture.TokenLabel};object=tuf-snapshot-cli";
        var root1 = await KeygenAsync("root1.pem", "ed25519");
        var root2 = await KeygenAsync("root2.pem", "ecdsa-p256");
        var root3 = await KeygenAsync("root3.pem", "ed25519");
        var targets = await KeygenAsync("targets.pem", "ecdsa-p256");
        var timestamp = await KeygenAsync("timestamp.pem", "ed25519");
        var repo = P("repo");
        WriteTrustFiles();

        // Root holders 2 and 3 are offline: init names them by public key, and only holder 1 signs now.
        var init = await Psig.RunAsync("tuf", "init", "--repo", repo, "--root-key", root1, "--root-key", root2 + ".pub", "--root-key", root3 + ".pub", "--root-threshold", "2",
            "--targets-key", targets + ".pub", "--snapshot-key", snapshot, "--timestamp-key", timestamp);
        Assert.True(init.ExitCode == 0, init.Error);
        Assert.Contains("needs 1 more of", init.Out, StringComparison.Ordinal);

        var add = await Psig.RunAsync("tuf", "add-targets", "--repo", repo, P("trusted_root.json"), P("signing_config.v0.2.json"), "--targets-key", targets);
        Assert.True(add.ExitCode == 0, add.Error);
        Assert.Contains("Staged targets v1: signing_config.v0.2.json, trusted_root.json", add.Out, StringComparison.Ordinal);

        var early = await Psig.RunAsync("tuf", "publish", "--repo", repo, "--snapshot-key", snapshot, "--timestamp-key", timestamp);
        Assert.Equal(1, early.ExitCode);
        Assert.Contains("1 valid signature(s) of the 2 needed", early.Error, StringComparison.Ordinal);

        var wrong = await Psig.RunAsync("tuf", "sign", "--repo", repo, "--role", "root", "--key", targets);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("is not a root key", wrong.Error, StringComparison.Ordinal);

        var sign = await Psig.RunAsync("tuf", "sign", "--repo", repo, "--role", "root", "--key", root3);
        Assert.True(sign.ExitCode == 0, sign.Error);
        var publish = await Psig.RunAsync("tuf", "publish", "--repo", repo, "--snapshot-key", snapshot, "--timestamp-key", timestamp);
        Assert.True(publish.ExitCode == 0, publish.Error);
        Assert.Contains("targets v1", publish.Out, StringComparison.Ordinal);
        Assert.Contains("root v1", publish.Out, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(repo, "root.json")));
        var repository = TufRepository.Open(repo);
        using (var token = hsm.OpenToken())
        using (var key = token.GetKey("tuf-snapshot-cli"))
        {
            Assert.Equal(TufKey.FromSigningKey(key).KeyId, repository.Snapshot!.Signatures.Single().KeyId);
        }

        var status = await Psig.RunAsync("tuf", "status", "--repo", repo);
        Assert.True(status.ExitCode == 0, status.Out + status.Error);
        Assert.Matches(@"timestamp\s+published\s+1 ", status.Out);

        // Rotate to a new root key set (holder 1 replaced); needs 2 old and 2 new signatures.
        var root4 = await KeygenAsync("root4.pem", "ecdsa-p256");
        var rotate = await Psig.RunAsync("tuf", "rotate-root", "--repo", repo, "--root-key", root2, "--root-key", root3, "--root-key", root4, "--root-threshold", "2", "--sign-with", root1);
        Assert.True(rotate.ExitCode == 0, rotate.Error);
        Assert.Contains("Staged root v2", rotate.Out, StringComparison.Ordinal);
        var publishRotation = await Psig.RunAsync("tuf", "publish", "--repo", repo, "--snapshot-key", snapshot, "--timestamp-key", timestamp);
        Assert.True(publishRotation.ExitCode == 0, publishRotation.Error);
        Assert.Contains("root v2", publishRotation.Out, StringComparison.Ordinal);
        Assert.Equal(2, TufRepository.Open(repo).PublishedRoot!.Version);

        var exported = P("export");
        var export = await Psig.RunAsync("tuf", "export", "--repo", repo, "--out", exported);
        Assert.True(export.ExitCode == 0, export.Error);
        Assert.True(File.Exists(Path.Combine(exported, "2.root.json")));
        Assert.True(File.Exists(Path.Combine(exported, "timestamp.json")));
    }

    [Fact]
    public async Task Bad_input_gets_clear_errors()
    {
        var repo = P("none");
        var open = await Psig.RunAsync("tuf", "status", "--repo", repo);
        Assert.Equal(1, open.ExitCode);
        Assert.Contains("is not a TUF repository", open.Error, StringComparison.Ordinal);

        File.WriteAllText(P("rsa.pem"), "not a key");
        var init = await Psig.RunAsync("tuf", "init", "--repo", repo, "--root-key", P("rsa.pem"), "--targets-key", P("rsa.pem"), "--snapshot-key", P("rsa.pem"), "--timestamp-key", P("rsa.pem"));
        Assert.Equal(2, init.ExitCode);
        Assert.Contains("key " + P("rsa.pem"), init.Error, StringComparison.Ordinal);

        var root = await KeygenAsync("r.pem", "ed25519");
        init = await Psig.RunAsync("tuf", "init", "--repo", repo, "--root-key", root, "--targets-key", root, "--snapshot-key", root, "--timestamp-key", root);
        Assert.True(init.ExitCode == 0, init.Error);
        File.WriteAllText(P("trusted_root.json"), "{\"mediaType\": 5}");
        var add = await Psig.RunAsync("tuf", "add-targets", "--repo", repo, P("trusted_root.json"));
        Assert.Equal(2, add.ExitCode);
        Assert.Contains("trusted_root.json is not a valid trusted_root.json", add.Error, StringComparison.Ordinal);

        var again = await Psig.RunAsync("tuf", "keygen", "--out", root);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("never overwritten", again.Error, StringComparison.Ordinal);

        var help = await Psig.RunAsync("tuf", "--help");
        foreach (var command in new[] { "keygen", "init", "add-targets", "sign", "publish", "rotate-root", "status", "export" })
        {
            Assert.Contains(command, help.Out, StringComparison.Ordinal);
        }
    }
}
