using System.Collections.Concurrent;
using System.Security.Cryptography;
using PrivateSigstore.Client.Rekor;
using PrivateSigstore.Client.Signing;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Reliability.Tests;

/// <summary>Rekor v2 (tiles) as a process on SQLite, SIGKILLed under concurrent writers.</summary>
public sealed class RekorV2CrashTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(20) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Rekor_v2_survives_ten_sigkills_under_concurrent_writers_without_losing_an_acknowledged_entry()
    {
        var data = Directory.CreateTempSubdirectory("psig-crash-rekor2-").FullName;
        var signers = Enumerable.Range(0, KillLoop.Writers).Select(_ => new SignerMaterial(InMemorySigningKey.Generate(Core.Crypto.SigningAlgorithm.EcdsaP256Sha256))).ToArray();
        var acked = new ConcurrentDictionary<long, TransparencyLogEntry>();
        var checkpoints = new ConcurrentBag<(ulong Size, byte[] Root)>();
        Ed25519NoteVerifier? key = null;
        Task<ServiceProcess> Start() => ServiceProcess.StartAsync("Rekor", ["v2", "serve", $"--RekorV2:DataDirectory={data}"], data);

        async Task<(RekorV2Client Log, SignedCheckpoint Latest)> CheckAsync(ServiceProcess service)
        {
            using (var pem = PemSigningKey.Load(Path.Combine(data, "checkpoint-key.pem")))
            {
                key ??= Ed25519NoteVerifier.FromSubjectPublicKeyInfo("127.0.0.1", pem.SubjectPublicKeyInfo);
            }

            var log = new RekorV2Client(Http, service.BaseUrl);
            var latest = SignedCheckpoint.Parse(await log.GetCheckpointAsync(Ct));
            Assert.Single(latest.Verify([key], "127.0.0.1"));
            foreach (var index in acked.Keys)
            {
                Assert.True((ulong)index < latest.Checkpoint.Size, $"acknowledged index {index} is beyond the restarted log's size {latest.Checkpoint.Size}");
            }

            checkpoints.Add((latest.Checkpoint.Size, latest.Checkpoint.RootHash));
            var reader = new TiledLogReader(log, latest.Checkpoint.Size);
            await KillLoop.CheckChainAsync(checkpoints, async (s1, r1, s2, r2) =>
                ProofVerifier.VerifyConsistency(s1, s2, await reader.ConsistencyProofAsync(s1, s2, Ct), r1, r2));
            return (log, latest);
        }

        var loop = new KillLoop
        {
            Start = Start,
            Check = async service => await CheckAsync(service),
            Write = async (service, w, ct) =>
            {
                var artifact = RandomNumberGenerator.GetBytes(64);
                var entry = await new RekorV2Client(Http, service.BaseUrl).LogMessageSignatureAsync(signers[w], Core.Bundle.HashAlgorithm.Sha2_256, SHA256.HashData(artifact), signers[w].Key.Sign(artifact), ct);
                var first = acked.GetOrAdd(entry.LogIndex, entry);
                Assert.True(first.CanonicalizedBody.AsSpan().SequenceEqual(entry.CanonicalizedBody), $"index {entry.LogIndex} acknowledged for two different bodies");
            },
        };
        var (kills, count, failed, took) = await loop.RunAsync();

        var verify = System.Diagnostics.Stopwatch.StartNew();
        await using (var last = await Start())
        {
            var (log, latest) = await CheckAsync(last);
            var reader = new TiledLogReader(log, latest.Checkpoint.Size);
            foreach (var (index, entry) in acked)
            {
                // The acknowledgement verifies on its own (inclusion proof under a signed checkpoint) ...
                var proof = entry.InclusionProof!;
                ProofVerifier.VerifyInclusion(Rfc6962.HashLeaf(entry.CanonicalizedBody), (ulong)index, (ulong)proof.TreeSize, proof.Hashes, proof.RootHash);
                var cp = SignedCheckpoint.Parse(proof.Checkpoint!.Envelope);
                Assert.Single(cp.Verify([key!], "127.0.0.1"));
                checkpoints.Add((cp.Checkpoint.Size, cp.Checkpoint.RootHash));

                // ... and the restarted log serves the same body at that index, included in its latest checkpoint.
                Assert.Equal(entry.CanonicalizedBody, await reader.GetEntryAsync((ulong)index, Ct));
                var servedProof = await reader.InclusionProofAsync((ulong)index, latest.Checkpoint.Size, Ct);
                ProofVerifier.VerifyInclusion(Rfc6962.HashLeaf(entry.CanonicalizedBody), (ulong)index, latest.Checkpoint.Size, servedProof, latest.Checkpoint.RootHash);
            }

            await KillLoop.CheckChainAsync(checkpoints, async (s1, r1, s2, r2) =>
                ProofVerifier.VerifyConsistency(s1, s2, await reader.ConsistencyProofAsync(s1, s2, Ct), r1, r2));
        }

        Report.Line($"Rekor v2 (SQLite): {kills} kills, {acked.Count} acknowledged entries all present and verified, {checkpoints.Count} checkpoints consistent, {failed} writes cut or refused, {took.TotalSeconds:F1} s + {verify.Elapsed.TotalSeconds:F1} s to verify");
        Report.Line(string.Join("\n", loop.Timings));
        Assert.True(acked.Count >= 20, $"only {acked.Count} entries acknowledged");
        Directory.Delete(data, recursive: true);
    }
}
