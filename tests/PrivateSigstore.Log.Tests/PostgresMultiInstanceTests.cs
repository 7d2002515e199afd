using System.Text;
using Npgsql;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Log.Storage;

namespace PrivateSigstore.Log.Tests;

/// <summary>Several engine instances on one PostgreSQL database: one integrates at a time; a dead one is replaced.</summary>
public sealed class PostgresMultiInstanceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static LogOptions Options() => new() { Origin = "pg.log - 7", BatchMaxSize = 32, BatchMaxAge = TimeSpan.FromMilliseconds(1), MaxOutstanding = 4096 };

    [Fact]
    public async Task Two_instances_append_into_one_consistent_tree()
    {
        Assert.SkipWhen(TestStores.PostgresConnectionString() is null, $"{TestStores.PostgresVariable} is not set");
        var (storeA, cs) = await TestStores.PostgresAsync();
        var signer = TestStores.Signer("pg.log");
        await using var a = await TransparencyLog.OpenAsync(storeA, Options(), [signer], cancellationToken: Ct);
        await using var storeB = new PostgresLogStore(cs);
        await using var b = await TransparencyLog.OpenAsync(storeB, Options(), [signer], cancellationToken: Ct);

        var fromA = Enumerable.Range(0, 300).Select(i => a.AddAsync(Encoding.UTF8.GetBytes($"a{i}"), Ct).AsTask());
        var fromB = Enumerable.Range(0, 300).Select(i => b.AddAsync(Encoding.UTF8.GetBytes($"b{i}"), Ct).AsTask());
        var results = await Task.WhenAll(fromA.Concat(fromB));
        Assert.Equal(600, results.Select(r => r.Index).Distinct().Count());
        Assert.Equal(599UL, results.Max(r => r.Index));

        // A duplicate submitted to the other instance is found (dedupe follows the other writer).
        await b.RefreshAsync(Ct);
        Assert.True((await b.AddAsync(Encoding.UTF8.GetBytes("a5"), Ct)).Duplicate);

        await a.RefreshAsync(Ct);
        Assert.Equal(a.LatestCheckpoint.RootHash, b.LatestCheckpoint.RootHash);
        var leafHashes = new byte[600][];
        for (ulong i = 0; i < 600; i++) leafHashes[i] = await a.GetLeafHashAsync(i, Ct);
        Assert.Equal(MerkleTree.RootFromLeafHashes(leafHashes), b.LatestCheckpoint.RootHash);
        foreach (var r in results.Take(20))
        {
            var proof = await b.GetInclusionProofAsync(r.Index, 600, Ct);
            ProofVerifier.VerifyInclusion(leafHashes[r.Index], r.Index, 600, proof, b.LatestCheckpoint.RootHash);
        }
    }

    [Fact]
    public async Task Killed_leader_is_replaced_without_losing_or_duplicating_entries()
    {
        Assert.SkipWhen(TestStores.PostgresConnectionString() is null, $"{TestStores.PostgresVariable} is not set");
        var (inner, cs) = await TestStores.PostgresAsync();
        var signer = TestStores.Signer("pg.log");
        var leaderStore = new HoldingStore(inner);
        var leader = await TransparencyLog.OpenAsync(leaderStore, Options(), [signer], cancellationToken: Ct);
        var first = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => leader.AddAsync(Encoding.UTF8.GetBytes($"ok{i}"), Ct).AsTask()));

        // The leader takes the writer lock for its next batch and hangs inside the transaction.
        leaderStore.HoldNextCommit();
        var doomed = Enumerable.Range(0, 10).Select(i => leader.AddAsync(Encoding.UTF8.GetBytes($"doomed{i}"), Ct).AsTask()).ToList();
        await leaderStore.Held.WaitAsync(TimeSpan.FromSeconds(30), Ct);

        await using var standbyStore = new PostgresLogStore(cs);
        await using var standby = await TransparencyLog.OpenAsync(standbyStore, Options(), [signer], cancellationToken: Ct);
        var waiting = Task.WhenAll(Enumerable.Range(0, 20).Select(i => standby.AddAsync(Encoding.UTF8.GetBytes($"standby{i}"), Ct).AsTask()));
        await Task.Delay(500, Ct);
        Assert.False(waiting.IsCompleted, "the standby must wait while the leader holds the writer lock");

        // Kill the leader's database session (as if its process died): PostgreSQL rolls back and frees the lock.
        // Only sessions of this test's own database: other tests run in parallel on the same cluster.
        await using (var conn = new NpgsqlConnection(cs))
        {
            await conn.OpenAsync(Ct);
            await using var kill = new NpgsqlCommand("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() " +
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())", conn);
            await kill.ExecuteNonQueryAsync(Ct);
        }
        leaderStore.ReleaseCommit();
        var standbyResults = await waiting.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        foreach (var d in doomed)
        {
            // Never acknowledged: the leader's batch died with its session.
            await Assert.ThrowsAnyAsync<Exception>(() => d);
        }
        await leader.DisposeAsync();

        Assert.Equal(Enumerable.Range(50, 20).Select(i => (ulong)i), standbyResults.Select(r => r.Index).Order());
        Assert.Equal(70UL, standby.Size);
        for (var i = 0; i < 50; i++) Assert.Equal(Encoding.UTF8.GetBytes($"ok{i}"), (await standby.GetEntryAsync(first[i].Index, Ct)).Leaf.ToArray());
        for (ulong i = 0; i < 70; i++) Assert.DoesNotContain("doomed", Encoding.UTF8.GetString((await standby.GetEntryAsync(i, Ct)).Leaf.Span), StringComparison.Ordinal);
    }

    /// <summary>Holds one commit until released (the transaction, and so the lock, stays open meanwhile).</summary>
    private sealed class HoldingStore(ILogStore inner) : DelegatingLogStore(inner)
    {
        private volatile bool _hold;
        private readonly TaskCompletionSource _held = new();
        private readonly TaskCompletionSource _release = new();

        public Task Held => _held.Task;
        public void HoldNextCommit() => _hold = true;
        public void ReleaseCommit() => _release.TrySetResult();

        public override async Task<IAppendTransaction> BeginAppendAsync(CancellationToken cancellationToken)
        {
            var tx = await Inner.BeginAppendAsync(cancellationToken);
            return _hold ? new HeldTransaction(tx, this) : tx;
        }

        private sealed class HeldTransaction(IAppendTransaction tx, HoldingStore owner) : IAppendTransaction
        {
            public StoredLogState? State => tx.State;
            public Task WriteSegmentAsync(EntrySegment segment, CancellationToken cancellationToken) => tx.WriteSegmentAsync(segment, cancellationToken);
            public Task WriteTilesAsync(IReadOnlyList<StoredTile> tiles, CancellationToken cancellationToken) => tx.WriteTilesAsync(tiles, cancellationToken);
            public Task WriteStateAsync(StoredLogState state, CancellationToken cancellationToken) => tx.WriteStateAsync(state, cancellationToken);
            public async Task CommitAsync(CancellationToken cancellationToken)
            {
                owner._held.TrySetResult();
                await owner._release.Task;
                await tx.CommitAsync(cancellationToken);
            }
            public ValueTask DisposeAsync() => tx.DisposeAsync();
        }
    }
}
