using System.Text;
using System.Text.Json;
using PrivateSigstore.Client.ModelSigning;
using PrivateSigstore.Core.Bundle;

namespace PrivateSigstore.Cli.Tests;

/// <summary>
/// psig sign-model / verify-model: OpenSSF model_signing v1.x signatures made keylessly against our Fulcio and Rekor
/// (over loopback), upstream's golden signatures verified against the public-good root, tampering named per file.
/// </summary>
public sealed class ModelSigningTests(RekorFixture rekor) : IClassFixture<RekorFixture>
{
    private const string UpstreamIdentity = "stefanb@us.ibm.com";
    private const string UpstreamIssuer = "https://sigstore.verify.ibm.com/oauth2";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Golden(string version) => Path.Combine(AppContext.BaseDirectory, "testdata", "model-signing", version);

    [Theory]
    [InlineData("v0.3.1-sigstore")]
    [InlineData("v1.0.0-sigstore")]
    [InlineData("v1.0.1-sigstore")]
    [InlineData("v1.1.0-sigstore")]
    public async Task Upstream_golden_signatures_verify_against_the_public_good_root(string version)
    {
        var dir = Golden(version);
        var verify = await Psig.RunAsync("verify-model", dir, "--signature", Path.Combine(dir, "model.sig"), "--ignore-paths", Path.Combine(dir, "ignore-me"),
            "--certificate-identity", UpstreamIdentity, "--certificate-oidc-issuer", UpstreamIssuer, "--trusted-root", PublicGoodRoot());
        Assert.True(verify.ExitCode == 0, verify.Error);
        Assert.Contains("Verified OK", verify.Out, StringComparison.Ordinal);

        var other = await Psig.RunAsync("verify-model", dir, "--signature", Path.Combine(dir, "model.sig"), "--ignore-paths", Path.Combine(dir, "ignore-me"),
            "--certificate-identity", "someone@example.com", "--certificate-oidc-issuer", UpstreamIssuer, "--trusted-root", PublicGoodRoot());
        Assert.Equal(1, other.ExitCode);
        Assert.Contains("identity", other.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Our_hashing_reproduces_upstreams_statement_byte_for_byte_in_its_digests()
    {
        // The golden v1.1.0 statement: resources and subject digest computed by model_signing 1.1.0.
        var dir = Golden("v1.1.0-sigstore");
        using var stream = File.OpenRead(Path.Combine(dir, "model.sig"));
        var signed = ModelStatement.Parse(BundleJson.Parse(stream).DsseEnvelope!.Payload);
        var ours = await ModelHasher.HashAsync(dir, [.. ModelSerialization.GitPaths, "ignore-me", "model.sig"], cancellationToken: Ct);

        Assert.Empty(ours.Differences(signed));
        Assert.Equal("61d4849d9d90076d6215f4d525f13d6574af8e3f67aef3e6f36fc40a14fdd226", Convert.ToHexStringLower(ours.RootDigest()));
        using var ourStatement = JsonDocument.Parse(ModelStatement.Create(ours));
        var root = ourStatement.RootElement;
        Assert.Equal("https://model_signing/signature/v1.0", root.GetProperty("predicateType").GetString());
        Assert.Equal("v1.1.0-sigstore", root.GetProperty("subject")[0].GetProperty("name").GetString());
        var serialization = root.GetProperty("predicate").GetProperty("serialization");
        Assert.Equal("files", serialization.GetProperty("method").GetString());
        Assert.Equal("sha256", serialization.GetProperty("hash_type").GetString());
        Assert.False(serialization.GetProperty("allow_symlinks").GetBoolean());
        Assert.Equal([".git", ".gitattributes", ".github", ".gitignore", "ignore-me", "model.sig"],
            serialization.GetProperty("ignore_paths").EnumerateArray().Select(e => e.GetString()!).ToArray());
        Assert.Equal(["signme-1", "signme-2"], root.GetProperty("predicate").GetProperty("resources").EnumerateArray().Select(r => r.GetProperty("name").GetString()!).ToArray());
    }

    [Fact]
    public async Task Resources_sort_by_path_components_as_pathlib_does_and_shards_name_offsets()
    {
        var dir = Directory.CreateDirectory(Path.Combine(rekor.Directory, "order-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        Directory.CreateDirectory(Path.Combine(dir, "a"));
        await File.WriteAllTextAsync(Path.Combine(dir, "a", "b"), "1", Ct);
        await File.WriteAllTextAsync(Path.Combine(dir, "a-c"), "2", Ct);
        await File.WriteAllTextAsync(Path.Combine(dir, "big"), new string('x', 25), Ct);
        await File.WriteAllTextAsync(Path.Combine(dir, "empty"), "", Ct);
        Directory.CreateDirectory(Path.Combine(dir, ".git"));
        await File.WriteAllTextAsync(Path.Combine(dir, ".git", "HEAD"), "ref", Ct);
        await File.WriteAllTextAsync(Path.Combine(dir, ".hidden"), "h", Ct);

        var files = await ModelHasher.HashAsync(dir, ModelSerialization.GitPaths, cancellationToken: Ct);
        // pathlib compares ["a","b"] < ["a-c"]; a plain string sort would put "a-c" first ('-' < '/').
        Assert.Equal([".hidden", "a/b", "a-c", "big", "empty"], files.Resources.Select(r => r.Name).ToArray());

        var shards = await ModelHasher.HashAsync(dir, ModelSerialization.GitPaths, shardSize: 10, cancellationToken: Ct);
        Assert.Equal([".hidden:0:1", "a/b:0:1", "a-c:0:1", "big:0:10", "big:10:20", "big:20:25"], shards.Resources.Select(r => r.Name).ToArray());
        Assert.All(shards.Resources, r => Assert.Equal("sha256-sharded-10", r.Algorithm));
        var parsed = ModelStatement.Parse(ModelStatement.Create(shards));
        Assert.Empty(shards.Differences(parsed));
        Assert.Equal(10, parsed.Serialization.ShardSize);
    }

    [Fact]
    public async Task Keyless_model_signature_verifies_and_each_tampering_fails_naming_the_file()
    {
        await using var stack = await KeylessTests.KeylessStack.StartAsync(rekor);
        var model = NewModel("keyless-model");
        var signature = Path.Combine(model, "model.sig");

        var sign = await Psig.RunAsync("sign-model", model, "--signature", signature, "--identity-token", stack.EmailToken("ml@example.com"),
            "--fulcio-url", stack.FulcioUrl, "--rekor-url", rekor.Url);
        Assert.True(sign.ExitCode == 0, sign.Error);
        using (var stream = File.OpenRead(signature))
        {
            var bundle = BundleJson.Parse(stream);
            Assert.Equal("application/vnd.dev.sigstore.bundle.v0.3+json", bundle.MediaType);
            Assert.Equal("application/vnd.in-toto+json", bundle.DsseEnvelope!.PayloadType);
            var manifest = ModelStatement.Parse(bundle.DsseEnvelope.Payload);
            Assert.Equal(["config.json", "tokenizer/vocab.txt", "weights.bin"], manifest.Resources.Select(r => r.Name).ToArray());
            Assert.Contains("model.sig", manifest.Serialization.IgnorePaths);
        }

        string[] verify = ["verify-model", model, "--signature", signature, "--certificate-identity", "ml@example.com",
            "--certificate-oidc-issuer", stack.EmailIssuer, "--trusted-root", stack.TrustedRootPath];
        var ok = await Psig.RunAsync(verify);
        Assert.True(ok.ExitCode == 0, ok.Error);

        var record = Path.Combine(rekor.Directory, Guid.NewGuid().ToString("N")[..8] + ".record.json");
        Assert.Equal(0, (await Psig.RunAsync([.. verify, "--record", record])).ExitCode);
        var replay = await Psig.RunAsync("record", "verify", record);
        Assert.True(replay.ExitCode == 0, replay.Error);
        Assert.Contains("ml@example.com", replay.Out, StringComparison.Ordinal);
        using (var json = JsonDocument.Parse(await File.ReadAllTextAsync(record, Ct)))
        {
            var r = json.RootElement;
            Assert.Equal("application/vnd.dev.privatesigstore.verificationrecord.v0.2+json", r.GetProperty("mediaType").GetString());
            Assert.Equal("model", r.GetProperty("artifact").GetProperty("kind").GetString());
            Assert.StartsWith("sha256:", r.GetProperty("trustedRoot").GetProperty("digest").GetString(), StringComparison.Ordinal);
            Assert.NotEmpty(r.GetProperty("bundle").GetProperty("verificationMaterial").GetProperty("tlogEntries").EnumerateArray());
            Assert.NotEmpty(r.GetProperty("timestamps").EnumerateArray());
            Assert.Contains("psig", r.GetProperty("approver").GetProperty("system").GetString(), StringComparison.Ordinal);
        }

        // Changed file.
        var weights = Path.Combine(model, "weights.bin");
        var original = await File.ReadAllBytesAsync(weights, Ct);
        var changed = (byte[])original.Clone();
        changed[1000] ^= 1;
        await File.WriteAllBytesAsync(weights, changed, Ct);
        var change = await Psig.RunAsync(verify);
        Assert.Equal(1, change.ExitCode);
        Assert.Contains("hash mismatch for weights.bin", change.Error, StringComparison.Ordinal);
        await File.WriteAllBytesAsync(weights, original, Ct);

        // Added file.
        await File.WriteAllTextAsync(Path.Combine(model, "tokenizer", "extra.txt"), "injected", Ct);
        var add = await Psig.RunAsync(verify);
        Assert.Equal(1, add.ExitCode);
        Assert.Contains("extra files in the model: tokenizer/extra.txt", add.Error, StringComparison.Ordinal);
        File.Delete(Path.Combine(model, "tokenizer", "extra.txt"));

        // Removed file.
        File.Move(Path.Combine(model, "config.json"), Path.Combine(rekor.Directory, Guid.NewGuid().ToString("N")));
        var remove = await Psig.RunAsync(verify);
        Assert.Equal(1, remove.ExitCode);
        Assert.Contains("missing files in the model: config.json", remove.Error, StringComparison.Ordinal);

        // A failed verification's record replays as a refusal that stands.
        var refusedRecord = record + ".refused.json";
        Assert.Equal(1, (await Psig.RunAsync([.. verify, "--record", refusedRecord])).ExitCode);
        var refusedReplay = await Psig.RunAsync("record", "verify", refusedRecord);
        Assert.True(refusedReplay.ExitCode == 0, refusedReplay.Error);
        Assert.Contains("refusal stands", refusedReplay.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Key_signed_model_verifies_with_the_key_and_a_forged_record_does_not_replay()
    {
        var model = NewModel("key-model");
        var signature = Path.Combine(rekor.Directory, Guid.NewGuid().ToString("N")[..8] + ".model.sig");
        var sign = await Psig.RunAsync("sign-model", model, "--signature", signature, "--key", rekor.KeyPath, "--rekor-url", rekor.Url, "--ignore-paths", Path.Combine(model, "tokenizer"));
        Assert.True(sign.ExitCode == 0, sign.Error);
        using (var stream = File.OpenRead(signature))
        {
            var manifest = ModelStatement.Parse(BundleJson.Parse(stream).DsseEnvelope!.Payload);
            Assert.Equal(["config.json", "weights.bin"], manifest.Resources.Select(r => r.Name).ToArray());
            Assert.Contains("tokenizer", manifest.Serialization.IgnorePaths);
        }
        // The signature lies outside the model, so the model's own files are all that is compared.
        var record = signature + ".record.json";
        var verify = await Psig.RunAsync("verify-model", model, "--signature", signature, "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath, "--record", record);
        Assert.True(verify.ExitCode == 0, verify.Error);
        Assert.Equal(0, (await Psig.RunAsync("record", "verify", record)).ExitCode);

        // Flip the recorded model digest: the replay notices.
        var text = await File.ReadAllTextAsync(record, Ct);
        var digest = JsonDocument.Parse(text).RootElement.GetProperty("artifact").GetProperty("digest").GetString()!;
        await File.WriteAllTextAsync(record, text.Replace(digest, "sha256:" + new string('0', 64), StringComparison.Ordinal), Ct);
        var forged = await Psig.RunAsync("record", "verify", record);
        Assert.Equal(1, forged.ExitCode);
        Assert.Contains("replay failed", forged.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_verify_blob_record_is_a_v0_2_governance_record_that_replays()
    {
        var artifact = rekor.NewFile("blob-" + Guid.NewGuid().ToString("N")[..8] + ".txt", "a tool\n");
        Assert.Equal(0, (await Psig.RunAsync("sign-blob", artifact, "--key", rekor.KeyPath, "--rekor-url", rekor.Url)).ExitCode);
        var record = artifact + ".record.json";
        Assert.Equal(0, (await Psig.RunAsync("verify-blob", artifact, "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath, "--record", record)).ExitCode);
        using (var json = JsonDocument.Parse(await File.ReadAllTextAsync(record, Ct)))
        {
            Assert.Equal("application/vnd.dev.privatesigstore.verificationrecord.v0.2+json", json.RootElement.GetProperty("mediaType").GetString());
            Assert.Equal("file", json.RootElement.GetProperty("artifact").GetProperty("kind").GetString());
        }
        var replay = await Psig.RunAsync("record", "verify", record);
        Assert.True(replay.ExitCode == 0, replay.Error);

        // Another trusted root than the one recorded: the replay says so.
        var other = rekor.NewFile("other-root-" + Guid.NewGuid().ToString("N")[..8] + ".json", (await File.ReadAllTextAsync(rekor.TrustedRootPath, Ct)) + " ");
        var wrongRoot = await Psig.RunAsync("record", "verify", record, "--trusted-root", other);
        Assert.Equal(1, wrongRoot.ExitCode);
        Assert.Contains("the record names", wrongRoot.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_older_Digests_v0_1_predicate_is_accepted()
    {
        var model = NewModel("compat-model");
        var subjects = string.Join(",", Directory.EnumerateFiles(model, "*", SearchOption.AllDirectories).Where(f => !f.Contains("/.git/", StringComparison.Ordinal)).Order(StringComparer.Ordinal).Select(f =>
            $$$"""{"name":"{{{Path.GetRelativePath(model, f).Replace('\\', '/')}}}","digest":{"sha256":"{{{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))}}}"}}"""));
        var statement = rekor.NewFile("compat-" + Guid.NewGuid().ToString("N")[..8] + ".json",
            $$$"""{"_type":"https://in-toto.io/Statement/v1","subject":[{{{subjects}}}],"predicateType":"https://model_signing/Digests/v0.1","predicate":{"unused":"Unused, just passed due to API requirements"}}""");
        var signature = statement + ".sig";
        Assert.Equal(0, (await Psig.RunAsync("attest", "--statement", statement, "--bundle", signature, "--key", rekor.KeyPath, "--rekor-url", rekor.Url)).ExitCode);

        var verify = await Psig.RunAsync("verify-model", model, "--signature", signature, "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath);
        Assert.True(verify.ExitCode == 0, verify.Error);
        await File.AppendAllTextAsync(Path.Combine(model, "config.json"), " ", Ct);
        var tampered = await Psig.RunAsync("verify-model", model, "--signature", signature, "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath);
        Assert.Equal(1, tampered.ExitCode);
        Assert.Contains("config.json", tampered.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_input_is_one_line_and_exit_2()
    {
        var missing = await Psig.RunAsync("verify-model", Path.Combine(rekor.Directory, "no-such-model"), "--key", rekor.PublicKeyPath);
        Assert.Equal(2, missing.ExitCode);
        Assert.Single(missing.Error.Trim().Split('\n'));

        var model = NewModel("bad-input");
        var shard = await Psig.RunAsync("sign-model", model, "--shard-size", "0", "--key", rekor.KeyPath, "--rekor-url", rekor.Url);
        Assert.Equal(2, shard.ExitCode);
        Assert.Contains("--shard-size", shard.Error, StringComparison.Ordinal);

        var noIdentity = await Psig.RunAsync("verify-model", model, "--signature", Path.Combine(model, "model.sig"));
        Assert.Equal(2, noIdentity.ExitCode);

        File.CreateSymbolicLink(Path.Combine(model, "link"), Path.Combine(model, "config.json"));
        var link = await Psig.RunAsync("sign-model", model, "--signature", Path.Combine(rekor.Directory, "x.sig"), "--key", rekor.KeyPath, "--rekor-url", rekor.Url);
        Assert.Equal(2, link.ExitCode);
        Assert.Contains("link is a symbolic link", link.Error, StringComparison.Ordinal);

        var notASignature = rekor.NewFile("not-a-sig-" + Guid.NewGuid().ToString("N")[..8] + ".json", "{}");
        var bad = await Psig.RunAsync("verify-model", model, "--signature", notASignature, "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath);
        Assert.Equal(1, bad.ExitCode);
        Assert.DoesNotContain("   at ", bad.Error, StringComparison.Ordinal);

        var help = await Psig.RunAsync("sign-model", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--signature", help.Out, StringComparison.Ordinal);
    }

    /// <summary>A small model: a config, a tokenizer directory, and 64 KiB of weights.</summary>
    private string NewModel(string name)
    {
        var dir = Directory.CreateDirectory(Path.Combine(rekor.Directory, name + "-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        File.WriteAllText(Path.Combine(dir, "config.json"), """{"layers": 2}""");
        Directory.CreateDirectory(Path.Combine(dir, "tokenizer"));
        File.WriteAllText(Path.Combine(dir, "tokenizer", "vocab.txt"), "a\nb\n");
        var weights = new byte[65536];
        new Random(7).NextBytes(weights);
        File.WriteAllBytes(Path.Combine(dir, "weights.bin"), weights);
        Directory.CreateDirectory(Path.Combine(dir, ".git"));
        File.WriteAllText(Path.Combine(dir, ".git", "HEAD"), "ref: refs/heads/main\n");
        return dir;
    }

    /// <summary>psig's embedded public-good root, written out (so the tests do not depend on a TUF cache).</summary>
    private string PublicGoodRoot()
    {
        var path = Path.Combine(rekor.Directory, "public-good.trusted_root.json");
        if (!File.Exists(path))
        {
            using var stream = typeof(PsigApp).Assembly.GetManifestResourceStream("production.trusted_root.json")!;
            using var file = File.Create(path);
            stream.CopyTo(file);
        }
        return path;
    }
}
