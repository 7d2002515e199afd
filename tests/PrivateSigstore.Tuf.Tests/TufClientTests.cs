using System.Text;
using Microsoft.Extensions.Time.Testing;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Tuf.Tests;

/// <summary>Our TUF client alone (no Node): the update workflow, the cache, expiry and the checks the interop tests do not cover.</summary>
public sealed class TufClientTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Refresh_fetches_both_targets_and_the_cache_then_serves_them_offline()
    {
        await using var repo = await TufTestRepository.StartAsync();
        var cache = repo.NewCacheDirectory();
        var client = repo.Client(cache);
        Assert.False(client.IsFresh);

        await client.RefreshAsync(Ct);

        Assert.True(client.IsFresh);
        foreach (var (name, bytes) in repo.Targets)
        {
            Assert.Equal(bytes, await client.GetTargetAsync(name, Ct));
            Assert.Equal(bytes, File.ReadAllBytes(Path.Combine(cache, "targets", name)));
        }
        foreach (var file in new[] { "root.json", "timestamp.json", "snapshot.json", "targets.json" })
        {
            Assert.True(File.Exists(Path.Combine(cache, file)), file);
        }
        Assert.Empty(Directory.GetFiles(cache, "*.tmp", SearchOption.AllDirectories));

        repo.Files.Clear(); // the mirror is gone: a new client works from the cache alone
        var offline = repo.Client(cache);
        Assert.True(offline.IsFresh);
        Assert.False(await offline.EnsureFreshAsync(Ct));
        Assert.Equal(repo.Targets["trusted_root.json"], await offline.GetTargetAsync("trusted_root.json", Ct));
        Assert.Equal(1, offline.Targets!.Version);
    }

    [Fact]
    public async Task A_tampered_cached_target_is_downloaded_again_and_an_unlisted_target_is_refused()
    {
        await using var repo = await TufTestRepository.StartAsync();
        var cache = repo.NewCacheDirectory();
        var client = repo.Client(cache);
        await client.RefreshAsync(Ct);
        await client.GetTargetAsync("trusted_root.json", Ct);
        File.WriteAllText(Path.Combine(cache, "targets", "trusted_root.json"), "tampered");

        Assert.Equal(repo.Targets["trusted_root.json"], await client.GetTargetAsync("trusted_root.json", Ct));
        var e = await Assert.ThrowsAsync<TufException>(() => client.GetTargetAsync("nothing.json", Ct));
        Assert.Contains("lists no target 'nothing.json'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Expiry_follows_the_injected_clock_and_a_new_timestamp_makes_the_cache_fresh_again()
    {
        await using var repo = await TufTestRepository.StartAsync();
        var now = DateTimeOffset.UtcNow;
        repo.PublishTimestamp(expires: now.AddHours(1));
        var time = new FakeTimeProvider(now);
        var cache = repo.NewCacheDirectory();
        var client = repo.Client(cache, time);
        await client.RefreshAsync(Ct);
        Assert.True(client.IsFresh);

        time.Advance(TimeSpan.FromHours(2));
        Assert.False(repo.Client(cache, time).IsFresh);
        var e = await Assert.ThrowsAsync<TufSecurityException>(() => repo.Client(cache, time).RefreshAsync(Ct));
        Assert.Matches(@"^timestamp\.json v2 expired at .* \(freeze\)$", e.Message);

        repo.PublishTimestamp(expires: now.AddDays(1));
        var again = repo.Client(cache, time);
        Assert.True(await again.EnsureFreshAsync(Ct));
        Assert.True(again.IsFresh);
        Assert.Equal(3, again.Timestamp!.Version);
    }

    [Fact]
    public async Task The_same_timestamp_version_keeps_the_trusted_one_and_an_unchanged_snapshot_is_not_downloaded_again()
    {
        await using var repo = await TufTestRepository.StartAsync();
        var cache = repo.NewCacheDirectory();
        await repo.Client(cache).RefreshAsync(Ct);
        var trusted = File.ReadAllBytes(Path.Combine(cache, "timestamp.json"));
        repo.PublishTimestamp(expires: repo.Expires.AddDays(1), version: repo.TimestampVersion); // same version, other bytes
        repo.Files.TryRemove("1.snapshot.json", out _);
        repo.Files.TryRemove("1.targets.json", out _);

        var client = repo.Client(cache);
        await client.RefreshAsync(Ct);

        Assert.Equal(trusted, File.ReadAllBytes(Path.Combine(cache, "timestamp.json")));
        Assert.Equal(1, client.Snapshot!.Version);
    }

    [Fact]
    public async Task Oversized_metadata_and_a_root_that_skips_a_version_are_refused()
    {
        await using var repo = await TufTestRepository.StartAsync();
        repo.Files["timestamp.json"] = Encoding.UTF8.GetBytes(new string(' ', 20_000));
        var e = await Assert.ThrowsAsync<TufSecurityException>(() => repo.Client(repo.NewCacheDirectory()).RefreshAsync(Ct));
        Assert.Contains("timestamp.json: 20000 bytes is more than the 16384 allowed", e.Message, StringComparison.Ordinal);

        repo.PublishTimestamp();
        var root = TufMetadata.NewRoot(3, repo.Expires, new Dictionary<TufRole, (IReadOnlyList<TufKey>, int)>(
            TufRoles.All.Select(r => KeyValuePair.Create(r, ((IReadOnlyList<TufKey>)[TufKey.FromSigningKey(repo.RootKeys[0])], 1)))));
        root.Sign(repo.RootKeys[0]);
        repo.Files["2.root.json"] = root.ToBytes();
        var skip = await Assert.ThrowsAsync<TufSecurityException>(() => repo.Client(repo.NewCacheDirectory()).RefreshAsync(Ct));
        Assert.Contains("2.root.json: version 3 is not the expected 2", skip.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Initialize_refuses_a_root_its_own_keys_did_not_sign_and_an_expired_final_root_is_a_freeze()
    {
        await using var repo = await TufTestRepository.StartAsync();
        var other = repo.NewKey();
        var root = repo.NewRoot(repo.RootKeys, 1);
        root.Sign(other);
        var e = Assert.Throws<TufThresholdException>(() => TufClient.Initialize(repo.NewCacheDirectory(), root.ToBytes(), "my-root.json"));
        Assert.Contains("my-root.json (root v2, by its own root keys) has 0 valid signature(s) of the 1 needed", e.Message, StringComparison.Ordinal);
        Assert.Throws<TufFormatException>(() => TufClient.Initialize(repo.NewCacheDirectory(), Encoding.UTF8.GetBytes("{}"), "my-root.json"));

        var expired = repo.NewRoot(repo.RootKeys, 1, expires: DateTimeOffset.UtcNow.AddDays(-1));
        expired.Sign(repo.RootKeys[0]);
        repo.PublishRoot(expired);
        var freeze = await Assert.ThrowsAsync<TufSecurityException>(() => repo.Client(repo.NewCacheDirectory()).RefreshAsync(Ct));
        Assert.Matches(@"^root\.json v2 expired at .* \(freeze\)$", freeze.Message);
    }

    [Fact]
    public async Task A_timestamp_key_rotation_forgets_the_cached_timestamp_so_a_restarted_timestamp_is_accepted()
    {
        await using var repo = await TufTestRepository.StartAsync();
        repo.PublishTimestamp();
        repo.PublishTimestamp(); // the client trusts timestamp v3
        var cache = repo.NewCacheDirectory();
        await repo.Client(cache).RefreshAsync(Ct);

        var newTimestampKey = repo.NewKey(SigningAlgorithm.EcdsaP256Sha256);
        var root = repo.NewRoot(repo.RootKeys, 1, timestampKey: newTimestampKey);
        root.Sign(repo.RootKeys[0]);
        repo.PublishRoot(root, timestampKey: newTimestampKey);
        repo.PublishTimestamp(version: 1);

        var client = repo.Client(cache);
        await client.RefreshAsync(Ct);
        Assert.Equal(2, client.Root.Version);
        Assert.Equal(1, client.Timestamp!.Version);
    }
}
