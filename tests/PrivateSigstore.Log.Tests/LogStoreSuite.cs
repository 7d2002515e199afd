using System.Security.Cryptography;

namespace PrivateSigstore.Log.Tests;

/// <summary>The store contract, run against every provider (SQLite always; PostgreSQL when configured).</summary>
public abstract class LogStoreSuite
{
    /// <summary>A fresh, empty, initialized store.</summary>
    protected abstract Task<ILogStore> CreateStoreAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static StoredLogState State(ulong size, string checkpoint = "cp\n") =>
        new(size, RandomNumberGenerator.GetBytes(32), [RandomNumberGenerator.GetBytes(32)], checkpoint, 1234, false);

    [Fact]
    public async Task New_store_has_no_state_and_no_tiles()
    {
        await using var store = await CreateStoreAsync();
        Assert.Null(await store.ReadStateAsync(Ct));
        Assert.Null(await store.ReadTileAsync(0, 0, Ct));
        Assert.Null(await store.ReadSegmentAsync(0, Ct));
        Assert.Equal(new SegmentSummary(0, 0, 0), await store.SummarizeSegmentsAsync(Ct));
    }

    [Fact]
    public async Task Committed_transaction_is_visible_with_all_its_parts()
    {
        await using var store = await CreateStoreAsync();
        var tile = RandomNumberGenerator.GetBytes(32 * 3);
        var data = SegmentCodec.Encode([new byte[] { 1, 2 }, new byte[] { 3 }, new byte[] { 4, 5, 6 }]);
        var state = State(3, "origin\n3\nroot\n\n— sig\n");
        await using (var tx = await store.BeginAppendAsync(Ct))
        {
            Assert.Null(tx.State);
            await tx.WriteSegmentAsync(new EntrySegment(0, 3, 99, data), Ct);
            await tx.WriteTilesAsync([new StoredTile(0, 0, tile)], Ct);
            await tx.WriteStateAsync(state, Ct);
            await tx.CommitAsync(Ct);
        }
        var read = await store.ReadStateAsync(Ct);
        Assert.NotNull(read);
        Assert.Equal(3UL, read.Size);
        Assert.Equal(state.RootHash, read.RootHash);
        Assert.Equal(state.CompactRange[0], read.CompactRange[0]);
        Assert.Equal(state.Checkpoint, read.Checkpoint);
        Assert.False(read.Frozen);
        Assert.Equal(tile, await store.ReadTileAsync(0, 0, Ct));
        var seg = await store.ReadSegmentAsync(2, Ct);
        Assert.NotNull(seg);
        Assert.Equal(new byte[] { 4, 5, 6 }, SegmentCodec.Get(seg, 2).ToArray());
        Assert.Equal(state.Checkpoint, await store.ReadCheckpointAsync(3, Ct));
        Assert.Equal(new SegmentSummary(1, 3, 3), await store.SummarizeSegmentsAsync(Ct));
    }

    [Fact]
    public async Task Disposed_transaction_without_commit_writes_nothing()
    {
        await using var store = await CreateStoreAsync();
        await using (var tx = await store.BeginAppendAsync(Ct))
        {
            await tx.WriteSegmentAsync(new EntrySegment(0, 1, 1, SegmentCodec.Encode([new byte[] { 7 }])), Ct);
            await tx.WriteTilesAsync([new StoredTile(0, 0, new byte[32])], Ct);
            await tx.WriteStateAsync(State(1), Ct);
        }
        Assert.Null(await store.ReadStateAsync(Ct));
        Assert.Null(await store.ReadTileAsync(0, 0, Ct));
        Assert.Null(await store.ReadSegmentAsync(0, Ct));
    }

