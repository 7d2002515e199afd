using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Witness.Tests;

public sealed class AddCheckpointTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string OriginHash(string origin) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(origin)));

    [Fact]
    public async Task First_checkpoint_then_growth_with_a_proof_are_cosigned_and_served()
    {
        var log = TestLog.Ed25519("log.test.local/a").Append(5);
        var (options, witnessKey) = WitnessHost.NewOptions(log);
        await using var host = await WitnessHost.StartAsync(options);

        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var first = await host.AddAsync(log.Request(0));
        Assert.Equal(HttpStatusCode.OK, first.Status);
        var t = CosignatureCheck.Verify(first.Body, "witness.test.local", witnessKey, log.Checkpoint(5).Note.Text);
        Assert.InRange((long)t, before - 5, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5);

        log.Append(8);
        var grown = await host.AddAsync(log.Request(5));
        Assert.Equal(HttpStatusCode.OK, grown.Status);
        CosignatureCheck.Verify(grown.Body, "witness.test.local", witnessKey, log.Checkpoint(13).Note.Text);

        // The same checkpoint again (old = size, same root) is cosigned again.
        Assert.Equal(HttpStatusCode.OK, (await host.AddAsync(log.Request(13))).Status);

        // Monitoring: the latest checkpoint with the log's signature and the witness's cosignature, verifiable by a note verifier.
        var served = await host.Http.GetStringAsync($"/{OriginHash(log.Origin)}/checkpoint", Ct);
        var note = SignedCheckpoint.Parse(served);
        Assert.Equal(13UL, note.Checkpoint.Size);
        Assert.Equal(log.Root(13), note.Checkpoint.RootHash);
        note.Verify([new Ed25519NoteVerifier(log.Origin, ((Ed25519NoteSigner)log.Signer).Verifier.PublicKey)]);
        var cosignatureLine = served[(served.IndexOf("\n\u2014 witness.test.local ", StringComparison.Ordinal) + 1)..];
        CosignatureCheck.Verify(cosignatureLine, "witness.test.local", witnessKey, note.Note.Text);

        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync($"/{OriginHash("nobody")}/checkpoint", Ct)).StatusCode);

        var status = await host.Http.GetFromJsonAsync<WitnessStatus>("/api/v1/witness", Ct);
        Assert.NotNull(status);
        Assert.Equal("witness.test.local", status.Name);
        Assert.StartsWith("witness.test.local+", status.VerifierKey, StringComparison.Ordinal);
        Assert.Equal(Convert.ToBase64String([0x04, .. witnessKey]), status.VerifierKey.Split('+', 3)[2]);
        var entry = Assert.Single(status.Logs);
        Assert.Equal(13UL, entry.Size);
        Assert.Equal(OriginHash(log.Origin), entry.OriginHash);

        var metrics = await host.Http.GetStringAsync("/metrics", Ct);
        Assert.Contains("privatesigstore_witness_add_checkpoint", metrics, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/readyz", Ct)).StatusCode);
    }

    [Fact]
    public async Task An_ecdsa_log_with_a_rekor_v1_origin_is_witnessed()
    {
        var log = TestLog.Ecdsa("rekor.test.local - 1234567890", "rekor.test.local").Append(3);
        var (options, witnessKey) = WitnessHost.NewOptions(log);
        await using var host = await WitnessHost.StartAsync(options);
        Assert.Equal(HttpStatusCode.OK, (await host.AddAsync(log.Request(0))).Status);
        log.Append(4);
        var grown = await host.AddAsync(log.Request(3));
        Assert.Equal(HttpStatusCode.OK, grown.Status);
        CosignatureCheck.Verify(grown.Body, "witness.test.local", witnessKey, log.Checkpoint().Note.Text);
    }

    [Fact]
    public async Task A_wrong_old_size_is_a_conflict_with_the_known_size()
    {
        var log = TestLog.Ed25519("log.test.local/conflict").Append(5);
        var (options, _) = WitnessHost.NewOptions(log);
        await using var host = await WitnessHost.StartAsync(options);
        Assert.Equal(HttpStatusCode.OK, (await host.AddAsync(log.Request(0))).Status);
        log.Append(3);
        foreach (var old in new ulong[] { 0, 3, 6 })
        {
            var conflict = await host.AddAsync(log.Request(old));
            Assert.Equal(HttpStatusCode.Conflict, conflict.Status);
            Assert.Equal("text/x.tlog.size", conflict.ContentType);
            Assert.Equal("5\n", conflict.Body);
        }

        // Before anything is cosigned, the known size is 0.
        var other = TestLog.Ed25519("log.test.local/other").Append(4);
        var (options2, _) = WitnessHost.NewOptions(other);
        await using var host2 = await WitnessHost.StartAsync(options2);
        var fresh = await host2.AddAsync(other.Request(2));
        Assert.Equal(HttpStatusCode.Conflict, fresh.Status);
        Assert.Equal("0\n", fresh.Body);
    }

    [Fact]
    public async Task A_split_view_is_refused()
    {
        var log = TestLog.Ed25519("log.test.local/split").Append(5);
        var (options, _) = WitnessHost.NewOptions(log);
        await using var host = await WitnessHost.StartAsync(options);
        Assert.Equal(HttpStatusCode.OK, (await host.AddAsync(log.Request(0))).Status);

        // Same size, another root (validly signed by the log): refused.
        var fork = log.Fork(3).Append(2, "evil");
        var sameSize = await host.AddAsync(fork.Request(5));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, sameSize.Status);
        Assert.Contains("split view", sameSize.Body, StringComparison.Ordinal);

        // The fork grows; its own proof from its size-5 tree does not start at the root the witness cosigned.
        fork.Append(6, "evil");
        var forkProof = await host.AddAsync(fork.Request(5));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, forkProof.Status);
        Assert.Contains("consistency proof from size 5 to 11 does not verify", forkProof.Body, StringComparison.Ordinal);

        // The honest branch's proof does not lead to the fork's root either.
        log.Append(6);
        var mixed = await host.AddAsync(TestLog.Body(5, log.Proof(5, 11), fork.Checkpoint(11).Serialize()));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, mixed.Status);

        // Nothing was recorded: the honest log still continues from 5.
        Assert.Equal(HttpStatusCode.OK, (await host.AddAsync(log.Request(5))).Status);
    }

    [Fact]
    public async Task A_smaller_checkpoint_is_refused()
    {
        var log = TestLog.Ed25519("log.test.local/smaller").Append(8);
        var (options, _) = WitnessHost.NewOptions(log);
        await using var host = await WitnessHost.StartAsync(options);
        Assert.Equal(HttpStatusCode.OK, (await host.AddAsync(log.Request(0))).Status);
        var smaller = await host.AddAsync(TestLog.Body(8, [], log.Checkpoint(5).Serialize()));
        Assert.Equal(HttpStatusCode.BadRequest, smaller.Status);
        Assert.Contains("old size 8 is larger than the checkpoint size 5", smaller.Body, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, (await host.AddAsync(log.Request(5, 5))).Status);
    }

    [Fact]
    public async Task Restart_keeps_the_latest_checkpoint()
    {
        var log = TestLog.Ed25519("log.test.local/restart").Append(5);
        var (options, witnessKey) = WitnessHost.NewOptions(log);
        await using (var host = await WitnessHost.StartAsync(options))
        {
            Assert.Equal(HttpStatusCode.OK, (await host.AddAsync(log.Request(0))).Status);

            // A second process on the same state directory is refused while the first runs.
            var busy = await Assert.ThrowsAsync<IOException>(() => WitnessHost.StartAsync(options));
            Assert.Contains("in use by another witness process", busy.Message, StringComparison.Ordinal);
        }

        await using (var again = await WitnessHost.StartAsync(options))
        {
            var conflict = await again.AddAsync(log.Request(0));
            Assert.Equal(HttpStatusCode.Conflict, conflict.Status);
            Assert.Equal("5\n", conflict.Body);
            log.Append(2);
            var grown = await again.AddAsync(log.Request(5));
            Assert.Equal(HttpStatusCode.OK, grown.Status);
            CosignatureCheck.Verify(grown.Body, "witness.test.local", witnessKey, log.Checkpoint().Note.Text);
        }

        Assert.Empty(Directory.EnumerateFiles(Path.Combine(options.DataDirectory, "checkpoints"), "*.tmp"));
    }

    [Fact]
    public async Task Concurrent_submissions_for_one_origin_serialize()
    {
        var log = TestLog.Ed25519("log.test.local/race").Append(5);
        var (options, _) = WitnessHost.NewOptions(log);
        await using var host = await WitnessHost.StartAsync(options);
        Assert.Equal(HttpStatusCode.OK, (await host.AddAsync(log.Request(0))).Status);
        log.Append(10);

        // Ten requests from old size 5 to sizes 6..15: exactly one wins, the others see its size.
        var bodies = Enumerable.Range(6, 10).Select(n => log.Request(5, (ulong)n)).ToList();
        var results = await Task.WhenAll(bodies.Select(host.AddAsync));
        var winner = Assert.Single(results, r => r.Status == HttpStatusCode.OK);
        var winnerSize = 6 + Array.IndexOf(results, winner);
        Assert.All(results.Where(r => r.Status != HttpStatusCode.OK), r =>
        {
            Assert.Equal(HttpStatusCode.Conflict, r.Status);
            Assert.Equal($"{winnerSize}\n", r.Body);
        });
        var status = await host.Http.GetFromJsonAsync<WitnessStatus>("/api/v1/witness", Ct);
        Assert.Equal((ulong)winnerSize, Assert.Single(status!.Logs).Size);
    }
}
