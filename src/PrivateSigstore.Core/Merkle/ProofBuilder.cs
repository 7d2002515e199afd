using System.Numerics;

namespace PrivateSigstore.Core.Merkle;

/// <summary>
/// Chooses the stored nodes for RFC 6962 / RFC 9162 inclusion and consistency proofs
/// (a port of transparency-dev/merkle <c>proof.Inclusion</c> and <c>proof.Consistency</c>).
/// </summary>
public static class ProofBuilder
{
    /// <summary>The nodes of the inclusion proof of leaf <paramref name="index"/> in a tree of <paramref name="size"/> leaves.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> &gt;= <paramref name="size"/>.</exception>
    public static ProofNodes Inclusion(ulong index, ulong size)
    {
        if (index >= size)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"index {index} out of bounds for tree size {size}");
        }

        return Nodes(index, 0, size, skipFirst: true);
    }

    /// <summary>
    /// The nodes of the consistency proof between tree sizes <paramref name="size1"/> and
    /// <paramref name="size2"/>; empty when the sizes are equal.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size1"/> is 0 (a proof from the empty tree is meaningless) or exceeds <paramref name="size2"/>.</exception>
    public static ProofNodes Consistency(ulong size1, ulong size2)
    {
        if (size1 > size2)
        {
            throw new ArgumentOutOfRangeException(nameof(size1), size1, $"tree size {size1} > {size2}");
        }

        if (size1 == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size1), size1, "consistency proof from empty tree is meaningless");
        }

        if (size1 == size2)
        {
            return new ProofNodes([], 0, 0, default);
        }

        // The biggest perfect subtree of [0, size1) that ends at size1, then its inclusion path in size2.
        int level = BitOperations.TrailingZeroCount(size1);
        ulong index = (size1 - 1) >> level;

        // A perfect size1 tree's root is known to the verifier from its checkpoint: leave it out.
        return Nodes(index, level, size2, skipFirst: BitOperations.IsPow2(size1));
    }

    /// <summary>
    /// Builds the inclusion proof of leaf <paramref name="index"/> in a tree of <paramref name="size"/>
    /// leaves, reading perfect-subtree hashes from <paramref name="getNode"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> &gt;= <paramref name="size"/>.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="getNode"/> returned null or a hash that is not 32 bytes.</exception>
    public static byte[][] InclusionProof(ulong index, ulong size, Func<NodeId, byte[]> getNode)
    {
        ArgumentNullException.ThrowIfNull(getNode);
        return Fetch(Inclusion(index, size), getNode);
    }

    /// <summary>
    /// Builds the consistency proof between tree sizes <paramref name="size1"/> and
    /// <paramref name="size2"/>, reading perfect-subtree hashes from <paramref name="getNode"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size1"/> is 0 or exceeds <paramref name="size2"/>.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="getNode"/> returned null or a hash that is not 32 bytes.</exception>
    public static byte[][] ConsistencyProof(ulong size1, ulong size2, Func<NodeId, byte[]> getNode)
    {
        ArgumentNullException.ThrowIfNull(getNode);
        return Fetch(Consistency(size1, size2), getNode);
    }

    private static byte[][] Fetch(ProofNodes nodes, Func<NodeId, byte[]> getNode)
    {
        var hashes = new byte[nodes.Ids.Count][];
        for (int i = 0; i < hashes.Length; i++)
        {
            byte[]? hash = getNode(nodes.Ids[i]);
            if (hash is not { Length: Rfc6962.HashSize })
            {
                throw new InvalidOperationException($"node store returned {hash?.Length.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"} bytes for node {nodes.Ids[i]}, want {Rfc6962.HashSize}");
            }

            hashes[i] = hash;
        }

        return nodes.Rehash(hashes);
    }

    /// <summary>
    /// The nodes proving that node (<paramref name="level"/>, <paramref name="index"/>) is in the tree of
    /// <paramref name="size"/> leaves: the node itself, its siblings up to the fork (the highest
    /// ancestor fully inside the tree), the perfect subtrees covering the right of the fork (children of
    /// the ephemeral node, lowest first), and those covering its left (lowest first).
    /// </summary>
    private static ProofNodes Nodes(ulong index, int level, ulong size, bool skipFirst)
    {
        int inner = BitLength(index ^ (size >> level)) - 1;
        var fork = new NodeId(level + inner, index >> inner);
        ulong begin = fork.Begin;
        ulong end = fork.End;
        int left = RangeSize(0, begin);
        int right = RangeSize(end, size);

        var nodes = new List<NodeId>(1 + inner + right + left);
        var node = new NodeId(level, index);
        nodes.Add(node);
        for (; node.Level < fork.Level; node = node.Parent)
        {
            nodes.Add(node.Sibling);
        }

        int len1 = nodes.Count;
        AddRangeNodes(end, size, nodes);
        nodes.Reverse(len1, right);
        int len2 = nodes.Count;
        AddRangeNodes(0, begin, nodes);
        nodes.Reverse(len2, left);

        if (len1 >= len2)
        {
            len1 = len2 = 0;
        }

        if (skipFirst)
        {
            nodes.RemoveAt(0);
            if (len1 < len2)
            {
                len1--;
                len2--;
            }
        }

        return new ProofNodes([.. nodes], len1, len2, fork.Sibling);
    }

    private static int BitLength(ulong x) => 64 - BitOperations.LeadingZeroCount(x);

    /// <summary>The left and right border masks of the compact range [begin, end) (compact.Decompose).</summary>
    private static (ulong Left, ulong Right) Decompose(ulong begin, ulong end)
    {
        if (begin == 0)
        {
            return (0, end);
        }

        ulong xbegin = begin - 1;
        int d = BitLength(xbegin ^ end) - 1;
        ulong mask = (1UL << d) - 1;
        return (~xbegin & mask, end & mask);
    }

    private static int RangeSize(ulong begin, ulong end)
    {
        (ulong left, ulong right) = Decompose(begin, end);
        return BitOperations.PopCount(left) + BitOperations.PopCount(right);
    }

    /// <summary>Appends the perfect subtrees of the compact range [begin, end), left to right (compact.RangeNodes).</summary>
    private static void AddRangeNodes(ulong begin, ulong end, List<NodeId> ids)
    {
        (ulong left, ulong right) = Decompose(begin, end);
        ulong pos = begin;
        while (left != 0)
        {
            int level = BitOperations.TrailingZeroCount(left);
            ulong bit = 1UL << level;
            ids.Add(new NodeId(level, pos >> level));
            pos += bit;
            left ^= bit;
        }

        while (right != 0)
        {
            int level = BitLength(right) - 1;
            ulong bit = 1UL << level;
            ids.Add(new NodeId(level, pos >> level));
            pos += bit;
            right ^= bit;
        }
    }
}
