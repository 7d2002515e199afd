using System.Buffers;
using System.Numerics;

namespace PrivateSigstore.Core.Merkle;

/// <summary>
/// The incremental state of a log Merkle tree of leaves <c>[0, Size)</c>: the hashes of the perfect
/// subtrees that exactly cover the leaves, one per set bit of <see cref="Size"/>
/// (transparency-dev/merkle <c>compact.Range</c> for ranges starting at 0). Appending a leaf merges
/// equal-sized subtrees; the RFC 6962 root is the right-to-left fold of the hashes.
/// </summary>
/// <remarks>Not thread-safe: one writer at a time.</remarks>
public sealed class CompactRange
{
    /// <summary>A tree of up to 2^64 - 1 leaves has at most 64 perfect subtrees in its compact range.</summary>
    private const int MaxHashes = 64;

    /// <summary>Batches are integrated this many leaves at a time, bounding the working memory to ~256 KiB.</summary>
    private const int ChunkLeaves = 4096;

    private const int HashSize = Rfc6962.HashSize;

    /// <summary>The compact-range hashes, left to right (largest subtree first), 32 bytes each.</summary>
    private readonly byte[] _hashes;

    private CompactRange(ulong size, byte[] hashes)
    {
        Size = size;
        _hashes = hashes;
    }

    /// <summary>
    /// Restores a compact range of <paramref name="size"/> leaves from its hashes (as returned by
    /// <see cref="Hashes"/>: left to right, largest subtree first).
    /// </summary>
    /// <exception cref="WireFormatException">The hash count is not popcount(<paramref name="size"/>), or a hash is not 32 bytes.</exception>
    public CompactRange(ulong size, IReadOnlyList<byte[]> hashes)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        int want = BitOperations.PopCount(size);
        if (hashes.Count != want)
        {
            throw new WireFormatException($"compact range of size {size} needs {want} hashes, got {hashes.Count}");
        }

        _hashes = new byte[MaxHashes * HashSize];
        for (int i = 0; i < want; i++)
        {
            byte[]? hash = hashes[i];
            if (hash is null || hash.Length != HashSize)
            {
                throw new WireFormatException($"compact range hash {i} has {hash?.Length ?? 0} bytes, want {HashSize}");
            }

            hash.CopyTo(_hashes, i * HashSize);
        }