    [Fact]
    public async Task Partial_tile_grows_in_place_and_tiles_stream_in_order()
    {
        await using var store = await CreateStoreAsync();
        var full = RandomNumberGenerator.GetBytes(8192);
        await using (var tx = await store.BeginAppendAsync(Ct))
        {
            await tx.WriteTilesAsync([new StoredTile(0, 1, full.AsSpan(0, 64).ToArray()), new StoredTile(0, 0, full), new StoredTile(1, 0, full.AsSpan(0, 32).ToArray())], Ct);
            await tx.WriteStateAsync(State(258), Ct);
            await tx.CommitAsync(Ct);
        }
        await using (var tx = await store.BeginAppendAsync(Ct))
        {
            Assert.Equal(258UL, tx.State!.Size);
            await tx.WriteTilesAsync([new StoredTile(0, 1, full.AsSpan(0, 96).ToArray())], Ct);
            await tx.WriteStateAsync(State(259), Ct);
            await tx.CommitAsync(Ct);
        }
        Assert.Equal(full.AsSpan(0, 96).ToArray(), await store.ReadTileAsync(0, 1, Ct));
        var level0 = new List<StoredTile>();
        await foreach (var t in store.ReadTilesAsync(0, 0, Ct)) level0.Add(t);
        Assert.Equal([0UL, 1UL], level0.Select(t => t.Index));
        Assert.Equal(full, level0[0].Hashes);
        var fromOne = new List<StoredTile>();
        await foreach (var t in store.ReadTilesAsync(0, 1, Ct)) fromOne.Add(t);
        Assert.Single(fromOne);
    }

    [Fact]
    public async Task Segment_lookup_finds_the_batch_holding_an_index()
    {
        await using var store = await CreateStoreAsync();
        await using (var tx = await store.BeginAppendAsync(Ct))
        {
            await tx.WriteSegmentAsync(new EntrySegment(0, 2, 10, SegmentCodec.Encode([new byte[] { 0 }, new byte[] { 1 }])), Ct);
            await tx.WriteSegmentAsync(new EntrySegment(2, 3, 20, SegmentCodec.Encode([new byte[] { 2 }, new byte[] { 3 }, new byte[] { 4 }])), Ct);
            await tx.WriteStateAsync(State(5), Ct);
            await tx.CommitAsync(Ct);
        }
        for (ulong i = 0; i < 5; i++)
        {
            var seg = await store.ReadSegmentAsync(i, Ct);
            Assert.NotNull(seg);
            Assert.Equal((byte)i, SegmentCodec.Get(seg, (int)(i - seg.Start)).Span[0]);
            Assert.Equal(i < 2 ? 10 : 20, seg.TimestampMs);
        }
        Assert.Equal(new SegmentSummary(2, 5, 5), await store.SummarizeSegmentsAsync(Ct));
    }

    [Fact]
    public async Task Freezing_is_durable()
    {
        await using var store = await CreateStoreAsync();
        await using (var tx = await store.BeginAppendAsync(Ct))
        {
            await tx.WriteStateAsync(State(0), Ct);
            await tx.CommitAsync(Ct);
        }
        await store.SetFrozenAsync(true, Ct);
        Assert.True((await store.ReadStateAsync(Ct))!.Frozen);
        await store.SetFrozenAsync(false, Ct);
        Assert.False((await store.ReadStateAsync(Ct))!.Frozen);
    }

    [Fact]
    public async Task Append_transactions_are_serialized()
    {
        await using var store = await CreateStoreAsync();
        var first = await store.BeginAppendAsync(Ct);
        var second = Task.Run(async () =>
        {
            await using var tx = await store.BeginAppendAsync(Ct);
            return tx.State?.Size;
        }, Ct);
        await Task.Delay(300, Ct);
        Assert.False(second.IsCompleted, "a second writer must wait for the first");
        await first.WriteStateAsync(State(7), Ct);
        await first.CommitAsync(Ct);
        await first.DisposeAsync();
        Assert.Equal(7UL, await second.WaitAsync(TimeSpan.FromSeconds(30), Ct));
    }

    [Fact]
    public async Task Initialize_is_idempotent()
    {
        await using var store = await CreateStoreAsync();
        await store.InitializeAsync(Ct);
        await store.InitializeAsync(Ct);
        Assert.Null(await store.ReadStateAsync(Ct));
    }
}

public sealed class SqliteLogStoreTests : LogStoreSuite
{
    protected override async Task<ILogStore> CreateStoreAsync()
    {
        var store = TestStores.Sqlite();
        await store.InitializeAsync(TestContext.Current.CancellationToken);
        return store;
    }
}

public sealed class PostgresLogStoreTests : LogStoreSuite
{
    protected override async Task<ILogStore> CreateStoreAsync()
    {
        Assert.SkipWhen(TestStores.PostgresConnectionString() is null, $"{TestStores.PostgresVariable} is not set (test.sh sets it)");
        var (store, _) = await TestStores.PostgresAsync();
        await store.InitializeAsync(TestContext.Current.CancellationToken);
        return store;
    }
}
