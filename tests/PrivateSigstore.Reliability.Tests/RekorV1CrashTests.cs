using System.Collections.Concurrent;
using System.Security.Cryptography;
using PrivateSigstore.Client.Rekor;
using PrivateSigstore.Client.Signing;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Core.Rekor;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Reliability.Tests;

/// <summary>Rekor v1 as a process on SQLite, SIGKILLed under concurrent writers (docs/reliability.md, "Crash safety").</summary>
public sealed class RekorV1CrashTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Rekor_v1_survives_ten_sigkills_under_concurrent_writers_without_losing_an_acknowledged_entry()
    {
        var data = Directory.CreateTempSubdirectory("psig-crash-rekor-").FullName;
        var state = new RekorV1State();
        var loop = state.Loop(() => ServiceProcess.StartAsync("Rekor", [$"--Rekor:DataDirectory={data}"], data));
        var (kills, acked, failed, took) = await loop.RunAsync();

        var verify = System.Diagnostics.Stopwatch.StartNew();
        await using var last = await ServiceProcess.StartAsync("Rekor", [$"--Rekor:DataDirectory={data}"], data);
        await state.VerifyAllAsync(last);
        Report.Line($"Rekor v1 (SQLite): {kills} kills, {acked} acknowledged entries all present and verified, {failed} writes cut or refused, {took.TotalSeconds:F1} s + {verify.Elapsed.TotalSeconds:F1} s to verify");
        Report.Line(string.Join("\n", loop.Timings));
        Assert.True(state.Acked.Count >= 20, $"only {state.Acked.Count} entries acknowledged");
        Directory.Delete(data, recursive: true);
    }
}

