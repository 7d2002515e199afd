using System.Security.Cryptography;
using System.Text;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Log.Tests;

/// <summary>The engine's behaviour, run on every store provider.</summary>
public abstract class TransparencyLogSuite
{
    /// <summary>A fresh store; <paramref name="reopen"/> returns a new store object on the same data.</summary>
    protected abstract Task<(ILogStore Store, Func<ILogStore> Reopen)> CreateStoreAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    protected static LogOptions Options(int batch = 64) => new() { Origin = "test.log - 42", BatchMaxSize = batch, BatchMaxAge = TimeSpan.FromMilliseconds(2), MaxOutstanding = 1024 };

    private static byte[] Leaf(int i) => Encoding.UTF8.GetBytes($"leaf number {i} " + new string('x', i % 50));

    [Fact]
    public async Task Appends_get_consecutive_indices_and_verifiable_proofs()
    {
        var (store, _) = await CreateStoreAsync();
        var signer = TestStores.Signer();
        await using var log = await TransparencyLog.OpenAsync(store, Options(), [signer], cancellationToken: Ct);
        var results = await Task.WhenAll(Enumerable.Range(0, 700).Select(i => log.AddAsync(Leaf(i), Ct).AsTask()));
        Assert.Equal(Enumerable.Range(0, 700).Select(i => (ulong)i), results.Select(r => r.Index).Order());
        Assert.All(results, r => Assert.False(r.Duplicate));
        Assert.Equal(700UL, log.Size);

        var cp = log.LatestCheckpoint;
        var leafHashes = new byte[700][];
        foreach (var r in results) leafHashes[r.Index] = Rfc6962.HashLeaf((await log.GetEntryAsync(r.Index, Ct)).Leaf.Span);
        Assert.Equal(MerkleTree.RootFromLeafHashes(leafHashes), cp.RootHash);

        // The checkpoint is a signed note over "<origin>\n<size>\n<root>\n".
        Assert.StartsWith($"test.log - 42\n700\n{Convert.ToBase64String(cp.RootHash)}\n\n\u2014 test.log ", cp.SignedNote);
        // Cross-check with Core's independent C2SP note and checkpoint code (Rekor v1 key-hash rule).
        var note = SignedNote.Parse(cp.SignedNote);
        Assert.Single(note.Verify([signer.Verifier]));
        var parsed = Checkpoint.Parse(note.Text);
        Assert.Equal(("test.log - 42", 700UL), (parsed.Origin, parsed.Size));
        Assert.Equal(cp.RootHash, parsed.RootHash);

        foreach (var index in new ulong[] { 0, 1, 255, 256, 511, 699 })
        {
            foreach (var size in new ulong[] { index + 1, 300, 512, 700 })
            {
                if (size <= index) continue;
                var proof = await log.GetInclusionProofAsync(index, size, Ct);
                var root = MerkleTree.RootFromLeafHashes(leafHashes[..(int)size]);
                ProofVerifier.VerifyInclusion(leafHashes[index], index, size, proof, root);
                Assert.Equal(root, await log.GetRootHashAsync(size, Ct));
            }
        }
        foreach (var (a, b) in new (ulong, ulong)[] { (1, 700), (256, 700), (300, 512), (511, 699), (699, 700) })
        {
            var proof = await log.GetConsistencyProofAsync(a, b, Ct);
            ProofVerifier.VerifyConsistency(a, b, proof, MerkleTree.RootFromLeafHashes(leafHashes[..(int)a]), MerkleTree.RootFromLeafHashes(leafHashes[..(int)b]));
        }
    }

