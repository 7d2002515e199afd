using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Trust;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Cli.Tests;

/// <summary>
/// Issue 21, "wrong trust root": each mistake gets its own message — which root was used and where it came from, what
/// did not match, a document that is not a trusted root refused by its media type, and a hint with the public-good root.
/// </summary>
public sealed class WrongTrustRootTests(RekorFixture rekor) : IClassFixture<RekorFixture>
{
    private static async Task<Psig.Result> RunAsync(string home, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var console = new CliConsole(output, error, false) { Home = home };
        var code = await PsigApp.RunAsync(args, console, TestContext.Current.CancellationToken);
        return new Psig.Result(code, output.ToString(), error.ToString());
    }

    private async Task<string> SignedAsync(string name)
    {
        var artifact = rekor.NewFile(name, name + "\n");
        var sign = await Psig.RunAsync("sign-blob", artifact, "--key", rekor.KeyPath, "--rekor-url", rekor.Url);
        Assert.True(sign.ExitCode == 0, sign.Error);
        return artifact;
    }

    [Fact]
    public async Task Each_trusted_root_mistake_says_what_happened()
    {
        var artifact = await SignedAsync("wrong-root.txt");
        var home = Directory.CreateTempSubdirectory("psig-home-").FullName; // no TUF trust here
        string[] Verify(string? root) => root is null
            ? ["verify-blob", artifact, "--key", rekor.PublicKeyPath]
            : ["verify-blob", artifact, "--key", rekor.PublicKeyPath, "--trusted-root", root];

        var empty = await RunAsync(home, Verify(rekor.NewFile("empty.json", "{}")));
        Assert.Equal(2, empty.ExitCode);
        Assert.Contains("empty.json is not a trusted root: it has no mediaType (expected application/vnd.dev.sigstore.trustedroot+json;version=0.1)", empty.Error, StringComparison.Ordinal);

        var signingConfig = rekor.NewFile("signing_config.v0.2.json", SigningConfigJson.Serialize(TrustMaterialBuilder.SigningConfig("https://fulcio.example", null, rekor.Url, DateTimeOffset.UtcNow), indented: true));
        var config = await RunAsync(home, Verify(signingConfig));
        Assert.Equal(2, config.ExitCode);
        Assert.Contains("is not a trusted root: its mediaType is \"application/vnd.dev.sigstore.signingconfig.v0.2+json\"", config.Error, StringComparison.Ordinal);

        // Another stack's root: names the bundle's log ID and what the root lists, and which root was used.
        using var otherKey = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
        var otherRoot = rekor.NewFile("other_trusted_root.json", TrustedRootJson.Serialize(TrustMaterialBuilder.TrustedRoot([], [new TrustedLog("https://rekor.other.example", otherKey.SubjectPublicKeyInfo, DateTimeOffset.UtcNow.AddDays(-1))], []), indented: true));
        var other = await RunAsync(home, Verify(otherRoot));
        Assert.Equal(1, other.ExitCode);
        Assert.Contains("the bundle's log ID ", other.Error, StringComparison.Ordinal);
        Assert.Contains("is not in this trusted root (it lists ", other.Error, StringComparison.Ordinal);
        Assert.Contains("(https://rekor.other.example)", other.Error, StringComparison.Ordinal);
        Assert.Contains($"(trusted root: --trusted-root {otherRoot})", other.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Did you mean", other.Error, StringComparison.Ordinal);

        // Forgotten --trusted-root: the public-good root, said so, and a hint.
        var forgotten = await RunAsync(home, Verify(null));
        Assert.Equal(1, forgotten.ExitCode);
        Assert.Contains("using the embedded public-good production trusted root", forgotten.Error, StringComparison.Ordinal);
        Assert.Contains("(trusted root: the embedded public-good production root)", forgotten.Error, StringComparison.Ordinal);
        Assert.Contains("Did you mean --trusted-root <your stack's trusted_root.json>", forgotten.Error, StringComparison.Ordinal);

        // The wrong --key: says the key does not match (not "entry-body-mismatch").
        var wrongKey = rekor.NewFile("wrong.pub.pem", Core.Pem.GoPem.EncodePublicKey(otherKey.SubjectPublicKeyInfo));
        var wrong = await RunAsync(home, "verify-blob", artifact, "--key", wrongKey, "--trusted-root", rekor.TrustedRootPath);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("the key given does not match the key the bundle was signed with", wrong.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("entry-body-mismatch", wrong.Error, StringComparison.Ordinal);

        // The right root still verifies.
        Assert.Equal(0, (await RunAsync(home, Verify(rekor.TrustedRootPath))).ExitCode);
    }
}
