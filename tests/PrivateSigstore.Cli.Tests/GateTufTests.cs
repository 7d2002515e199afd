using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using PrivateSigstore.Keys.Pkcs11;
using PrivateSigstore.Tuf;
using PrivateSigstore.Tuf.Server;

namespace PrivateSigstore.Cli.Tests;

/// <summary>
/// The gate policy's <c>tuf: {mirror, root}</c>: the trusted root comes from the stack's TUF service (TufApp over a
/// repository made as the Stack makes it, on a loopback port) through psig's TUF client and a cache in psig's home;
/// the record names where the root came from and replays offline; the cache is used offline while fresh.
/// </summary>
public sealed class GateTufTests(RekorFixture rekor) : IClassFixture<RekorFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_policy_takes_its_trusted_root_from_the_stacks_TUF_service_and_names_it_in_the_record()
    {
        await using var stack = await KeylessTests.KeylessStack.StartAsync(rekor);
        var dir = Directory.CreateDirectory(Path.Combine(rekor.Directory, "gate-tuf-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        var home = Path.Combine(dir, "home");
        var tool = Path.Combine(dir, "tools", "agent.sh");
        Directory.CreateDirectory(Path.GetDirectoryName(tool)!);
        await File.WriteAllTextAsync(tool, "#!/bin/sh\necho agent\n", Ct);
        var sign = await Psig.RunAsync("sign-blob", tool, "--identity-token", stack.EmailToken("release-bot@example.com"), "--fulcio-url", stack.FulcioUrl, "--rekor-url", rekor.Url);
        Assert.True(sign.ExitCode == 0, sign.Error);

        // The TUF service publishes the stack's trusted root; the policy trusts the repository's first root.json.
        var trustedRoot = await File.ReadAllBytesAsync(stack.TrustedRootPath, Ct);
        var repository = CreateRepository(Path.Combine(dir, "tuf"), trustedRoot);
        File.Copy(Path.Combine(repository, TufRepository.BootstrapRootFile), Path.Combine(dir, "root.json"));
        var tuf = await TufApp.BuildAsync(new TufOptions
        {
            RepositoryDirectory = repository,
            SnapshotKey = new SigningKeyOptions { KeyPath = TufDevelopmentRepository.KeyPath(repository, TufRole.Snapshot) },
            TimestampKey = new SigningKeyOptions { KeyPath = TufDevelopmentRepository.KeyPath(repository, TufRole.Timestamp) },
        }, ["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "Warning"], cancellationToken: Ct);
        await tuf.StartAsync(Ct);
        var mirror = tuf.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        var policy = Path.Combine(dir, "policy.yaml");
        await File.WriteAllTextAsync(policy, $"""
            tuf:
              mirror: {mirror}
              root: ./root.json
            policies:
              - name: tools
                match: ["tools/**"]
                authorities:
                  - keyless:
                      identities:
                        - issuer: {stack.EmailIssuer}
                          subject: release-bot@example.com
            """, Ct);

        var record = Path.Combine(dir, "record.json");
        var allowed = await RunAsync(home, "gate", "check", tool, "--policy", policy, "--record", record);
        Assert.True(allowed.ExitCode == 0, allowed.Error);
        Assert.Contains("allowed (allowed by policy tools", allowed.Out, StringComparison.Ordinal);
        using (var json = JsonDocument.Parse(await File.ReadAllTextAsync(record, Ct)))
        {
            var root = json.RootElement.GetProperty("trustedRoot");
            var source = root.GetProperty("source").GetString()!;
            Assert.StartsWith($"tuf {mirror}/ trusted_root.json (root v1, targets v1; trusted from {Path.Combine(dir, "root.json")} sha256:", source, StringComparison.Ordinal);
            Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(trustedRoot)), root.GetProperty("digest").GetString());
            var kept = root.GetProperty("path").GetString()!;
            Assert.StartsWith(Path.Combine(home, "gate-tuf"), kept, StringComparison.Ordinal);
            Assert.Equal(trustedRoot, await File.ReadAllBytesAsync(kept, Ct));
        }

        // The service stops: the record still replays (it names the kept root), and the fresh cache still answers.
        await tuf.StopAsync(Ct);
        await tuf.DisposeAsync();
        var replay = await RunAsync(home, "record", "verify", record);
        Assert.True(replay.ExitCode == 0, replay.Error);
        Assert.Contains("replayed OK", replay.Out, StringComparison.Ordinal);
        var offline = await RunAsync(home, "gate", "check", tool, "--policy", policy);
        Assert.True(offline.ExitCode == 0, offline.Error);

        // Another home has no cache and the mirror is gone: the TUF update fails, exit 1, naming the mirror.
        var unreachable = await RunAsync(Path.Combine(dir, "home2"), "gate", "check", tool, "--policy", policy);
        Assert.Equal(1, unreachable.ExitCode);
        Assert.Contains($"tuf: TUF update from {mirror}/ failed", unreachable.Error, StringComparison.Ordinal);

        // Bad tuf: forms are one-line usage errors.
        var cases = new Dictionary<string, string>
        {
            ["both.yaml"] = $"trustedRoot: {stack.TrustedRootPath}\ntuf: {{mirror: {mirror}, root: ./root.json}}\n",
            ["nomirror.yaml"] = "tuf: {root: ./root.json}\n",
            ["ftp.yaml"] = "tuf: {mirror: ftp://example.com/, root: ./root.json}\n",
            ["noroot.yaml"] = $"tuf: {{mirror: {mirror}, root: ./missing.json}}\n",
            ["forged.yaml"] = $"tuf: {{mirror: {mirror}, root: ./policy.yaml}}\n",
        };
        foreach (var (name, yaml) in cases)
        {
            var path = Path.Combine(dir, name);
            await File.WriteAllTextAsync(path, yaml + "policies:\n  - name: tools\n    match: [\"tools/**\"]\n    authorities:\n      - keyless: {identities: [{issuer: https://i, subject: a}]}\n", Ct);
            var result = await RunAsync(Path.Combine(dir, "home3"), "gate", "check", tool, "--policy", path);
            Assert.True(result.ExitCode == 2, $"{name}: {result.ExitCode} {result.Error}");
            Assert.Single(result.Error.Trim().Split('\n'));
            Assert.Contains(name, result.Error, StringComparison.Ordinal);
        }
    }

    /// <summary>A repository as the Stack makes it (one PEM key per role in keys/), publishing <paramref name="trustedRoot"/>.</summary>
    private static string CreateRepository(string dir, byte[] trustedRoot)
    {
        Directory.CreateDirectory(dir);
        using var root = TufDevelopmentRepository.LoadOrCreateKey(dir, TufRole.Root, out _);
        using var targets = TufDevelopmentRepository.LoadOrCreateKey(dir, TufRole.Targets, out _);
        using var snapshot = TufDevelopmentRepository.LoadOrCreateKey(dir, TufRole.Snapshot, out _);
        using var timestamp = TufDevelopmentRepository.LoadOrCreateKey(dir, TufRole.Timestamp, out _);
        TufDevelopmentRepository.CreateAndPublish(dir, root, targets, snapshot, timestamp,
            new Dictionary<string, byte[]> { [TufRepository.TrustedRootTarget] = trustedRoot }, null, DateTimeOffset.UtcNow);
        return dir;
    }

    private static async Task<Psig.Result> RunAsync(string home, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await PsigApp.RunAsync(args, new CliConsole(output, error, false) { Home = home }, Ct);
        return new Psig.Result(code, output.ToString(), error.ToString());
    }
}