        Size = size;
    }

    /// <summary>The number of leaves covered: the range is <c>[0, Size)</c>.</summary>
    public ulong Size { get; private set; }

    /// <summary>
    /// A snapshot of the perfect-subtree hashes, left to right (largest subtree first); there are
    /// popcount(<see cref="Size"/>) of them. Each call returns fresh copies.
    /// </summary>
    public IReadOnlyList<byte[]> Hashes
    {
        get
        {
            int count = BitOperations.PopCount(Size);
            var result = new byte[count][];
            for (int i = 0; i < count; i++)
            {
                result[i] = _hashes.AsSpan(i * HashSize, HashSize).ToArray();
            }

            return result;
        }
    }

    /// <summary>Creates the compact range of the empty tree.</summary>
    public static CompactRange Empty() => new(0, new byte[MaxHashes * HashSize]);

    /// <summary>Returns an independent copy of this range.</summary>
    public CompactRange Clone() => new(Size, (byte[])_hashes.Clone());

    /// <summary>
    /// Appends one leaf by its 32-byte leaf hash. The visitor, if any, is called first for the leaf
    /// (level 0, index = old <see cref="Size"/>) and then for every perfect-subtree node the append
    /// completes, bottom-up.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="leafHash"/> is not 32 bytes.</exception>
    /// <exception cref="InvalidOperationException">The tree already holds 2^64 - 1 leaves.</exception>
    public void Append(ReadOnlySpan<byte> leafHash, NodeVisitor? visitor = null)
    {
        if (leafHash.Length != HashSize)
        {
            throw new ArgumentException($"leaf hash must be {HashSize} bytes, got {leafHash.Length}", nameof(leafHash));
        }

        if (Size == ulong.MaxValue)
        {
            throw new InvalidOperationException("the tree is full");
        }

        ulong index = Size;
        visitor?.Invoke(new NodeId(0, index), leafHash);
        int count = BitOperations.PopCount(index);
        Span<byte> hash = stackalloc byte[HashSize];
        leafHash.CopyTo(hash);
        int level = 0;
        while ((index & 1) == 1)
        {
            count--;
            Rfc6962.HashChildren(_hashes.AsSpan(count * HashSize, HashSize), hash, hash);
            index >>= 1;
            level++;
            visitor?.Invoke(new NodeId(level, index), hash);
        }

        hash.CopyTo(_hashes.AsSpan(count * HashSize));
        Size++;
    }

    /// <summary>
    /// Appends a batch of leaves given as concatenated 32-byte leaf hashes, hashing independent
    /// interior nodes together with multi-buffer SIMD SHA-256 (several times faster than calling
    /// <see cref="Append"/> per leaf). The result equals appending the leaves one by one. The visitor,
    /// if any, sees every new node (the leaves included) exactly once and each node after its
    /// children, but not in the interleaved order of <see cref="Append"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="leafHashes"/> is not a multiple of 32 bytes.</exception>
    /// <exception cref="InvalidOperationException">The batch would overflow a 2^64 - 1 leaf tree.</exception>
    public void AppendMany(ReadOnlySpan<byte> leafHashes, NodeVisitor? visitor = null)
    {
        if (leafHashes.Length % HashSize != 0)
        {
            throw new ArgumentException($"leaf hashes must be a multiple of {HashSize} bytes, got {leafHashes.Length}", nameof(leafHashes));
        }

        int total = leafHashes.Length / HashSize;
        if ((ulong)total > ulong.MaxValue - Size)
        {
            throw new InvalidOperationException("the batch would overflow the tree size");
        }

        if (total == 0)
        {
            return;
        }

        int bufferBytes = (Math.Min(total, ChunkLeaves) + 1) * HashSize;
        byte[] even = ArrayPool<byte>.Shared.Rent(bufferBytes);
        byte[] odd = ArrayPool<byte>.Shared.Rent(bufferBytes);
        try
        {
            for (int done = 0; done < total; done += ChunkLeaves)
            {
                int n = Math.Min(ChunkLeaves, total - done);
                AppendChunk(leafHashes.Slice(done * HashSize, n * HashSize), visitor, even, odd);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(even);
            ArrayPool<byte>.Shared.Return(odd);
        }
    }

    /// <summary>
    /// Hashes each entry as an RFC 6962 leaf (<c>SHA-256(0x00 || entry)</c>) and appends the batch as
    /// <see cref="AppendMany"/> does, with the same visitor contract.
    /// </summary>
    /// <exception cref="InvalidOperationException">The batch would overflow a 2^64 - 1 leaf tree.</exception>
    public void AppendEntries(IReadOnlyList<byte[]> entries, NodeVisitor? visitor = null)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return;
        }

        int bytes = entries.Count * HashSize;
        byte[] leafHashes = ArrayPool<byte>.Shared.Rent(bytes);
        try
        {
            Rfc6962.HashLeaves(entries, leafHashes);
            AppendMany(leafHashes.AsSpan(0, bytes), visitor);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(leafHashes);
        }
    }

    /// <summary>
    /// Returns the RFC 6962 root hash of leaves <c>[0, Size)</c>: <see cref="Rfc6962.EmptyRoot"/> for
    /// the empty tree, otherwise the right-to-left fold of <see cref="Hashes"/> (the non-balanced
    /// right edge of RFC 6962 §2.1).
    /// </summary>
    public byte[] GetRootHash()
    {
        var root = new byte[HashSize];
        GetRootHash(root);
        return root;
    }

    /// <summary>Writes the root hash (see <see cref="GetRootHash()"/>) into the first 32 bytes of <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 32 bytes.</exception>
    public void GetRootHash(Span<byte> destination)
    {
        if (destination.Length < HashSize)
        {
            throw new ArgumentException("destination must hold at least 32 bytes", nameof(destination));
        }

        int count = BitOperations.PopCount(Size);
        if (count == 0)
        {
            Rfc6962.EmptyRoot.CopyTo(destination);
            return;
        }

        Span<byte> hash = stackalloc byte[HashSize];
        _hashes.AsSpan((count - 1) * HashSize, HashSize).CopyTo(hash);
        for (int i = count - 2; i >= 0; i--)
        {
            Rfc6962.HashChildren(_hashes.AsSpan(i * HashSize, HashSize), hash, hash);
        }

        hash.CopyTo(destination);
    }

    /// <summary>The stored hash of the compact-range node at <paramref name="level"/> (bit <paramref name="level"/> of Size is set).</summary>
    private Span<byte> HashAtLevel(int level)
        => _hashes.AsSpan(BitOperations.PopCount(Size >> level >> 1) * HashSize, HashSize);

    /// <summary>
    /// Integrates one chunk level by level. At level l the working buffer holds the level-l nodes
    /// <c>[start, newSize &gt;&gt; l)</c> where <c>start</c> is <c>(oldSize &gt;&gt; l)</c> rounded down to even:
    /// the new nodes plus, when <c>oldSize &gt;&gt; l</c> is odd, the old left sibling from this range.
    /// Every adjacent pair is a new parent, and all of a level's parents are hashed in one SIMD batch.
    /// </summary>
    private void AppendChunk(ReadOnlySpan<byte> leaves, NodeVisitor? visitor, byte[] even, byte[] odd)
    {
        int n = leaves.Length / HashSize;
        ulong oldSize = Size;
        ulong newSize = oldSize + (ulong)n;
        if (visitor is not null)
        {
            for (int i = 0; i < n; i++)
            {
                visitor(new NodeId(0, oldSize + (ulong)i), leaves.Slice(i * HashSize, HashSize));
            }
        }

        Span<byte> current = even;
        Span<byte> next = odd;
        int count = 0;
        if ((oldSize & 1) == 1)
        {
            HashAtLevel(0).CopyTo(current);
            count = 1;
        }

        leaves.CopyTo(current[(count * HashSize)..]);
        count += n;

        // The new right-border (compact-range) node of each level up to the last one with new nodes.
        Span<byte> border = stackalloc byte[MaxHashes * HashSize];
        int level = 0;
        while (true)
        {
            if (((newSize >> level) & 1) == 1)
            {
                current.Slice((count - 1) * HashSize, HashSize).CopyTo(border[(level * HashSize)..]);
            }

            int pairs = count / 2;
            if (pairs == 0)
            {
                break;
            }

            ulong firstParent = oldSize >> (level + 1);
            int offset = 0;
            if ((firstParent & 1) == 1)
            {
                HashAtLevel(level + 1).CopyTo(next);
                offset = 1;
            }

            Rfc6962.HashChildPairs(current[..(pairs * 2 * HashSize)], next[(offset * HashSize)..]);
            if (visitor is not null)
            {
                for (int j = 0; j < pairs; j++)
                {
                    visitor(new NodeId(level + 1, firstParent + (ulong)j), next.Slice((offset + j) * HashSize, HashSize));
                }
            }

            count = offset + pairs;
            Span<byte> swap = current;
            current = next;
            next = swap;
            level++;
        }

        // Levels above `level` gained no nodes: their compact-range hashes (if any) keep their slots.
        // Levels up to `level` take the border nodes, at the slots counted from the new size.
        for (int l = level; l >= 0; l--)
        {
            if (((newSize >> l) & 1) == 1)
            {
                int slot = BitOperations.PopCount(newSize >> l >> 1);
                border.Slice(l * HashSize, HashSize).CopyTo(_hashes.AsSpan(slot * HashSize));
            }
        }

        Size = newSize;
    }
}
