using System.Text;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Rekor.Research;

namespace PrivateSigstore.Rekor.Tests.Research;

/// <summary>The research log's in-memory views answer tiles, entry bundles, roots and consistency proofs as RFC 6962 / tlog-tiles define them.</summary>
public sealed class ViewTreeTests
{
    private static List<byte[]> Leaves(int count) => [.. Enumerable.Range(0, count).Select(i => Encoding.UTF8.GetBytes($"leaf {i}"))];

    private static byte[] Root(List<byte[]> leaves, int start, int count) =>
        MerkleTree.RootFromLeafHashes([.. leaves.Skip(start).Take(count).Select(l => Rfc6962.HashLeaf(l))]);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(600)]
    public void Roots_tiles_bundles_and_consistency_proofs_match_the_definitions(int size)
    {
        var leaves = Leaves(size);
        var tree = new ViewTree(leaves);

        Assert.Equal((ulong)size, tree.Size);
        Assert.Equal(size == 0 ? Rfc6962.EmptyRoot.ToArray() : Root(leaves, 0, size), tree.Root);
        // Level 0: leaf hashes; level 1: roots of the full 256-leaf subtrees; beyond the tree: null.
        for (var index = 0; index * 256 < size; index++)
        {
            var width = Math.Min(256, size - (index * 256));
            var tile = tree.Tile(0, (ulong)index, width)!;
            Assert.Equal(Rfc6962.HashLeaf(leaves[(index * 256) + width - 1]), tile[^32..]);
            if (width < 256)
            {
                Assert.Null(tree.Tile(0, (ulong)index, width + 1));
                Assert.Null(tree.EntryBundle((ulong)index, width + 1));
            }
            var bundle = tree.EntryBundle((ulong)index, width)!;
            Assert.Equal(leaves.Skip(index * 256).Take(width).Sum(l => 2 + l.Length), bundle.Length);
        }
        var level1 = size / 256;
        if (level1 > 0)
        {
            var tile = tree.Tile(1, 0, level1)!;
            for (var j = 0; j < level1; j++) Assert.Equal(Root(leaves, j * 256, 256), tile[(j * 32)..((j + 1) * 32)]);
        }
        Assert.Null(tree.Tile(1, 0, level1 + 1));
        foreach (var size1 in new[] { 1, 2, 3, 100, 255, 256, 257, 511 }.Where(s => s < size))
        {
            Assert.True(ProofVerifier.TryVerifyConsistency((ulong)size1, (ulong)size, tree.ConsistencyProof((ulong)size1), Root(leaves, 0, size1), tree.Root, out var error), error);
        }
        Assert.Empty(tree.ConsistencyProof((ulong)size));
    }
}
