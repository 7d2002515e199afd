using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using CsCheck;
using PrivateSigstore.Core.Merkle;

namespace PrivateSigstore.Core.Tests.Merkle;

public sealed class Rfc6962Tests
{
    public static TheoryData<string> HasherVectorNames()
    {
        var data = new TheoryData<string>();
        foreach (JsonElement v in HasherVectors())
        {
            data.Add(v.GetProperty("desc").GetString()!);
        }

        return data;
    }

    private static List<JsonElement> HasherVectors()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestTrees.TestData("rfc6962-reference.json")));
        return [.. doc.RootElement.GetProperty("hasherVectors").EnumerateArray().Select(e => e.Clone())];
    }

    [Theory]
    [MemberData(nameof(HasherVectorNames))]
    public void Hasher_matches_rfc6962_test_vectors(string desc)
    {
        JsonElement v = HasherVectors().Single(e => e.GetProperty("desc").GetString() == desc);
        byte[] want = Convert.FromHexString(v.GetProperty("want").GetString()!);
        byte[] got = v.GetProperty("kind").GetString() switch
        {
            "empty" => Rfc6962.EmptyRoot.ToArray(),
            "leaf" => Rfc6962.HashLeaf(Convert.FromHexString(v.GetProperty("inputHex").GetString()!)),
            "node" => Rfc6962.HashChildren(
                Convert.FromHexString(v.GetProperty("leftHex").GetString()!),
                Convert.FromHexString(v.GetProperty("rightHex").GetString()!)),
            _ => throw new InvalidOperationException("unknown vector kind"),
        };
        Assert.Equal(want, got);
    }

    [Fact]
    public void Leaf_and_node_hashes_of_the_reference_tree_match_constants()
    {
        TestTrees.Reference reference = TestTrees.LoadReference();
        byte[][] leaves = reference.LeafHashes;
        Assert.Equal(reference.NodeHashes[0], leaves);
        for (int level = 1; level < reference.NodeHashes.Length; level++)
        {
            for (int i = 0; i < reference.NodeHashes[level].Length; i++)
            {
                byte[] left = reference.NodeHashes[level - 1][2 * i];
                byte[] right = reference.NodeHashes[level - 1][(2 * i) + 1];
                Assert.Equal(reference.NodeHashes[level][i], Rfc6962.HashChildren(left, right));
            }
        }
    }

    [Fact]
    public void Empty_root_is_sha256_of_nothing_and_differs_from_empty_leaf()
    {
        Assert.Equal(SHA256.HashData([]), Rfc6962.EmptyRoot.ToArray());
        Assert.Equal(Rfc6962.HashSize, Rfc6962.EmptyRoot.Length);
        Assert.NotEqual(Rfc6962.EmptyRoot.ToArray(), Rfc6962.HashLeaf([]));
    }

    [Fact]
    public void Hasher_is_second_preimage_resistant_and_order_dependent()
    {
        byte[] hello = Rfc6962.HashLeaf("Hello"u8);
        byte[] world = Rfc6962.HashLeaf("World"u8);
        Assert.NotEqual(hello, world);
        byte[] node = Rfc6962.HashChildren(hello, world);
        Assert.NotEqual(node, Rfc6962.HashLeaf([.. hello, .. world]));
        Assert.NotEqual(node, Rfc6962.HashChildren(world, hello));
    }

    [Fact]
    public void Span_overloads_agree_with_array_overloads_and_tolerate_aliasing()
    {
        byte[] a = Rfc6962.HashLeaf("a"u8);
        byte[] b = Rfc6962.HashLeaf("b"u8);
        byte[] want = Rfc6962.HashChildren(a, b);

        var buffer = new byte[64];
        a.CopyTo(buffer, 0);
        b.CopyTo(buffer, 32);
        Rfc6962.HashChildren(buffer.AsSpan(0, 32), buffer.AsSpan(32, 32), buffer.AsSpan(32, 32));
        Assert.Equal(want, buffer[32..]);

        Span<byte> leaf = stackalloc byte[40];
        Rfc6962.HashLeaf("a"u8, leaf);
        Assert.Equal(a, leaf[..32].ToArray());
    }

    [Fact]
    public void Span_overloads_do_not_allocate()
    {
        byte[] data = new byte[200];
        byte[] left = new byte[32];
        byte[] right = new byte[32];
        byte[] destination = new byte[32];
        Rfc6962.HashLeaf(data, destination);
        Rfc6962.HashChildren(left, right, destination);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            Rfc6962.HashLeaf(data, destination);
            Rfc6962.HashChildren(left, right, destination);
        }

        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    [Fact]
    public void Destinations_shorter_than_a_hash_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => Rfc6962.HashLeaf([], new byte[31]));
        Assert.Throws<ArgumentException>(() => Rfc6962.HashChildren([], [], new byte[31]));
    }

    [Fact]
    public void Large_inputs_hash_like_the_platform_sha256()
    {
        byte[] big = Encoding.ASCII.GetBytes(new string('x', 5000));
        Assert.Equal(SHA256.HashData([0, .. big]), Rfc6962.HashLeaf(big));
        Assert.Equal(SHA256.HashData([1, .. big, .. big]), Rfc6962.HashChildren(big, big));
    }

    [Fact]
    public void Batch_leaf_hashing_equals_one_by_one_for_random_leaves()
    {
        Gen.Byte.Array[0, 300].Array[0, 70].Sample(leaves =>
        {
            var batch = new byte[leaves.Length * 32];
            Rfc6962.HashLeaves(leaves, batch);
            var memories = new ReadOnlyMemory<byte>[leaves.Length];
            for (int i = 0; i < leaves.Length; i++)
            {
                memories[i] = leaves[i];
            }

            var batch2 = new byte[leaves.Length * 32];
            Rfc6962.HashLeaves(memories, batch2);
            for (int i = 0; i < leaves.Length; i++)
            {
                Assert.Equal(Rfc6962.HashLeaf(leaves[i]), batch.AsSpan(i * 32, 32).ToArray());
                Assert.Equal(Rfc6962.HashLeaf(leaves[i]), batch2.AsSpan(i * 32, 32).ToArray());
            }
        }, iter: 200);
    }

    [Fact]
    public void Pair_hashing_works_in_place()
    {
        Gen.Int[0, 80].Sample(pairs =>
        {
            byte[] buffer = TestTrees.Flat(TestTrees.LeafHashes.Take(2 * pairs));
            byte[][] want = [.. Enumerable.Range(0, pairs)
                .Select(i => Rfc6962.HashChildren(TestTrees.LeafHashes[2 * i], TestTrees.LeafHashes[(2 * i) + 1]))];
            Rfc6962.HashChildPairs(buffer, buffer);
            Assert.Equal(TestTrees.Flat(want), buffer[..(pairs * 32)]);
        }, iter: 100);
        Assert.Throws<ArgumentException>(() => Rfc6962.HashChildPairs(new byte[65], new byte[64]));
    }
}
