using System.Security.Cryptography;

namespace PrivateSigstore.Core.Merkle;

/// <summary>
/// The RFC 6962 §2.1 / RFC 9162 §2.1.1 Merkle tree hash functions over SHA-256
/// (as <c>transparency-dev/merkle/rfc6962</c>): leaves are hashed as <c>SHA-256(0x00 || data)</c>,
/// interior nodes as <c>SHA-256(0x01 || left || right)</c>, and the empty tree has root <c>SHA-256("")</c>.
/// </summary>
public static class Rfc6962
{
    /// <summary>The size in bytes of every hash this class produces.</summary>
    public const int HashSize = 32;

    /// <summary>The domain-separation prefix of leaf hashes.</summary>
    public const byte LeafPrefix = 0x00;

    /// <summary>The domain-separation prefix of interior-node hashes.</summary>
    public const byte NodePrefix = 0x01;

    /// <summary>The root hash of the empty tree: SHA-256 of the empty string (e3b0c442…b855).</summary>
    public static ReadOnlySpan<byte> EmptyRoot =>
    [
        0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
        0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
    ];

    /// <summary>Returns the leaf hash <c>SHA-256(0x00 || data)</c> as a new 32-byte array.</summary>
    public static byte[] HashLeaf(ReadOnlySpan<byte> data)
    {
        var hash = new byte[HashSize];
        HashLeaf(data, hash);
        return hash;
    }

    /// <summary>
    /// Writes the leaf hash <c>SHA-256(0x00 || data)</c> into the first 32 bytes of <paramref name="destination"/>.
    /// Allocates nothing for data shorter than 1 KiB (larger data is staged in a pooled buffer).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 32 bytes.</exception>
    public static void HashLeaf(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        RequireDestination(destination);
        Sha256MultiBuffer.HashOne(LeafPrefix, data, destination[..HashSize]);
    }

    /// <summary>Returns the interior-node hash <c>SHA-256(0x01 || left || right)</c> as a new 32-byte array.</summary>
    /// <remarks>Any input lengths are hashed as given (RFC 6962 test vectors hash non-32-byte children).</remarks>
    public static byte[] HashChildren(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        var hash = new byte[HashSize];
        HashChildren(left, right, hash);
        return hash;
    }

    /// <summary>
    /// Writes the interior-node hash <c>SHA-256(0x01 || left || right)</c> into the first 32 bytes of
    /// <paramref name="destination"/>, which may overlap either input. Allocates nothing when the
    /// children total less than 1 KiB.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than 32 bytes.</exception>
    public static void HashChildren(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right, Span<byte> destination)
    {
        RequireDestination(destination);
        int length = 1 + left.Length + right.Length;
        if (length <= 1024)
        {
            // stackalloc is zero-initialised: keep the common 65-byte case small.
            Span<byte> message = length <= 128 ? stackalloc byte[128] : stackalloc byte[1024];
            message[0] = NodePrefix;
            left.CopyTo(message[1..]);
            right.CopyTo(message[(1 + left.Length)..]);
            SHA256.HashData(message[..length], destination[..HashSize]);
            return;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData([NodePrefix]);
        hash.AppendData(left);
        hash.AppendData(right);
        Span<byte> digest = stackalloc byte[HashSize];
        hash.GetHashAndReset(digest);
        digest.CopyTo(destination);
    }

    /// <summary>
    /// Hashes every leaf: writes <c>HashLeaf(leaves[i])</c> into <c>destination[32*i .. 32*i+32)</c>.
    /// Uses multi-buffer SIMD SHA-256 where the CPU has it, which is several times faster than
    /// hashing the leaves one by one.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <c>32 * leaves.Count</c> bytes.</exception>
    public static void HashLeaves(IReadOnlyList<byte[]> leaves, Span<byte> destination)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        var source = new ArrayMessages(leaves);
        Sha256MultiBuffer.Hash(LeafPrefix, source, destination);
    }

    /// <summary>As <see cref="HashLeaves(IReadOnlyList{byte[]}, Span{byte})"/> for leaves held as memory blocks.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <c>32 * leaves.Length</c> bytes.</exception>
    public static void HashLeaves(ReadOnlySpan<ReadOnlyMemory<byte>> leaves, Span<byte> destination)
    {
        var source = new MemoryMessages(leaves);
        Sha256MultiBuffer.Hash(LeafPrefix, source, destination);
    }

    /// <summary>
    /// Hashes adjacent pairs: for every <c>i &lt; pairs.Length / 64</c> writes
    /// <c>HashChildren(pairs[64i .. 64i+32), pairs[64i+32 .. 64i+64))</c> into <c>destination[32i .. 32i+32)</c>.
    /// The destination may be the same buffer as the pairs (in-place level reduction).
    /// </summary>
    /// <exception cref="ArgumentException">The pairs are not a whole number of 64-byte pairs, or the destination is too short.</exception>
    public static void HashChildPairs(ReadOnlySpan<byte> pairs, Span<byte> destination)
    {
        if (pairs.Length % (2 * HashSize) != 0)
        {
            throw new ArgumentException("pairs must be a whole number of 64-byte (left || right) pairs", nameof(pairs));
        }

        int count = pairs.Length / (2 * HashSize);
        var source = new StridedMessages(pairs, 2 * HashSize, 2 * HashSize, count);
        Sha256MultiBuffer.Hash(NodePrefix, source, destination);
    }

    private static void RequireDestination(Span<byte> destination)
    {
        if (destination.Length < HashSize)
        {
            throw new ArgumentException("destination must hold at least 32 bytes", nameof(destination));
        }
    }
}
