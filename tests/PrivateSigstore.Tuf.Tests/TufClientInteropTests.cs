using System.Security.Cryptography;
using System.Text;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys;
using PrivateSigstore.Tests.Support;

namespace PrivateSigstore.Tuf.Tests;

/// <summary>
/// Our client and the REAL TUF clients (@sigstore/tuf and the tuf-js Updater, pinned in tests/interop) against the
/// same repositories: both fetch the same targets, both walk a root rotation, and both refuse each attack.
/// </summary>
public sealed class TufClientInteropTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("sigstore")]
    [InlineData("tuf-js")]
    public async Task Both_clients_bootstrap_from_root_v1_and_get_byte_identical_targets(string nodeClient)
    {
        NodeScript.Require();
        await using var repo = await TufTestRepository.StartAsync();
        var ours = repo.Client(repo.NewCacheDirectory());
        await ours.RefreshAsync(Ct);

        var run = await repo.RunNodeAsync(nodeClient, repo.NewCacheDirectory());

        Assert.True(run.ExitCode == 0, run.Report());
        foreach (var (name, bytes) in repo.Targets)
        {
            var mine = await ours.GetTargetAsync(name, Ct);
            Assert.Equal(bytes, mine);
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(mine)), (string?)run.Summary!["targets"]![name]!["sha256"]);
            Assert.Equal(Encoding.UTF8.GetString(mine), (string?)run.Summary!["targets"]![name]!["text"]);
        }
        Assert.Equal(1, (int?)run.Summary!["rootVersion"]);
    }

    [Theory]
    [InlineData("sigstore")]
    [InlineData("tuf-js")]
    public async Task Both_clients_walk_a_root_rotation_to_a_two_of_three_root(string nodeClient)
    {
        NodeScript.Require();
        await using var repo = await TufTestRepository.StartAsync();
        var oursCache = repo.NewCacheDirectory();
        var nodeCache = repo.NewCacheDirectory();
        await repo.Client(oursCache).RefreshAsync(Ct);
        var first = await repo.RunNodeAsync(nodeClient, nodeCache);
        Assert.True(first.ExitCode == 0, first.Report());

        var newKeys = new[] { repo.NewKey(SigningAlgorithm.Ed25519), repo.NewKey(SigningAlgorithm.EcdsaP256Sha256), repo.NewKey(SigningAlgorithm.Ed25519) };
        var v2 = repo.NewRoot(newKeys, 2);
        v2.Sign(repo.RootKeys[0]); // the old root's threshold (1 of 1)
        v2.Sign(newKeys[0]);
        v2.Sign(newKeys[1]); // and the new one's (2 of 3)
        repo.PublishRoot(v2, newKeys);
        repo.Targets["trusted_root.json"] = Encoding.UTF8.GetBytes("{\"rotated\":true}\n");
        repo.PublishTargets();

        var ours = repo.Client(oursCache);
        await ours.RefreshAsync(Ct);
        var run = await repo.RunNodeAsync(nodeClient, nodeCache);

        Assert.Equal(2, ours.Root.Version);
        Assert.Equal(repo.Files["2.root.json"], File.ReadAllBytes(Path.Combine(oursCache, "root.json")));
        Assert.Equal(repo.Targets["trusted_root.json"], await ours.GetTargetAsync("trusted_root.json", Ct));
        Assert.True(run.ExitCode == 0, run.Report());
        Assert.Equal(2, (int?)run.Summary!["rootVersion"]);
        Assert.Equal("{\"rotated\":true}\n", (string?)run.Summary!["targets"]!["trusted_root.json"]!["text"]);
    }

    /// <summary>An attack: optional priming (both clients first trust a newer good state), then the tampering (given timestamp v1's bytes).</summary>
    private sealed record Attack(Action<TufTestRepository> Prime, Action<TufTestRepository, byte[]> Tamper, string Ours, string TufJs);

    private static Attack Scenario(string name) => name switch
    {
        // The mirror serves an older timestamp than one the client has already seen.
        "timestamp-rollback" => new(r => r.PublishTimestamp(), (r, first) => r.Files["timestamp.json"] = first,
            "timestamp.json: version 1 is older than the trusted version 2 (rollback)", "New timestamp version 1 is less than current version 2"),
        // A (signed) timestamp that names an older snapshot version than the trusted timestamp named.
        "snapshot-rollback" => new(r => r.PublishSnapshot(), (r, _) => r.PublishTimestamp(snapshotVersion: 1),
            "timestamp.json: v3 names snapshot version 1, older than the trusted snapshot version 2 (rollback)", "New snapshot version 1 is less than current version 2"),
        // An expired timestamp (freeze).
        "freeze" => new(_ => { }, (r, _) => r.PublishTimestamp(expires: DateTimeOffset.UtcNow.AddMinutes(-5)),
            "timestamp.json v2 expired at", "Final timestamp.json is expired"),
        // The snapshot names targets v2 (its hash and length), the mirror serves v1's file under that name.
        "mix-and-match" => new(_ => { }, (r, _) =>
        {
            r.Targets["signing_config.v0.2.json"] = Encoding.UTF8.GetBytes("{\"mediaType\":\"application/vnd.dev.sigstore.signingconfig.v0.2+json\",\"rekorTlogUrls\":[]}\n");
            r.PublishTargets();
            r.Files["2.targets.json"] = r.Files["1.targets.json"];
        }, "(the snapshot v2 metadata names other bytes: mix-and-match or tampering)", "Expected hash"),
        // The target's bytes differ from the targets metadata (same length).
        "target-bytes" => new(_ => { }, (r, _) =>
        {
            var path = r.Files.Keys.Single(k => k.StartsWith("targets/", StringComparison.Ordinal) && k.EndsWith(".trusted_root.json", StringComparison.Ordinal));
            var bytes = (byte[])r.Files[path].Clone();
            bytes[^2] ^= 0x01;
            r.Files[path] = bytes;
        }, "target trusted_root.json", "Expected hash"),
        // Root v2 signed only by the new root keys, not by the trusted root's.
        "root-below-threshold" => new(_ => { }, (r, _) =>
        {
            var newKeys = new[] { r.NewKey(), r.NewKey(), r.NewKey() };
            var v2 = r.NewRoot(newKeys, 2);
            v2.Sign(newKeys[0]);
            v2.Sign(newKeys[1]);
            r.Files["2.root.json"] = v2.ToBytes();
        }, "2.root.json (by the root keys of the trusted root v1) has 0 valid signature(s) of the 1 needed", "root was signed by 0/1 keys"),
        // A timestamp signed by a key the root does not list.
        "timestamp-unknown-key" => new(_ => { }, (r, _) => r.PublishTimestamp(signer: r.NewKey()),
            "timestamp.json v2 (by the timestamp keys of root v1) has 0 valid signature(s) of the 1 needed", "timestamp was signed by 0/1 keys"),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [InlineData("timestamp-rollback")]
    [InlineData("snapshot-rollback")]
    [InlineData("freeze")]
    [InlineData("mix-and-match")]
    [InlineData("target-bytes")]
    [InlineData("root-below-threshold")]
    [InlineData("timestamp-unknown-key")]
    public async Task Both_clients_refuse_the_attack(string name)
    {
        NodeScript.Require();
        await using var repo = await TufTestRepository.StartAsync();
        var firstTimestamp = repo.Files["timestamp.json"];
        var attack = Scenario(name);
        attack.Prime(repo);
        var oursCache = repo.NewCacheDirectory();
        var nodeCache = repo.NewCacheDirectory();
        await repo.Client(oursCache).RefreshAsync(Ct);
        var primed = await repo.RunNodeAsync("tuf-js", nodeCache, targets: "signing_config.v0.2.json"); // trusted_root.json not yet cached
        Assert.True(primed.ExitCode == 0, primed.Report());

        attack.Tamper(repo, firstTimestamp);

        var ours = repo.Client(oursCache);
        var refused = await Assert.ThrowsAnyAsync<TufException>(async () =>
        {
            await ours.RefreshAsync(Ct);
            foreach (var target in repo.Targets.Keys)
            {
                await ours.GetTargetAsync(target, Ct);
            }
        });
        Assert.True(refused is TufSecurityException or TufThresholdException, refused.ToString());
        Assert.Contains(attack.Ours, refused.Message, StringComparison.Ordinal);
        // The cache still holds the last trusted state.
        Assert.Equal(repo.Files["1.root.json"], File.ReadAllBytes(Path.Combine(oursCache, "root.json")));

        var run = await repo.RunNodeAsync("tuf-js", nodeCache);
        Assert.True(run.ExitCode == 1, run.Report());
        Assert.Contains(attack.TufJs, (string?)run.Summary!["error"]!["message"] ?? "", StringComparison.Ordinal);
    }
}
