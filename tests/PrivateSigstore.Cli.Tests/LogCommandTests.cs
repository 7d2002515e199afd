using System.Text.Json;

namespace PrivateSigstore.Cli.Tests;

/// <summary><c>psig log info|get|proof|verify-consistency</c> against our Rekor v1 service, text and --json.</summary>
public sealed class LogCommandTests(RekorFixture rekor) : IClassFixture<RekorFixture>
{
    private async Task<long> SignAsync(string content)
    {
        var file = rekor.NewFile("log.txt", content);
        var result = await Psig.RunAsync("sign-blob", file, "--key", rekor.KeyPath, "--rekor-url", rekor.Url);
        Assert.True(result.ExitCode == 0, result.Error);
        using var bundle = JsonDocument.Parse(File.ReadAllText(file + ".sigstore.json"));
        // proto JSON omits a zero logIndex.
        return bundle.RootElement.GetProperty("verificationMaterial").GetProperty("tlogEntries")[0].TryGetProperty("logIndex", out var index)
            ? long.Parse(index.GetString()!, System.Globalization.CultureInfo.InvariantCulture)
            : 0;
    }

    [Fact]
    public async Task Info_prints_the_tree_and_verifies_the_checkpoint_signature()
    {
        await SignAsync("info entry\n");

        var text = await Psig.RunAsync("log", "info", "--rekor-url", rekor.Url);
        var json = await Psig.RunAsync("log", "info", "--rekor-url", rekor.Url, "--json");

        Assert.True(text.ExitCode == 0, text.Error);
        Assert.Contains("Checkpoint signature: verified", text.Out, StringComparison.Ordinal);
        Assert.Equal(0, json.ExitCode);
        using var doc = JsonDocument.Parse(json.Out);
        Assert.True(doc.RootElement.GetProperty("treeSize").GetInt64() >= 1);
        Assert.True(doc.RootElement.GetProperty("checkpointSignatureVerified").GetBoolean());
        Assert.Equal(64, doc.RootElement.GetProperty("rootHash").GetString()!.Length);
    }

    [Fact]
    public async Task Get_and_proof_by_index_show_and_verify_the_entry()
    {
        var index = await SignAsync("get entry\n");
        var arg = index.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var get = await Psig.RunAsync("log", "get", "--log-index", arg, "--rekor-url", rekor.Url, "--json");
        using var entry = JsonDocument.Parse(get.Out);
        var uuid = entry.RootElement.GetProperty("uuid").GetString()!;
        var byUuid = await Psig.RunAsync("log", "get", "--uuid", uuid, "--rekor-url", rekor.Url);
        var proof = await Psig.RunAsync("log", "proof", "--log-index", arg, "--rekor-url", rekor.Url);

        Assert.Equal(0, get.ExitCode);
        Assert.Equal("hashedrekord", entry.RootElement.GetProperty("body").GetProperty("kind").GetString());
        Assert.Equal(0, byUuid.ExitCode);
        Assert.Contains("Kind: hashedrekord 0.0.1", byUuid.Out, StringComparison.Ordinal);
        // Base64 and PEM print as they are: no "\u002B" for '+' (or "\u003C" and the like).
        Assert.DoesNotContain("\\u00", get.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u00", byUuid.Out, StringComparison.Ordinal);
        Assert.True(proof.ExitCode == 0, proof.Out + proof.Error);
        Assert.Contains("Inclusion: verified", proof.Out, StringComparison.Ordinal);
        Assert.Contains("Checkpoint: signed by the log", proof.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_entry_exits_1_with_the_log_message()
    {
        var result = await Psig.RunAsync("log", "get", "--log-index", "999999", "--rekor-url", rekor.Url);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("HTTP 404", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_consistency_accepts_the_earlier_tree_and_rejects_a_forged_root()
    {
        await SignAsync("first\n");
        var before = JsonDocument.Parse((await Psig.RunAsync("log", "info", "--rekor-url", rekor.Url, "--json")).Out).RootElement;
        var size = before.GetProperty("treeSize").GetInt64().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var root = before.GetProperty("rootHash").GetString()!;
        await SignAsync("second\n");
        await SignAsync("third\n");

        var good = await Psig.RunAsync("log", "verify-consistency", "--first-size", size, "--first-root-hash", root, "--rekor-url", rekor.Url, "--json");
        var forged = await Psig.RunAsync("log", "verify-consistency", "--first-size", size, "--first-root-hash", new string('0', 64), "--rekor-url", rekor.Url);

        Assert.True(good.ExitCode == 0, good.Out + good.Error);
        using var doc = JsonDocument.Parse(good.Out);
        Assert.True(doc.RootElement.GetProperty("consistent").GetBoolean());
        Assert.True(doc.RootElement.GetProperty("lastSize").GetInt64() > long.Parse(size, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(1, forged.ExitCode);
        Assert.Contains("NOT CONSISTENT", forged.Out, StringComparison.Ordinal);
    }
}