    [Fact]
    public async Task Tiles_hold_the_tree_nodes_as_tlog_tiles_defines()
    {
        var (store, _) = await CreateStoreAsync();
        await using var log = await TransparencyLog.OpenAsync(store, Options(256), [TestStores.Signer()], cancellationToken: Ct);
        for (var i = 0; i < 600; i++) await log.AddAsync(Leaf(i), Ct);
        var leafHashes = new byte[600][];
        for (var i = 0; i < 600; i++) leafHashes[i] = await log.GetLeafHashAsync((ulong)i, Ct);
        var tile0 = await log.GetTileAsync(0, 0, 256, Ct);
        Assert.Equal(leafHashes[..256].SelectMany(h => h).ToArray(), tile0);
        var partial = await log.GetTileAsync(0, 2, 88, Ct);
        Assert.Equal(leafHashes[512..600].SelectMany(h => h).ToArray(), partial);
        var level1 = await log.GetTileAsync(1, 0, 2, Ct);
        Assert.Equal(MerkleTree.RootFromLeafHashes(leafHashes[..256]), level1[..32]);
        Assert.Equal(MerkleTree.RootFromLeafHashes(leafHashes[256..512]), level1[32..]);
        await Assert.ThrowsAsync<LogRangeException>(() => log.GetTileAsync(0, 2, 89, Ct));
        await Assert.ThrowsAsync<LogRangeException>(() => log.GetTileAsync(1, 0, 3, Ct));
    }

