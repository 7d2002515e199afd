using System.Text.Json;
using PrivateSigstore.Core.Merkle;

namespace PrivateSigstore.Core.Tests.Merkle;

/// <summary>Shared fixtures: deterministic leaves, reference node hashes, and the golden files.</summary>
internal static class TestTrees
{
    public const int MaxLeaves = 5000;

    private static readonly Lazy<byte[][]> s_leafHashes = new(() =>
        [.. Enumerable.Range(0, MaxLeaves).Select(i => Rfc6962.HashLeaf(BitConverter.GetBytes(i * 7919L)))]);

    /// <summary>Leaf hashes of a deterministic tree of <see cref="MaxLeaves"/> leaves.</summary>
    public static byte[][] LeafHashes => s_leafHashes.Value;

    public static string TestData(params string[] parts)
        => Path.Combine([AppContext.BaseDirectory, "testdata", "merkle", .. parts]);

    /// <summary>The reference hash of a perfect subtree of <see cref="LeafHashes"/>.</summary>
    public static byte[] ReferenceNode(NodeId id)
        => MerkleTree.RootFromLeafHashes(LeafHashes[(int)id.Begin..(int)id.End]);

    /// <summary>The reference root of the first <paramref name="size"/> leaves of <see cref="LeafHashes"/>.</summary>
    public static byte[] ReferenceRoot(ulong size)
        => MerkleTree.RootFromLeafHashes(LeafHashes[..(int)size]);

    public static byte[] Flip(byte[] hash, int bit)
    {
        var copy = (byte[])hash.Clone();
        copy[bit / 8 % copy.Length] ^= (byte)(1 << (bit % 8));
        return copy;
    }

    public static byte[][] Concat(IReadOnlyList<byte[]> hashes, int count) => [.. hashes.Take(count)];

    public static byte[] Flat(IEnumerable<byte[]> hashes) => [.. hashes.SelectMany(h => h)];

    public static Reference LoadReference()
    {
        using var stream = File.OpenRead(TestData("rfc6962-reference.json"));
        using var doc = JsonDocument.Parse(stream);
        JsonElement root = doc.RootElement;
        return new Reference(
            [.. root.GetProperty("leafInputsHex").EnumerateArray().Select(e => Convert.FromHexString(e.GetString()!))],
            [.. root.GetProperty("nodeHashesHexByLevel").EnumerateArray()
                .Select(level => level.EnumerateArray().Select(e => Convert.FromHexString(e.GetString()!)).ToArray())],
            [.. root.GetProperty("rootHashesHexBySize").EnumerateArray().Select(e => Convert.FromHexString(e.GetString()!))]);
    }

    /// <summary>The RFC 6962 reference tree of transparency-dev/merkle testonly/constants.go.</summary>
    internal sealed record Reference(byte[][] LeafInputs, byte[][][] NodeHashes, byte[][] RootHashes)
    {
        public byte[][] LeafHashes => [.. LeafInputs.Select(l => Rfc6962.HashLeaf(l))];

        public byte[] Node(NodeId id) => NodeHashes[id.Level][id.Index];
    }
}
