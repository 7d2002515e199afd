using CsCheck;
using PrivateSigstore.Core.Merkle;

namespace PrivateSigstore.Core.Tests.Merkle;

public sealed class MerkleTreeTests
{
    [Fact]
    public void Reference_roots_match_the_rfc6962_constants()
    {
        TestTrees.Reference reference = TestTrees.LoadReference();
        for (int size = 0; size <= 8; size++)
        {
            byte[][] leaves = reference.LeafHashes[..size];
            Assert.Equal(reference.RootHashes[size], MerkleTree.RootFromLeafHashes(leaves));
            Assert.Equal(reference.RootHashes[size], MerkleTree.ComputeRoot(TestTrees.Flat(leaves)));
        }
    }

    [Fact]
    public void Fast_root_equals_reference_root_for_random_sizes()
    {
        Gen.Int[0, TestTrees.MaxLeaves].Sample(size =>
            Assert.Equal(TestTrees.ReferenceRoot((ulong)size), MerkleTree.ComputeRoot(TestTrees.Flat(TestTrees.LeafHashes.Take(size)))),
            iter: 60);
    }

    [Fact]
    public void Single_leaf_root_is_a_copy_of_the_leaf()
    {
        byte[] leaf = TestTrees.LeafHashes[0];
        byte[] root = MerkleTree.RootFromLeafHashes([leaf]);
        Assert.Equal(leaf, root);
        Assert.NotSame(leaf, root);
    }

    [Fact]
    public void Fast_root_rejects_partial_hashes()
        => Assert.Throws<ArgumentException>(() => MerkleTree.ComputeRoot(new byte[63]));
}
