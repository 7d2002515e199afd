using System.Security.Cryptography;
using System.Text;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys;
using PrivateSigstore.Tests.Support;

namespace PrivateSigstore.Tuf.Tests;

/// <summary>The repository's ceremony (stage, sign one signer at a time, publish), checked with the real TUF clients.</summary>
public sealed class RepositoryTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly List<ISigningKey> _keys = [];
    private readonly string _dir = Directory.CreateTempSubdirectory("psig-tuf-repo-").FullName;

    private InMemorySigningKey Key(SigningAlgorithm algorithm)
    {
        var key = InMemorySigningKey.Generate(algorithm);
        _keys.Add(key);
        return key;
    }

    public void Dispose()
    {
        foreach (var key in _keys) key.Dispose();
    }

    private sealed record Keys(ISigningKey[] Root, ISigningKey Targets, ISigningKey Snapshot, ISigningKey Timestamp);

    private Keys NewKeys() => new(
        [Key(SigningAlgorithm.Ed25519), Key(SigningAlgorithm.EcdsaP256Sha256), Key(SigningAlgorithm.Ed25519)],
        Key(SigningAlgorithm.EcdsaP256Sha256), Key(SigningAlgorithm.EcdsaP256Sha256), Key(SigningAlgorithm.Ed25519));

    private static Dictionary<TufRole, TufRoleKeys> Roles(Keys k, int rootThreshold = 2) => new()
    {
        [TufRole.Root] = new([.. k.Root.Select(TufKey.FromSigningKey)], rootThreshold),
        [TufRole.Targets] = new([TufKey.FromSigningKey(k.Targets)], 1),
        [TufRole.Snapshot] = new([TufKey.FromSigningKey(k.Snapshot)], 1),
        [TufRole.Timestamp] = new([TufKey.FromSigningKey(k.Timestamp)], 1),
    };

    private static readonly byte[] TrustedRoot = Encoding.UTF8.GetBytes("{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;version=0.1\"}\n");
    private static readonly byte[] SigningConfig = Encoding.UTF8.GetBytes("{\"mediaType\":\"application/vnd.dev.sigstore.signingconfig.v0.2+json\"}\n");

    private TufRepository Published(Keys k)
    {
        var now = DateTimeOffset.UtcNow;
        var repository = TufRepository.Create(_dir, Roles(k), null, now);
        repository.StageTargets(new Dictionary<string, byte[]> { [TufRepository.TrustedRootTarget] = TrustedRoot, [TufRepository.SigningConfigTarget] = SigningConfig }, false, now);
        repository.Sign(TufRole.Targets, k.Targets);
        repository.Sign(TufRole.Root, k.Root[0]);
        // One root signature of the two needed: publishing refuses, and says why.
        var e = Assert.Throws<TufThresholdException>(() => repository.Publish([k.Snapshot], [k.Timestamp], now));
        Assert.Contains("root v1", e.Message, StringComparison.Ordinal);
        Assert.Contains("1 valid signature(s) of the 2 needed", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(repository.PublishedDirectory) && Directory.EnumerateFiles(repository.PublishedDirectory).Any());
        repository.Sign(TufRole.Root, k.Root[2]);
        repository.Publish([k.Snapshot], [k.Timestamp], now);
        return repository;
    }

    private static async Task<System.Text.Json.Nodes.JsonNode> RunClientAsync(string client, string mirror, string root, string cache, bool expectOk = true)
    {
        NodeScript.Require();
        var run = await NodeScript.RunAsync("tuf-client.mjs", new Dictionary<string, string>
        {
            ["TUF_CLIENT"] = client,
            ["TUF_MIRROR_URL"] = mirror,
            ["TUF_ROOT_PATH"] = root,
            ["TUF_CACHE_DIR"] = cache,
            ["TUF_TARGETS"] = $"{TufRepository.TrustedRootTarget},{TufRepository.SigningConfigTarget}",
        }, Ct);
        Assert.True(run.Summary is not null, run.Stdout + run.Stderr);
        Assert.True(expectOk == (run.ExitCode == 0), run.Stdout + run.Stderr);
        return run.Summary!;
    }

    [Fact]
    public void Layout_is_the_consistent_snapshot_one_clients_read()
    {
        var k = NewKeys();
        var repository = Published(k);
        var files = Directory.EnumerateFiles(repository.PublishedDirectory, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(repository.PublishedDirectory, f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(
        [
            "1.root.json", "1.snapshot.json", "1.targets.json",
            $"targets/{Convert.ToHexStringLower(SHA256.HashData(SigningConfig))}.signing_config.v0.2.json",
            $"targets/{Convert.ToHexStringLower(SHA256.HashData(TrustedRoot))}.trusted_root.json",
            "timestamp.json",
        ], files);
        Assert.Equal(File.ReadAllBytes(Path.Combine(repository.PublishedDirectory, "1.root.json")), File.ReadAllBytes(Path.Combine(_dir, "root.json")));
        Assert.Empty(Directory.EnumerateFiles(repository.StagedDirectory, "*", SearchOption.AllDirectories));
        Assert.Equal(TrustedRoot, repository.ReadPublishedTarget(TufRepository.TrustedRootTarget));
    }

    [Theory]
    [InlineData("sigstore")]
    [InlineData("tuf-js")]
    public async Task Real_client_bootstraps_follows_a_targets_update_and_walks_a_root_rotation(string client)
    {
        var k = NewKeys();
        var repository = Published(k);
        using var server = new StaticServer(repository.PublishedDirectory);
        var cache = Directory.CreateTempSubdirectory("psig-tuf-cache-").FullName;
        var root = Path.Combine(_dir, "root.json");

        var first = await RunClientAsync(client, server.Url, root, cache);
        Assert.Equal(Encoding.UTF8.GetString(TrustedRoot), first["targets"]![TufRepository.TrustedRootTarget]!["text"]!.GetValue<string>());
        Assert.Equal(1, first["rootVersion"]!.GetValue<int>());

        // A targets update (a rotated key in trusted_root.json), then a root rotation to new keys (2 of 3 new, signed by both thresholds).
        var now = DateTimeOffset.UtcNow;
        var rotated = Encoding.UTF8.GetBytes("{\"rotated\":true}\n");
        repository.StageTargets(new Dictionary<string, byte[]> { [TufRepository.TrustedRootTarget] = rotated }, false, now);
        repository.Sign(TufRole.Targets, k.Targets);
        Assert.Contains("targets v2 (signing_config.v0.2.json, trusted_root.json)", repository.Publish([k.Snapshot], [k.Timestamp], now));

        var next = NewKeys();
        var roles = Roles(next);
        roles[TufRole.Targets] = new([TufKey.FromSigningKey(k.Targets)], 1);
        roles[TufRole.Snapshot] = new([TufKey.FromSigningKey(k.Snapshot)], 1);
        roles[TufRole.Timestamp] = new([TufKey.FromSigningKey(k.Timestamp)], 1);
        repository.StageRoot(roles, now);
        repository.Sign(TufRole.Root, next.Root[0]);
        repository.Sign(TufRole.Root, next.Root[1]);
        var e = Assert.Throws<TufThresholdException>(() => repository.Publish([k.Snapshot], [k.Timestamp], now));
        Assert.Contains("checked against the keys of root v1", e.Message, StringComparison.Ordinal);
        repository.Sign(TufRole.Root, k.Root[1]);
        repository.Sign(TufRole.Root, k.Root[2]);
        Assert.Contains("root v2", repository.Publish([k.Snapshot], [k.Timestamp], now));

        var second = await RunClientAsync(client, server.Url, root, cache);
        Assert.Equal("{\"rotated\":true}\n", second["targets"]![TufRepository.TrustedRootTarget]!["text"]!.GetValue<string>());
        Assert.Equal(2, second["rootVersion"]!.GetValue<int>());
    }

    [Fact]
    public void Signing_refuses_keys_the_role_does_not_list_and_online_roles()
    {
        var k = NewKeys();
        var repository = TufRepository.Create(_dir, Roles(k), null, DateTimeOffset.UtcNow);
        var e = Assert.Throws<TufException>(() => repository.Sign(TufRole.Targets, k.Root[0]));
        Assert.Contains("is not a targets key", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<TufException>(() => repository.Sign(TufRole.Timestamp, k.Timestamp));
        Assert.Contains("signed online", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<TufException>(() => TufRepository.Create(_dir, Roles(k), null, DateTimeOffset.UtcNow));
        Assert.Contains("never overwritten", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<TufException>(() => repository.StageTargets(new Dictionary<string, byte[]> { ["../evil"] = [1] }, false, DateTimeOffset.UtcNow));
        Assert.Contains("not allowed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Online_roles_are_renewed_at_half_life_and_not_before()
    {
        var k = NewKeys();
        var repository = Published(k);
        var start = repository.Timestamp!.Expires - repository.Policy.Timestamp;
        Assert.Empty(repository.RefreshOnline([k.Snapshot], [k.Timestamp], start.AddHours(1)));
        Assert.Equal(["timestamp v2"], repository.RefreshOnline([k.Snapshot], [k.Timestamp], start.AddHours(13)));
        Assert.Equal(1, repository.Timestamp!.AsTimestamp().Version);
        Assert.Equal(["snapshot v2", "timestamp v3"], repository.RefreshOnline([k.Snapshot], [k.Timestamp], start.AddDays(16)));
        // A wrong online key cannot renew: the threshold check refuses before anything is written.
        Assert.Throws<TufThresholdException>(() => repository.RefreshOnline([k.Snapshot], [k.Snapshot], start.AddDays(40)));
        Assert.Equal(3, repository.Timestamp!.Version);
    }
}
