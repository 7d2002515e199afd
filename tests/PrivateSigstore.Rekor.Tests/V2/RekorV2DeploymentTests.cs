using System.Net;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Keys.Tests.TestSupport;
using PrivateSigstore.Rekor.V2;

namespace PrivateSigstore.Rekor.Tests.V2;

/// <summary>The checkpoint key in SoftHSM2 (Ed25519 through CKM_EDDSA), and the v2 command line.</summary>
public sealed class RekorV2DeploymentTests(SoftHsmFixture hsm)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class HsmFixture : RekorV2Fixture
    {
        protected override IEnumerable<string> ExtraArgs =>
        [
            "--RekorV2:Key:Provider", "Pkcs11", "--RekorV2:Key:KeyLabel", "rekor-v2-checkpoint", "--RekorV2:Key:Algorithm", "Ed25519",
            "--RekorV2:Key:Pkcs11:ModulePath", SoftHsmFixture.ModulePath, "--RekorV2:Key:Pkcs11:TokenLabel", SoftHsmFixture.TokenLabel,
            "--RekorV2:Key:Pkcs11:Pin", SoftHsmFixture.UserPin,
        ];
    }

    [Fact]
    public async Task Ed25519_checkpoint_key_in_SoftHSM_signs_checkpoints_that_verify_with_the_published_key()
    {
        hsm.Require();
        using (var token = hsm.OpenToken())
        {
            if (!token.HasKey("rekor-v2-checkpoint"))
            {
                try
                {
                    token.GenerateKey("rekor-v2-checkpoint", SigningAlgorithm.Ed25519).Dispose();
                }
                catch (Keys.KeyConfigurationException e)
                {
                    Assert.Skip($"the token does not generate Ed25519 keys: {e.Message}");
                }
            }
        }
        await using var rekor = new HsmFixture();
        await rekor.InitializeAsync();
        using (var token = hsm.OpenToken())
        using (var key = token.GetKey("rekor-v2-checkpoint"))
        {
            Assert.Equal(key.SubjectPublicKeyInfo, rekor.Trust.SubjectPublicKeyInfo);
        }
        Assert.False(File.Exists(Path.Combine(rekor.DataDirectory, "checkpoint-key.pem")), "no development key may be created when PKCS#11 is configured");
        Assert.Equal(Core.Bundle.PublicKeyDetails.PkixEd25519, rekor.Trust.KeyDetails);
        using var r = await rekor.PostAsync(V2Requests.Valid().ToJsonString());
        Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        var envelope = JsonNode.Parse(await r.Content.ReadAsStringAsync(Ct))!["inclusionProof"]!["checkpoint"]!["envelope"]!.GetValue<string>();
        Assert.Single(SignedNote.Parse(envelope).Verify([rekor.Trust.NoteVerifier()]));
    }

    [Fact]
    public async Task The_export_tiles_command_writes_the_live_log_and_help_and_usage_errors_exit_0_and_2()
    {
        await using var rekor = new RekorV2Fixture();
        await rekor.InitializeAsync();
        for (var i = 0; i < 3; i++)
        {
            using var r = await rekor.PostAsync(V2Requests.Valid().ToJsonString());
            Assert.Equal(HttpStatusCode.Created, r.StatusCode);
        }
        var target = Path.Combine(rekor.DataDirectory, "mirror");
        Assert.Equal(0, await RekorV2Command.RunAsync(["export-tiles", target, "--data", rekor.DataDirectory]));
        var files = TilesReader.FromDirectory(target);
        var (_, size, root, _) = await files.CheckpointAsync();
        Assert.Equal(await rekor.TreeSizeAsync(), size);
        Assert.Equal(root, TilesReader.Root(await files.LeafHashesAsync(size)));
        Assert.True(File.Exists(Path.Combine(target, "tile", "entries", "000.p", "3")));

        Assert.Equal(0, await RekorV2Command.RunAsync(["--help"]));
        Assert.Equal(0, await RekorV2Command.RunAsync(["export-tiles", "--help"]));
        Assert.Equal(2, await RekorV2Command.RunAsync(["export-tiles"]));
        Assert.Equal(2, await RekorV2Command.RunAsync(["no-such-command"]));
        Assert.Equal(1, await RekorV2Command.RunAsync(["export-tiles", target, "--data", rekor.DataDirectory, "--origin", "https://bad/origin"]));
    }
}
