using System.Numerics;
using CsCheck;
using PrivateSigstore.Core.Merkle;

namespace PrivateSigstore.Core.Tests.Merkle;

public sealed class CompactRangeTests
{
    [Fact]
    public void Roots_and_compact_trees_of_the_reference_tree_match_constants()
    {
        TestTrees.Reference reference = TestTrees.LoadReference();
        var range = CompactRange.Empty();
        for (int size = 0; size <= 8; size++)
        {
            Assert.Equal((ulong)size, range.Size);
            Assert.Equal(reference.RootHashes[size], range.GetRootHash());

            // testonly CompactTrees: the perfect subtrees at the set bits of size, highest first.
            byte[][] want = [.. Enumerable.Range(0, 4).Reverse()
                .Where(level => ((size >> level) & 1) == 1)
                .Select(level => reference.Node(new NodeId(level, (ulong)(size >> level) - 1)))];
            Assert.Equal(want, range.Hashes);
            if (size < 8)
            {
                range.Append(reference.LeafHashes[size]);
            }
        }
    }

    [Fact]
    public void Empty_range_has_the_empty_root()
    {
        var range = CompactRange.Empty();
        Assert.Equal(0UL, range.Size);
        Assert.Empty(range.Hashes);
        Assert.Equal(Rfc6962.EmptyRoot.ToArray(), range.GetRootHash());
    }

    [Fact]
    public void Root_equals_the_reference_root_for_every_size()
    {
        var range = CompactRange.Empty();
        for (int size = 0; size <= 1100; size++)
        {
            Assert.Equal(TestTrees.ReferenceRoot((ulong)size), range.GetRootHash());
            range.Append(TestTrees.LeafHashes[size]);
        }
    }

    [Fact]
    public void Visitor_reports_exactly_the_new_perfect_subtrees_with_their_hashes()
    {
        Gen.Select(Gen.Int[0, 600], Gen.Int[1, 600]).Sample((start, count) =>
        {
            var range = CompactRange.Empty();
            range.AppendMany(TestTrees.Flat(TestTrees.LeafHashes.Take(start)));
            var seen = new Dictionary<NodeId, byte[]>();
            void Visit(NodeId id, ReadOnlySpan<byte> hash) => Assert.True(seen.TryAdd(id, hash.ToArray()), $"{id} visited twice");
            for (int i = start; i < start + count; i++)
            {
                range.Append(TestTrees.LeafHashes[i], Visit);
            }

            AssertVisited(seen, (ulong)start, (ulong)(start + count));
        }, iter: 60);
    }

    [Fact]
    public void Batch_visitor_reports_exactly_the_new_perfect_subtrees_children_first()
    {
        Gen.Select(Gen.Int[0, 5000], Gen.Int[0, 5000]).Sample((start, count) =>
        {
            count = Math.Min(count, TestTrees.MaxLeaves - start);
            var range = CompactRange.Empty();
            range.AppendMany(TestTrees.Flat(TestTrees.LeafHashes.Take(start)));
            var seen = new Dictionary<NodeId, byte[]>();
            void Visit(NodeId id, ReadOnlySpan<byte> hash)
            {
                if (id.Level > 0)
                {
                    // Children are reported before their parent, unless they predate the batch.
                    foreach (NodeId child in new[] { new NodeId(id.Level - 1, id.Index * 2), new NodeId(id.Level - 1, (id.Index * 2) + 1) })
                    {
                        Assert.True(seen.ContainsKey(child) || child.End <= (ulong)start, $"{id} before {child}");
                    }
                }

                Assert.True(seen.TryAdd(id, hash.ToArray()), $"{id} visited twice");
            }

            range.AppendMany(TestTrees.Flat(TestTrees.LeafHashes.Skip(start).Take(count)), Visit);
            AssertVisited(seen, (ulong)start, (ulong)(start + count));
            Assert.Equal(TestTrees.ReferenceRoot((ulong)(start + count)), range.GetRootHash());
        }, iter: 40);
    }

    [Fact]
    public void Batches_of_any_split_equal_one_by_one_appends()
    {
        Gen.Int[0, 3000].Array[1, 6].Sample(splits =>
        {
            var batched = CompactRange.Empty();
            var single = CompactRange.Empty();
            int at = 0;
            foreach (int split in splits)
            {
                int n = Math.Min(split, TestTrees.MaxLeaves - at);
                batched.AppendMany(TestTrees.Flat(TestTrees.LeafHashes.Skip(at).Take(n)));
                for (int i = at; i < at + n; i++)
                {
                    single.Append(TestTrees.LeafHashes[i]);
                }

                at += n;
                Assert.Equal(single.Size, batched.Size);
                Assert.Equal(single.Hashes, batched.Hashes);
            }

            Assert.Equal(TestTrees.ReferenceRoot((ulong)at), batched.GetRootHash());
        }, iter: 40);
    }

