using System.Text;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Log.Storage;

namespace PrivateSigstore.Log.Tests;

/// <summary>Proofs are served from stored tiles: a handful of tile reads, growing with log256(size), never with size.</summary>
public sealed class ProofCostTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(1_000)]
    [InlineData(70_000)]
    public async Task An_inclusion_proof_reads_at_most_two_tiles_per_tile_level_from_a_cold_cache(int size)
    {
        var path = Path.Combine(TestStores.TempDir(), "log.db");
        var signer = TestStores.Signer();
        var options = new LogOptions { Origin = "cost.test - 1", BatchMaxSize = 4096, MaxOutstanding = 65_536 };
        await using (var store = new SqliteLogStore(path))
        await using (var log = await TransparencyLog.OpenAsync(store, options, [signer], cancellationToken: Ct))
        {
            await Task.WhenAll(Enumerable.Range(0, size).Select(i => log.AddAsync(Encoding.UTF8.GetBytes($"e{i}"), Ct).AsTask()));
        }

        var counting = new CountingStore(new SqliteLogStore(path));
        var cold = new LogOptions { Origin = "cost.test - 1", TileCacheSize = 16 };
        await using var reopened = await TransparencyLog.OpenAsync(counting, cold, [signer], cancellationToken: Ct);
        var tileLevels = 1;
        for (var n = (ulong)size; n > 256; n >>= 8) tileLevels++;
        var random = new Random(size);
        for (var i = 0; i < 20; i++)
        {
            var index = (ulong)random.Next(size);
            counting.TileReads = 0;
            var proof = await reopened.GetInclusionProofAsync(index, (ulong)size, Ct);
            Assert.True(counting.TileReads <= 2 * tileLevels, $"{counting.TileReads} tile reads for one proof at size {size} ({tileLevels} tile levels)");
            ProofVerifier.VerifyInclusion(await reopened.GetLeafHashAsync(index, Ct), index, (ulong)size, proof, reopened.LatestCheckpoint.RootHash);
        }
    }

    private sealed class CountingStore(ILogStore inner) : DelegatingLogStore(inner)
    {
        public int TileReads;

        public override Task<byte[]?> ReadTileAsync(int level, ulong index, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref TileReads);
            return Inner.ReadTileAsync(level, index, cancellationToken);
        }

    }
}