/// <summary>What Rekor v1's clients were told, and the checks of it against a (restarted) service.</summary>
internal sealed class RekorV1State
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(20) };
    private readonly SignerMaterial[] _signers = [.. Enumerable.Range(0, KillLoop.Writers).Select(_ => new SignerMaterial(InMemorySigningKey.Generate(Core.Crypto.SigningAlgorithm.EcdsaP256Sha256)))];

    public ConcurrentDictionary<long, TransparencyLogEntry> Acked { get; } = new();

    /// <summary>Which writer each acknowledged index came from.</summary>
    public ConcurrentDictionary<long, int> WriterOf { get; } = new();

    /// <summary>The SubjectPublicKeyInfo writer <c>w</c> signs with.</summary>
    public byte[] WriterKey(int w) => _signers[w % _signers.Length].Key.SubjectPublicKeyInfo;

    public ConcurrentBag<(ulong Size, byte[] Root)> Checkpoints { get; } = [];

    public KillLoop Loop(Func<Task<ServiceProcess>> start) => new()
    {
        Start = start,
        Write = WriteAsync,
        Check = CheckAsync,
    };

    public async Task WriteAsync(ServiceProcess service, int writer, CancellationToken ct)
    {
        var artifact = RandomNumberGenerator.GetBytes(64);
        var signer = _signers[writer % _signers.Length];
        var entry = await new RekorV1Writer(new RekorClient(_http, service.BaseUrl))
            .LogMessageSignatureAsync(signer, Core.Bundle.HashAlgorithm.Sha2_256, SHA256.HashData(artifact), signer.Key.Sign(artifact), ct);
        Record(entry);
        WriterOf[entry.LogIndex] = writer;
    }

    public void Record(TransparencyLogEntry entry)
    {
        // No index is acknowledged twice with different bodies.
        var first = Acked.GetOrAdd(entry.LogIndex, entry);
        Assert.True(first.CanonicalizedBody.AsSpan().SequenceEqual(entry.CanonicalizedBody), $"index {entry.LogIndex} acknowledged for two different bodies");
    }

    /// <summary>After each restart: the signed tree head verifies, covers every acknowledged entry, and is consistent with every one seen before.</summary>
    public async Task CheckAsync(ServiceProcess service)
    {
        var rekor = new RekorClient(_http, service.BaseUrl);
        var key = await LogKeyAsync(rekor);
        var info = await rekor.GetLogInfoAsync(Ct);
        var sth = SignedCheckpoint.Parse(info.SignedTreeHead);
        Assert.True(sth.VerifyRekorV1(new EcdsaNoteVerifier("rekor", key)), "the signed tree head does not verify");
        foreach (var index in Acked.Keys)
        {
            Assert.True((ulong)index < sth.Checkpoint.Size, $"acknowledged index {index} is beyond the restarted log's size {sth.Checkpoint.Size}");
        }

        Checkpoints.Add((sth.Checkpoint.Size, sth.Checkpoint.RootHash));
        await ConsistentAsync(rekor);
    }

    /// <summary>Every acknowledged entry is served with the same body, its SET and inclusion proofs verify, every checkpoint is consistent with the next.</summary>
    public async Task VerifyAllAsync(ServiceProcess service)
    {
        var rekor = new RekorClient(_http, service.BaseUrl);
        var key = await LogKeyAsync(rekor);
        var verifier = new EcdsaNoteVerifier("rekor", key);
        await CheckAsync(service);
        foreach (var (index, acked) in Acked)
        {
            // What the client was given verifies on its own: SET and inclusion proof under a signed checkpoint.
            var logId = Convert.ToHexStringLower(acked.LogId!.KeyId);
            Assert.True(SignedEntryTimestamp.Verify(SignedEntryTimestamp.Payload(Convert.ToBase64String(acked.CanonicalizedBody), acked.IntegratedTime, logId, index), acked.InclusionPromise!.SignedEntryTimestamp, key), $"acknowledged SET of {index}");
            var proof = acked.InclusionProof!;
            ProofVerifier.VerifyInclusion(Rfc6962.HashLeaf(acked.CanonicalizedBody), (ulong)proof.LogIndex, (ulong)proof.TreeSize, proof.Hashes, proof.RootHash);
            var cp = SignedCheckpoint.Parse(proof.Checkpoint!.Envelope);
            Assert.True(cp.VerifyRekorV1(verifier), $"checkpoint of the acknowledgement of {index}");
            Assert.Equal(proof.RootHash, cp.Checkpoint.RootHash);
            Checkpoints.Add((cp.Checkpoint.Size, cp.Checkpoint.RootHash));

            // What the restarted log serves at that index is the same entry, with a SET and proof that verify.
            var served = await rekor.GetEntryByIndexAsync(index, Ct);
            Assert.Equal(acked.CanonicalizedBody, served.Body);
            Assert.Equal(acked.IntegratedTime, served.IntegratedTime);
            Assert.True(SignedEntryTimestamp.Verify(SignedEntryTimestamp.Payload(Convert.ToBase64String(served.Body), served.IntegratedTime, served.LogId, served.LogIndex), served.SignedEntryTimestamp!, key), $"served SET of {index}");
            var sp = served.InclusionProof!;
            ProofVerifier.VerifyInclusion(Rfc6962.HashLeaf(served.Body), (ulong)sp.LogIndex, (ulong)sp.TreeSize, sp.Hashes, sp.RootHash);
            Checkpoints.Add(((ulong)sp.TreeSize, sp.RootHash));
        }

        await ConsistentAsync(rekor);
    }

    private async Task ConsistentAsync(RekorClient rekor) =>
        await KillLoop.CheckChainAsync(Checkpoints, async (s1, r1, s2, r2) =>
        {
            var p = await rekor.GetConsistencyProofAsync((long)s1, (long)s2, Ct);
            ProofVerifier.VerifyConsistency(s1, s2, p.Hashes, r1, r2);
        });

    private static async Task<ECDsa> LogKeyAsync(RekorClient rekor)
    {
        var key = ECDsa.Create();
        key.ImportFromPem(await rekor.GetPublicKeyAsync(Ct));
        return key;
    }
}