    [Fact]
    public void Appending_entries_hashes_them_as_leaves()
    {
        byte[][] entries = [.. Enumerable.Range(0, 300).Select(i => new byte[i % 70])];
        var range = CompactRange.Empty();
        range.AppendEntries(entries);
        Assert.Equal(MerkleTree.RootFromLeafHashes([.. entries.Select(e => Rfc6962.HashLeaf(e))]), range.GetRootHash());
    }

    [Fact]
    public void Restored_and_cloned_ranges_continue_identically()
    {
        var original = CompactRange.Empty();
        original.AppendMany(TestTrees.Flat(TestTrees.LeafHashes.Take(1234)));
        var restored = new CompactRange(original.Size, original.Hashes);
        CompactRange clone = original.Clone();
        original.Append(TestTrees.LeafHashes[1234]);
        Assert.Equal(1234UL, clone.Size);
        Assert.Equal(TestTrees.ReferenceRoot(1234), clone.GetRootHash());
        restored.Append(TestTrees.LeafHashes[1234]);
        clone.Append(TestTrees.LeafHashes[1234]);
        Assert.Equal(original.GetRootHash(), restored.GetRootHash());
        Assert.Equal(original.Hashes, clone.Hashes);
    }

    [Fact]
    public void Restoring_needs_popcount_hashes_of_32_bytes()
    {
        byte[] h = new byte[32];
        Assert.Throws<WireFormatException>(() => new CompactRange(3, [h]));
        Assert.Throws<WireFormatException>(() => new CompactRange(3, [h, h, h]));
        Assert.Throws<WireFormatException>(() => new CompactRange(1, [new byte[31]]));
        Assert.Throws<WireFormatException>(() => new CompactRange(1, [new byte[33]]));
        Assert.Throws<WireFormatException>(() => new CompactRange(1, [null!]));
        Assert.Throws<WireFormatException>(() => new CompactRange(0, [h]));
        Assert.Equal(64, new CompactRange(ulong.MaxValue, [.. Enumerable.Repeat(h, 64)]).Hashes.Count);
    }

    [Fact]
    public void Bad_appends_are_rejected()
    {
        var range = CompactRange.Empty();
        Assert.Throws<ArgumentException>(() => range.Append(new byte[31]));
        Assert.Throws<ArgumentException>(() => range.AppendMany(new byte[33]));
        var full = new CompactRange(ulong.MaxValue, [.. Enumerable.Repeat(new byte[32], 64)]);
        Assert.Throws<InvalidOperationException>(() => full.Append(new byte[32]));
        Assert.Throws<InvalidOperationException>(() => full.AppendMany(new byte[32]));
        Assert.Throws<ArgumentException>(() => range.GetRootHash(new byte[31]));
    }

    [Fact]
    public void Ranges_near_the_64_bit_limit_merge_correctly()
    {
        // Size 2^64 - 2 has every bit but bit 0 set; one more leaf leaves all 64 subtrees unmerged.
        byte[][] hashes = [.. Enumerable.Range(0, 63).Select(i => TestTrees.LeafHashes[i])];
        var range = new CompactRange(ulong.MaxValue - 1, hashes);
        range.Append(TestTrees.LeafHashes[100]);
        Assert.Equal(ulong.MaxValue, range.Size);
        Assert.Equal([.. hashes, TestTrees.LeafHashes[100]], range.Hashes);

        var batched = new CompactRange(ulong.MaxValue - 1, hashes);
        batched.AppendMany(TestTrees.LeafHashes[100]);
        Assert.Equal(range.Hashes, batched.Hashes);
    }

    private static void AssertVisited(Dictionary<NodeId, byte[]> seen, ulong oldSize, ulong newSize)
    {
        // A perfect subtree is new iff it ends after oldSize and no later than newSize.
        var want = new List<NodeId>();
        for (int level = 0; (1UL << level) <= newSize; level++)
        {
            for (ulong index = oldSize >> level; ((index + 1) << level) <= newSize; index++)
            {
                if (((index + 1) << level) > oldSize)
                {
                    want.Add(new NodeId(level, index));
                }
            }
        }

        Assert.Equal(want.OrderBy(n => n.Level).ThenBy(n => n.Index), seen.Keys.OrderBy(n => n.Level).ThenBy(n => n.Index));
        foreach ((NodeId id, byte[] hash) in seen)
        {
            Assert.Equal(TestTrees.ReferenceNode(id), hash);
        }

        Assert.True(BitOperations.PopCount(newSize) <= 64);
    }
}
