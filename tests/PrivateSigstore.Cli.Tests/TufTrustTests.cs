using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys;
using PrivateSigstore.Tuf;
using PrivateSigstore.Tuf.Tests;

namespace PrivateSigstore.Cli.Tests;

/// <summary>
/// <c>psig initialize</c> against a repository published with <see cref="TufRepository"/> and served over loopback;
/// then sign-blob and verify-blob take the signing config and trusted root from the TUF cache; the flags override it;
/// without TUF trust psig falls back to the public-good root and says so.
/// </summary>
public sealed class TufTrustTests(RekorFixture rekor) : IClassFixture<RekorFixture>, IDisposable
{
    private readonly List<ISigningKey> _keys = [];
    private readonly string _dir = Directory.CreateTempSubdirectory("psig-tuf-cli-").FullName;

    public void Dispose()
    {
        foreach (var key in _keys)
        {
            key.Dispose();
        }
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Temp is cleaned by the OS.
        }
    }

    private sealed record Repo(TufRepository Repository, ISigningKey Targets, ISigningKey Snapshot, ISigningKey Timestamp, string RootPath);

    private InMemorySigningKey Key()
    {
        var key = InMemorySigningKey.Generate(SigningAlgorithm.Ed25519);
        _keys.Add(key);
        return key;
    }

    private Repo Publish(byte[] trustedRoot, DateTimeOffset now)
    {
        ISigningKey root = Key(), targets = Key(), snapshot = Key(), timestamp = Key();
        var roles = new Dictionary<TufRole, TufRoleKeys>
        {
            [TufRole.Root] = new([TufKey.FromSigningKey(root)], 1),
            [TufRole.Targets] = new([TufKey.FromSigningKey(targets)], 1),
            [TufRole.Snapshot] = new([TufKey.FromSigningKey(snapshot)], 1),
            [TufRole.Timestamp] = new([TufKey.FromSigningKey(timestamp)], 1),
        };
        var repository = TufRepository.Create(Path.Combine(_dir, "repo"), roles, null, now);
        repository.StageTargets(new Dictionary<string, byte[]>
        {
            [TufRepository.TrustedRootTarget] = trustedRoot,
            [TufRepository.SigningConfigTarget] = SigningConfig(),
        }, false, now);
        repository.Sign(TufRole.Targets, targets);
        repository.Sign(TufRole.Root, root);
        repository.Publish([snapshot], [timestamp], now);
        return new Repo(repository, targets, snapshot, timestamp, Path.Combine(repository.PublishedDirectory, "1.root.json"));
    }

    private byte[] SigningConfig() => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["mediaType"] = "application/vnd.dev.sigstore.signingconfig.v0.2+json",
        ["rekorTlogUrls"] = new JsonArray(new JsonObject { ["url"] = rekor.Url, ["majorApiVersion"] = 1, ["validFor"] = new JsonObject { ["start"] = "2020-01-01T00:00:00Z" } }),
        ["rekorTlogConfig"] = new JsonObject { ["selector"] = "ANY" },
    }.ToJsonString());

    private static byte[] ProductionRoot()
    {
        using var stream = typeof(PsigApp).Assembly.GetManifestResourceStream("production.trusted_root.json")!;
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static async Task<Psig.Result> RunAsync(string home, TimeProvider? time, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var console = new CliConsole(output, error, false) { Home = home, Time = time ?? TimeProvider.System };
        var code = await PsigApp.RunAsync(args, console, TestContext.Current.CancellationToken);
        return new Psig.Result(code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Initialize_then_sign_and_verify_take_the_signing_config_and_trusted_root_from_the_TUF_cache_and_flags_override_it()
    {
        var repo = Publish(Encoding.UTF8.GetBytes(rekor.TrustedRootJson), DateTimeOffset.UtcNow);
        using var server = new StaticServer(repo.Repository.PublishedDirectory);
        var home = Path.Combine(_dir, "home");

        var init = await RunAsync(home, null, "initialize", "--mirror", server.Url, "--root", repo.RootPath);

        Assert.True(init.ExitCode == 0, init.Error);
        Assert.Contains("root: version 1, expires", init.Out, StringComparison.Ordinal);
        Assert.Contains("trusted_root.json", init.Out, StringComparison.Ordinal);
        Assert.Contains("signing_config.v0.2.json", init.Out, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(home, "tuf", "targets", "trusted_root.json")));
        Assert.Equal("", init.Error);

        var artifact = rekor.NewFile("tuf.txt", "signed with the TUF signing config\n");
        var sign = await RunAsync(home, null, "sign-blob", artifact, "--key", rekor.KeyPath); // no --rekor-url: the TUF signing config names our Rekor
        Assert.True(sign.ExitCode == 0, sign.Error);

        var verify = await RunAsync(home, null, "verify-blob", artifact, "--key", rekor.PublicKeyPath); // no --trusted-root: the TUF one lists our Rekor
        Assert.True(verify.ExitCode == 0, verify.Error);
        Assert.Contains("Verified OK", verify.Out, StringComparison.Ordinal);
        Assert.Equal("", verify.Error);

        var production = Path.Combine(_dir, "production.trusted_root.json");
        File.WriteAllBytes(production, ProductionRoot());
        var overridden = await RunAsync(home, null, "verify-blob", artifact, "--key", rekor.PublicKeyPath, "--trusted-root", production);
        Assert.Equal(1, overridden.ExitCode); // the public-good root does not know our Rekor
        Assert.DoesNotContain("TUF", overridden.Error, StringComparison.Ordinal);

        Directory.Move(repo.Repository.PublishedDirectory, repo.Repository.PublishedDirectory + ".gone"); // the mirror now answers 404
        var offline = await RunAsync(home, null, "verify-blob", artifact, "--key", rekor.PublicKeyPath); // fresh cache: no mirror needed
        Assert.True(offline.ExitCode == 0, offline.Error);
    }

    [Fact]
    public async Task An_expired_cached_timestamp_is_refreshed_before_use_and_a_fresh_cache_is_used_offline()
    {
        var start = DateTimeOffset.UtcNow;
        var repo = Publish(ProductionRoot(), start);
        using var server = new StaticServer(repo.Repository.PublishedDirectory);
        var home = Path.Combine(_dir, "home");
        Assert.Equal(0, (await RunAsync(home, null, "initialize", "--mirror", server.Url, "--root", repo.RootPath)).ExitCode);
        var artifact = rekor.NewFile("refresh.txt", "refresh\n");
        Assert.Equal(0, (await RunAsync(home, null, "sign-blob", artifact, "--key", rekor.KeyPath)).ExitCode);

        // The repository now publishes a trusted root that lists our Rekor, two days later.
        var later = start.AddDays(2);
        repo.Repository.StageTargets(new Dictionary<string, byte[]> { [TufRepository.TrustedRootTarget] = Encoding.UTF8.GetBytes(rekor.TrustedRootJson) }, false, later);
        repo.Repository.Sign(TufRole.Targets, repo.Targets);
        repo.Repository.Publish([repo.Snapshot], [repo.Timestamp], later);

        var cached = await RunAsync(home, new FakeTimeProvider(start.AddHours(1)), "verify-blob", artifact, "--key", rekor.PublicKeyPath);
        Assert.Equal(1, cached.ExitCode); // the cached timestamp is still valid: the cached (public-good) root is used

        var refreshed = await RunAsync(home, new FakeTimeProvider(later.AddHours(1)), "verify-blob", artifact, "--key", rekor.PublicKeyPath);
        Assert.True(refreshed.ExitCode == 0, refreshed.Error); // it expired: psig refreshed and got the new root
    }

    [Fact]
    public async Task Without_TUF_trust_psig_uses_the_public_good_root_and_says_so()
    {
        var home = Path.Combine(_dir, "empty-home");
        var artifact = rekor.NewFile("fallback.txt", "fallback\n");
        Assert.Equal(0, (await RunAsync(home, null, "sign-blob", artifact, "--key", rekor.KeyPath, "--rekor-url", rekor.Url)).ExitCode);

        var fallback = await RunAsync(home, null, "verify-blob", artifact, "--key", rekor.PublicKeyPath);
        Assert.Equal(1, fallback.ExitCode);
        Assert.Contains("no TUF trust in " + home, fallback.Error, StringComparison.Ordinal);
        Assert.Contains("using the embedded public-good production trusted root", fallback.Error, StringComparison.Ordinal);

        var noConfig = await RunAsync(home, null, "sign-blob", artifact, "--key", rekor.KeyPath);
        Assert.Equal(2, noConfig.ExitCode);
        Assert.Contains("psig initialize", noConfig.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Psig_refuses_a_rolled_back_or_frozen_timestamp_and_a_tampered_target_and_keeps_its_trust()
    {
        var start = DateTimeOffset.UtcNow;
        var repo = Publish(Encoding.UTF8.GetBytes(rekor.TrustedRootJson), start);
        using var server = new StaticServer(repo.Repository.PublishedDirectory);
        var home = Path.Combine(_dir, "home-attacks");
        var artifact = rekor.NewFile("attacks.txt", "attacks\n");
        Assert.Equal(0, (await RunAsync(home, null, "initialize", "--mirror", server.Url, "--root", repo.RootPath)).ExitCode);
        Assert.Equal(0, (await RunAsync(home, null, "sign-blob", artifact, "--key", rekor.KeyPath)).ExitCode);
        Task<Psig.Result> VerifyAt(DateTimeOffset t) => RunAsync(home, new FakeTimeProvider(t), "verify-blob", artifact, "--key", rekor.PublicKeyPath);
        var timestampPath = Path.Combine(repo.Repository.PublishedDirectory, "timestamp.json");
        var first = File.ReadAllBytes(timestampPath);

        // psig refreshes (its cached timestamp expired) and sees timestamp v2; then the mirror serves v1 again: rollback.
        Assert.Equal(["timestamp v2"], repo.Repository.RefreshOnline([repo.Snapshot], [repo.Timestamp], start.AddHours(13)));
        var refreshed = await VerifyAt(start.AddHours(25));
        Assert.True(refreshed.ExitCode == 0, refreshed.Error);
        File.WriteAllBytes(timestampPath, first);
        var rollback = await VerifyAt(start.AddHours(40));
        Assert.Equal(1, rollback.ExitCode);
        Assert.Contains("timestamp.json: version 1 is older than the trusted version 2 (rollback)", rollback.Error, StringComparison.Ordinal);

        // Freeze: the newest timestamp the mirror has is expired.
        var freeze = await VerifyAt(start.AddDays(5));
        Assert.Equal(1, freeze.ExitCode);
        Assert.Contains("(rollback)", freeze.Error, StringComparison.Ordinal);
        var frozen = await RunAsync(Path.Combine(_dir, "home-freeze"), new FakeTimeProvider(start.AddDays(5)), "initialize", "--mirror", server.Url, "--root", repo.RootPath);
        Assert.Equal(1, frozen.ExitCode);
        Assert.Contains("(freeze)", frozen.Error, StringComparison.Ordinal);

        // A target whose bytes differ from the targets metadata.
        var target = Directory.GetFiles(Path.Combine(repo.Repository.PublishedDirectory, "targets"), "*.trusted_root.json").Single();
        var bytes = File.ReadAllBytes(target);
        bytes[^2] ^= 0x01;
        File.WriteAllBytes(target, bytes);
        var tampered = await RunAsync(Path.Combine(_dir, "home-tampered"), null, "initialize", "--mirror", server.Url, "--root", repo.RootPath);
        Assert.Equal(1, tampered.ExitCode);
        Assert.Contains("trusted_root.json", tampered.Error, StringComparison.Ordinal);
        Assert.Contains("hash", tampered.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(_dir, "home-tampered", "tuf")));
    }

    [Fact]
    public async Task Initialize_refuses_an_unreadable_or_unsigned_root_a_wrong_checksum_and_an_unreachable_mirror()
    {
        var repo = Publish(Encoding.UTF8.GetBytes(rekor.TrustedRootJson), DateTimeOffset.UtcNow);
        using var server = new StaticServer(repo.Repository.PublishedDirectory);
        var home = Path.Combine(_dir, "home");

        var missing = await RunAsync(home, null, "initialize", "--mirror", server.Url, "--root", Path.Combine(_dir, "nope.json"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("nope.json: cannot read it", missing.Error, StringComparison.Ordinal);

        var json = JsonNode.Parse(File.ReadAllText(repo.RootPath))!;
        json["signed"]!["version"] = 7; // the signature no longer covers it
        var forged = Path.Combine(_dir, "forged.json");
        File.WriteAllText(forged, json.ToJsonString());
        var unsigned = await RunAsync(home, null, "initialize", "--mirror", server.Url, "--root", forged);
        Assert.Equal(2, unsigned.ExitCode);
        Assert.Contains("forged.json (root v7, by its own root keys) has 0 valid signature(s) of the 1 needed", unsigned.Error, StringComparison.Ordinal);

        var checksum = await RunAsync(home, null, "initialize", "--mirror", server.Url, "--root", repo.RootPath, "--root-checksum", new string('0', 64));
        Assert.Equal(1, checksum.ExitCode);
        Assert.Contains("not the --root-checksum", checksum.Error, StringComparison.Ordinal);

        var unreachable = await RunAsync(home, null, "initialize", "--mirror", "http://127.0.0.1:1", "--root", repo.RootPath);
        Assert.Equal(1, unreachable.ExitCode);
        Assert.Contains("TUF update from http://127.0.0.1:1/ failed: 2.root.json: cannot fetch", unreachable.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(home, "tuf")));
        Assert.Empty(Directory.GetDirectories(home));

        var help = await RunAsync(home, null, "initialize", "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("--mirror", help.Out, StringComparison.Ordinal);
    }
}