    [Fact]
    public async Task Duplicate_leaf_returns_the_existing_index()
    {
        var (store, _) = await CreateStoreAsync();
        await using var log = await TransparencyLog.OpenAsync(store, Options(), [TestStores.Signer()], cancellationToken: Ct);
        var first = await log.AddAsync(Leaf(1), Ct);
        await log.AddAsync(Leaf(2), Ct);
        var again = await log.AddAsync(Leaf(1), Ct);
        Assert.True(again.Duplicate);
        Assert.Equal(first.Index, again.Index);
        Assert.Equal(first.TimestampMs, again.TimestampMs);
        Assert.Equal(2UL, log.Size);
        // Duplicates inside one batch collapse to one entry too.
        var same = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => log.AddAsync(Leaf(3), Ct).AsTask()));
        Assert.Single(same.Select(r => r.Index).Distinct());
        Assert.Equal(9, same.Count(r => r.Duplicate));
        Assert.Equal(3UL, log.Size);
        Assert.Equal(first.Index, await log.FindIndexAsync(Rfc6962.HashLeaf(Leaf(1)), Ct));
        Assert.Null(await log.FindIndexAsync(Rfc6962.HashLeaf(Leaf(99)), Ct));
    }

    [Fact]
    public async Task Restart_resumes_with_state_dedupe_and_proofs()
    {
        var (store, reopen) = await CreateStoreAsync();
        var signer = TestStores.Signer();
        LogCheckpoint before;
        await using (var log = await TransparencyLog.OpenAsync(store, Options(), [signer], cancellationToken: Ct))
        {
            for (var i = 0; i < 300; i++) await log.AddAsync(Leaf(i), Ct);
            before = log.LatestCheckpoint;
        }
        await store.DisposeAsync();
        var store2 = reopen();
        await using (var log = await TransparencyLog.OpenAsync(store2, Options(), [signer], cancellationToken: Ct))
        {
            Assert.Equal(300UL, log.Size);
            Assert.Equal(before.RootHash, log.LatestCheckpoint.RootHash);
            Assert.True((await log.AddAsync(Leaf(5), Ct)).Duplicate);
            var next = await log.AddAsync(Leaf(1000), Ct);
            Assert.Equal(300UL, next.Index);
            var proof = await log.GetConsistencyProofAsync(300, 301, Ct);
            ProofVerifier.VerifyConsistency(300, 301, proof, before.RootHash, log.LatestCheckpoint.RootHash);
            Assert.Equal(Leaf(1000), (await log.GetEntryAsync(300, Ct)).Leaf.ToArray());
        }
        await store2.DisposeAsync();
    }

    [Fact]
    public async Task Bad_input_is_refused_with_typed_errors()
    {
        var (store, _) = await CreateStoreAsync();
        var options = Options();
        options.MaxLeafSize = 1000;
        await using var log = await TransparencyLog.OpenAsync(store, options, [TestStores.Signer()], cancellationToken: Ct);
        var tooBig = await Assert.ThrowsAsync<InvalidEntryException>(() => log.AddAsync(new byte[1001], Ct).AsTask());
        Assert.Contains("exceeds the limit of 1000 bytes", tooBig.Reason, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidEntryException>(() => log.AddAsync(Array.Empty<byte>(), Ct).AsTask());
        await Assert.ThrowsAsync<LogRangeException>(() => log.GetEntryAsync(0, Ct));
        await log.AddAsync(Leaf(0), Ct);
        await Assert.ThrowsAsync<LogRangeException>(() => log.GetInclusionProofAsync(0, 2, Ct));
        await Assert.ThrowsAsync<LogRangeException>(() => log.GetInclusionProofAsync(1, 1, Ct));
        await Assert.ThrowsAsync<LogRangeException>(() => log.GetConsistencyProofAsync(2, 1, Ct));
        Assert.Equal(1UL, log.Size);
    }

    [Fact]
    public async Task Frozen_log_serves_reads_and_refuses_appends()
    {
        var (store, reopen) = await CreateStoreAsync();
        var signer = TestStores.Signer();
        await using (var log = await TransparencyLog.OpenAsync(store, Options(), [signer], cancellationToken: Ct))
        {
            await log.AddAsync(Leaf(0), Ct);
            await log.FreezeAsync(Ct);
            Assert.True(log.IsFrozen);
            await Assert.ThrowsAsync<LogFrozenException>(() => log.AddAsync(Leaf(1), Ct).AsTask());
        }
        await store.DisposeAsync();
        var store2 = reopen();
        await using (var log = await TransparencyLog.OpenAsync(store2, Options(), [signer], cancellationToken: Ct))
        {
            Assert.True(log.IsFrozen);
            Assert.Equal(Leaf(0), (await log.GetEntryAsync(0, Ct)).Leaf.ToArray());
            await Assert.ThrowsAsync<LogFrozenException>(() => log.AddAsync(Leaf(1), Ct).AsTask());
            Assert.Equal(1UL, log.LatestCheckpoint.Size);
        }
        await store2.DisposeAsync();
    }

    [Fact]
    public async Task Full_queue_pushes_back_without_accepting()
    {
        var (store, _) = await CreateStoreAsync();
        var gate = new GatedStore(store);
        var options = Options(batch: 4);
        options.MaxOutstanding = 8;
        await using var log = await TransparencyLog.OpenAsync(gate, options, [TestStores.Signer()], cancellationToken: Ct);
        gate.Hold();
        var accepted = new List<Task<AppendResult>>();
        LogPushbackException? pushback = null;
        for (var i = 0; i < 100 && pushback is null; i++)
        {
            try
            {
                var t = log.AddAsync(Leaf(i), Ct).AsTask();
                if (t.IsFaulted) await t;
                accepted.Add(t);
            }
            catch (LogPushbackException ex)
            {
                pushback = ex;
            }
        }
        Assert.NotNull(pushback);
        Assert.True(pushback.RetryAfter > TimeSpan.Zero);
        gate.Release();
        var results = await Task.WhenAll(accepted);
        Assert.Equal((ulong)results.Length, log.Size);
    }

    /// <summary>A store whose commits can be held, to fill the queue.</summary>
    private sealed class GatedStore(ILogStore inner) : DelegatingLogStore(inner)
    {
        private TaskCompletionSource _open = CompletedSource();

        private static TaskCompletionSource CompletedSource()
        {
            var t = new TaskCompletionSource();
            t.SetResult();
            return t;
        }

        public void Hold() => _open = new TaskCompletionSource();

        public void Release() => _open.TrySetResult();

        public override async Task<IAppendTransaction> BeginAppendAsync(CancellationToken cancellationToken)
        {
            await _open.Task.WaitAsync(cancellationToken);
            return await Inner.BeginAppendAsync(cancellationToken);
        }
    }
}

public sealed class SqliteTransparencyLogTests : TransparencyLogSuite
{
    protected override Task<(ILogStore Store, Func<ILogStore> Reopen)> CreateStoreAsync()
    {
        var path = Path.Combine(TestStores.TempDir(), "log.db");
        return Task.FromResult<(ILogStore, Func<ILogStore>)>((TestStores.Sqlite(path), () => TestStores.Sqlite(path)));
    }
}

public sealed class PostgresTransparencyLogTests : TransparencyLogSuite
{
    protected override async Task<(ILogStore Store, Func<ILogStore> Reopen)> CreateStoreAsync()
    {
        Assert.SkipWhen(TestStores.PostgresConnectionString() is null, $"{TestStores.PostgresVariable} is not set (test.sh sets it)");
        var (store, cs) = await TestStores.PostgresAsync();
        return (store, () => new Storage.PostgresLogStore(cs, "log"));
    }
}
