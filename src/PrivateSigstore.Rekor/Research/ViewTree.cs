using System.Buffers.Binary;
using PrivateSigstore.Core.Merkle;

namespace PrivateSigstore.Rekor.Research;

/// <summary>
/// One view of the research log held in memory: its leaves and every perfect-subtree hash, from which the C2SP tlog-tiles
/// reads (tiles, entry bundles), the root and consistency proofs are answered. Forked, rewritten or trimmed views are
/// built as these, so the honest log's store is never touched.
/// </summary>
internal sealed class ViewTree
{
    private readonly IReadOnlyList<byte[]> _leaves;
    private readonly Dictionary<NodeId, byte[]> _nodes = [];

    public ViewTree(IReadOnlyList<byte[]> leaves)
    {
        _leaves = leaves;
        var range = CompactRange.Empty();
        foreach (var leaf in leaves)
        {
            range.Append(Rfc6962.HashLeaf(leaf), (id, hash) => _nodes[id] = hash.ToArray());
        }
        Root = range.GetRootHash();
    }

    /// <summary>The number of leaves.</summary>
    public ulong Size => (ulong)_leaves.Count;

    /// <summary>The RFC 6962 root of all the leaves.</summary>
    public byte[] Root { get; }

    /// <summary>The leaf at <paramref name="index"/>.</summary>
    public byte[] Leaf(ulong index) => _leaves[checked((int)index)];

    /// <summary>The tile (<paramref name="level"/>, <paramref name="index"/>) of <paramref name="width"/> hashes, or null when beyond this view.</summary>
    public byte[]? Tile(int level, ulong index, int width)
    {
        var nodeLevel = level * TileId.Height;
        if (nodeLevel >= 64) return null;
        var nodesAtLevel = Size >> nodeLevel;
        if (index > (ulong.MaxValue >> 8) || (index << 8) + (ulong)width > nodesAtLevel) return null;
        var tile = new byte[width * Rfc6962.HashSize];
        for (var i = 0; i < width; i++)
        {
            _nodes[new NodeId(nodeLevel, (index << 8) + (ulong)i)].CopyTo(tile, i * Rfc6962.HashSize);
        }
        return tile;
    }

    /// <summary>Entry bundle <paramref name="index"/> of <paramref name="width"/> entries (uint16 length ‖ entry each), or null when beyond this view.</summary>
    public byte[]? EntryBundle(ulong index, int width)
    {
        if (index > (ulong.MaxValue >> 8) || (index << 8) + (ulong)width > Size) return null;
        var first = checked((int)(index << 8));
        var length = 0;
        for (var i = 0; i < width; i++) length += 2 + _leaves[first + i].Length;
        var bundle = new byte[length];
        var at = 0;
        for (var i = 0; i < width; i++)
        {
            var leaf = _leaves[first + i];
            BinaryPrimitives.WriteUInt16BigEndian(bundle.AsSpan(at), checked((ushort)leaf.Length));
            leaf.CopyTo(bundle, at + 2);
            at += 2 + leaf.Length;
        }
        return bundle;
    }

    /// <summary>The consistency proof from <paramref name="size1"/> to this view's size (empty when equal or from 0).</summary>
    public byte[][] ConsistencyProof(ulong size1) =>
        size1 == 0 || size1 >= Size ? [] : ProofBuilder.ConsistencyProof(size1, Size, id => _nodes[id]);
}
