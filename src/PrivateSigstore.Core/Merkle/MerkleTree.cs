namespace PrivateSigstore.Core.Merkle;

/// <summary>Root hashes of whole RFC 6962 trees computed from their leaf hashes.</summary>
public static class MerkleTree
{
    /// <summary>
    /// The reference Merkle Tree Hash of RFC 6962 §2.1 / RFC 9162 §2.1.1, computed by its recursive
    /// definition: MTH({}) = SHA-256(""), MTH({d}) = d (a leaf hash), and for n &gt; 1 with k the
    /// largest power of two below n, MTH(D[n]) = HashChildren(MTH(D[0:k]), MTH(D[k:n])).
    /// Simple and slow: meant as the oracle for tests.
    /// </summary>
    /// <param name="leafHashes">The leaf hashes (already hashed with <see cref="Rfc6962.HashLeaf(ReadOnlySpan{byte})"/>).</param>
    public static byte[] RootFromLeafHashes(IReadOnlyList<byte[]> leafHashes)
    {
        ArgumentNullException.ThrowIfNull(leafHashes);
        return leafHashes.Count switch
        {
            0 => Rfc6962.EmptyRoot.ToArray(),
            1 => (byte[])leafHashes[0].Clone(),
            _ => Subtree(leafHashes, 0, leafHashes.Count),
        };
    }

    /// <summary>
    /// The RFC 6962 root of the leaves whose 32-byte hashes are concatenated in
    /// <paramref name="leafHashesConcatenated"/>, computed level by level with multi-buffer SIMD
    /// SHA-256 in bounded memory. Equals <see cref="RootFromLeafHashes"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The input is not a multiple of 32 bytes.</exception>
    public static byte[] ComputeRoot(ReadOnlySpan<byte> leafHashesConcatenated)
    {
        var range = CompactRange.Empty();
        range.AppendMany(leafHashesConcatenated);
        return range.GetRootHash();
    }

    private static byte[] Subtree(IReadOnlyList<byte[]> leaves, int begin, int end)
    {
        int n = end - begin;
        if (n == 1)
        {
            return leaves[begin];
        }

        int k = 1;
        while (k << 1 < n)
        {
            k <<= 1;
        }

        return Rfc6962.HashChildren(Subtree(leaves, begin, begin + k), Subtree(leaves, begin + k, end));
    }
}
