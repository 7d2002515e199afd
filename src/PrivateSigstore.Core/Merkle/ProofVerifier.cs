using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics;

namespace PrivateSigstore.Core.Merkle;

/// <summary>
/// Verifies RFC 9162 inclusion (§2.1.3.2) and consistency (§2.1.4.2) proofs over RFC 6962 SHA-256
/// trees, with the semantics of transparency-dev/merkle <c>proof/verify.go</c>. Every hash (leaf,
/// proof element, root) must be 32 bytes. Verification allocates nothing on success.
/// </summary>
public static class ProofVerifier
{
    private const int HashSize = Rfc6962.HashSize;

    /// <summary>The reason given when a proof is well formed but leads to another root.</summary>
    public const string RootMismatch = "calculated root differs from expected root";

    /// <summary>
    /// Checks that <paramref name="proof"/> proves the leaf with <paramref name="leafHash"/> is at
    /// <paramref name="index"/> in the tree of <paramref name="size"/> leaves whose root is <paramref name="root"/>.
    /// </summary>
    /// <exception cref="ProofVerificationException">The proof is malformed or does not lead to <paramref name="root"/>; the reason says which.</exception>
    public static void VerifyInclusion(ReadOnlySpan<byte> leafHash, ulong index, ulong size, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root)
    {
        if (!TryVerifyInclusion(leafHash, index, size, proof, root, out string? reason))
        {
            throw new ProofVerificationException(reason);
        }
    }

    /// <summary>As <see cref="VerifyInclusion"/>, returning false with the reason instead of throwing.</summary>
    public static bool TryVerifyInclusion(
        ReadOnlySpan<byte> leafHash, ulong index, ulong size, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root,
        [NotNullWhen(false)] out string? reason)
    {
        Span<byte> calculated = stackalloc byte[HashSize];
        reason = RootFromInclusion(leafHash, index, size, proof, calculated) ?? Match(calculated, root, "root");
        return reason is null;
    }

    /// <summary>
    /// Computes the root of the tree of <paramref name="size"/> leaves implied by the leaf with
    /// <paramref name="leafHash"/> at <paramref name="index"/> and its inclusion <paramref name="proof"/>
    /// (RFC 9162 §2.1.3.2 steps 1-5; the caller compares the result with a trusted root).
    /// </summary>
    /// <exception cref="ProofVerificationException">index &gt;= size, a hash is not 32 bytes, or the proof has the wrong length.</exception>
    public static byte[] RootFromInclusionProof(ReadOnlySpan<byte> leafHash, ulong index, ulong size, IReadOnlyList<byte[]> proof)
    {
        var root = new byte[HashSize];
        string? reason = RootFromInclusion(leafHash, index, size, proof, root);
        return reason is null ? root : throw new ProofVerificationException(reason);
    }

    /// <summary>
    /// Checks that <paramref name="proof"/> proves the tree of <paramref name="size1"/> leaves with root
    /// <paramref name="root1"/> is a prefix of the tree of <paramref name="size2"/> leaves with root
    /// <paramref name="root2"/>. As in Go: size1 must be at least 1 (a proof from the empty tree is
    /// meaningless); equal sizes need an empty proof and equal roots.
    /// </summary>
    /// <exception cref="ProofVerificationException">The proof is malformed or does not connect the two roots; the reason says which.</exception>
    public static void VerifyConsistency(ulong size1, ulong size2, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root1, ReadOnlySpan<byte> root2)
    {
        if (!TryVerifyConsistency(size1, size2, proof, root1, root2, out string? reason))
        {
            throw new ProofVerificationException(reason);
        }
    }

    /// <summary>As <see cref="VerifyConsistency"/>, returning false with the reason instead of throwing.</summary>
    public static bool TryVerifyConsistency(
        ulong size1, ulong size2, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root1, ReadOnlySpan<byte> root2,
        [NotNullWhen(false)] out string? reason)
    {
        Span<byte> calculated = stackalloc byte[HashSize];
        reason = RootFromConsistency(size1, size2, proof, root1, calculated) ?? Match(calculated, root2, "root2");
        return reason is null;
    }

    /// <summary>
    /// Computes the root of the tree of <paramref name="size2"/> leaves implied by the tree of
    /// <paramref name="size1"/> leaves with root <paramref name="root1"/> and the consistency
    /// <paramref name="proof"/>, after checking that the proof is consistent with <paramref name="root1"/>.
    /// </summary>
    /// <exception cref="ProofVerificationException">The sizes are invalid, a hash is not 32 bytes, the proof has the wrong length, or it does not match <paramref name="root1"/>.</exception>
    public static byte[] RootFromConsistencyProof(ulong size1, ulong size2, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root1)
    {
        var root = new byte[HashSize];
        string? reason = RootFromConsistency(size1, size2, proof, root1, root);
        return reason is null ? root : throw new ProofVerificationException(reason);
    }

    private static string? Match(ReadOnlySpan<byte> calculated, ReadOnlySpan<byte> expected, string name)
    {
        if (expected.Length != HashSize)
        {
            return Invariant($"{name} has unexpected size {expected.Length}, want {HashSize}");
        }

        return calculated.SequenceEqual(expected) ? null : RootMismatch;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>Checks that every proof element is a 32-byte hash.</summary>
    private static string? CheckProofHashes(IReadOnlyList<byte[]> proof)
    {
        for (int i = 0; i < proof.Count; i++)
        {
            if (proof[i] is not { Length: HashSize })
            {
                return Invariant($"proof hash {i} has unexpected size {proof[i]?.Length ?? 0}, want {HashSize}");
            }
        }

        return null;
    }

    /// <summary>RFC 9162 §2.1.3.2 (Go RootFromInclusionProof): writes the implied root, or returns why it cannot.</summary>
    private static string? RootFromInclusion(ReadOnlySpan<byte> leafHash, ulong index, ulong size, IReadOnlyList<byte[]> proof, Span<byte> root)
    {
        ArgumentNullException.ThrowIfNull(proof);

        // §2.1.3.2 step 1: the leaf index must lie inside the tree.
        if (index >= size)
        {
            return Invariant($"index is beyond size: {index} >= {size}");
        }

        if (leafHash.Length != HashSize)
        {
            return Invariant($"leaf hash has unexpected size {leafHash.Length}, want {HashSize}");
        }

        // The proof length is fixed by (index, size): inner nodes below the fork, then one left border node per level.
        (int inner, int border) = DecomposeInclusion(index, size);
        if (proof.Count != inner + border)
        {
            return Invariant($"wrong proof size {proof.Count}, want {inner + border}");
        }

        if (CheckProofHashes(proof) is { } bad)
        {
            return bad;
        }

        leafHash.CopyTo(root);
        ChainInner(root, proof, 0, inner, index);
        ChainBorderRight(root, proof, inner, proof.Count);
        return null;
    }

    /// <summary>RFC 9162 §2.1.4.2 (Go RootFromConsistencyProof with start 0): writes the implied size2 root, or returns why it cannot.</summary>
    private static string? RootFromConsistency(ulong size1, ulong size2, IReadOnlyList<byte[]> proof, ReadOnlySpan<byte> root1, Span<byte> root)
    {
        ArgumentNullException.ThrowIfNull(proof);
        if (size2 < size1)
        {
            return Invariant($"size2 ({size2}) < size1 ({size1})");
        }

        // Go: a consistency proof from the empty tree is meaningless, even to an empty tree.
        if (size1 == 0)
        {
            return "consistency proof from empty tree is meaningless";
        }

        if (root1.Length != HashSize)
        {
            return Invariant($"root1 has unexpected size {root1.Length}, want {HashSize}");
        }

        // Equal sizes: nothing to prove; the roots must simply be equal.
        if (size1 == size2)
        {
            if (proof.Count > 0)
            {
                return "size1=size2, but proof is not empty";
            }

            root1.CopyTo(root);
            return null;
        }

        if (proof.Count == 0)
        {
            return "empty proof";
        }

        if (CheckProofHashes(proof) is { } bad)
        {
            return bad;
        }

        // The proof is a suffix of the inclusion proof of the last perfect subtree of [0, size1) (at
        // level `shift`) in the size2 tree, preceded by that subtree's hash unless size1 is a power of two.
        (int forkLevel, int border) = DecomposeInclusion(size1 - 1, size2);
        int shift = BitOperations.TrailingZeroCount(size1);
        int inner = forkLevel - shift;
        bool perfect = BitOperations.IsPow2(size1);
        int first = perfect ? 0 : 1;
        if (proof.Count != first + inner + border)
        {
            return Invariant($"wrong proof size {proof.Count}, want {first + inner + border}");
        }

        ReadOnlySpan<byte> seed = perfect ? root1 : proof[0];
        ulong mask = (size1 - 1) >> shift;

        // A non-perfect size1 tree is rebuilt from the left-hand proof nodes and must equal root1.
        if (!perfect)
        {
            Span<byte> hash1 = stackalloc byte[HashSize];
            seed.CopyTo(hash1);
            ChainInnerRight(hash1, proof, first, first + inner, mask);
            ChainBorderRight(hash1, proof, first + inner, proof.Count);
            if (!hash1.SequenceEqual(root1))
            {
                return "calculated root1 differs from expected root1";
            }
        }

        seed.CopyTo(root);
        ChainInner(root, proof, first, first + inner, mask);
        ChainBorderRight(root, proof, first + inner, proof.Count);
        return null;
    }

    /// <summary>
    /// Splits the inclusion proof of leaf <paramref name="index"/> in a tree of <paramref name="size"/>
    /// leaves where the paths to <paramref name="index"/> and <c>size - 1</c> diverge: the number of
    /// inner nodes (below the fork, either side) and of border nodes (above it, left siblings only).
    /// </summary>
    private static (int Inner, int Border) DecomposeInclusion(ulong index, ulong size)
    {
        int inner = 64 - BitOperations.LeadingZeroCount(index ^ (size - 1));
        int border = inner >= 64 ? 0 : BitOperations.PopCount(index >> inner);
        return (inner, border);
    }

    /// <summary>Folds proof[from..to) into <paramref name="hash"/>, taking each side from bit i of <paramref name="index"/>.</summary>
    private static void ChainInner(Span<byte> hash, IReadOnlyList<byte[]> proof, int from, int to, ulong index)
    {
        for (int i = from; i < to; i++)
        {
            if (((index >> (i - from)) & 1) == 0)
            {
                Rfc6962.HashChildren(hash, proof[i], hash);
            }
            else
            {
                Rfc6962.HashChildren(proof[i], hash, hash);
            }
        }
    }

    /// <summary>As <see cref="ChainInner"/> but only left siblings count: rebuilds the earlier, smaller tree.</summary>
    private static void ChainInnerRight(Span<byte> hash, IReadOnlyList<byte[]> proof, int from, int to, ulong index)
    {
        for (int i = from; i < to; i++)
        {
            if (((index >> (i - from)) & 1) == 1)
            {
                Rfc6962.HashChildren(proof[i], hash, hash);
            }
        }
    }

    /// <summary>Folds left-sibling border hashes proof[from..to) into <paramref name="hash"/>.</summary>
    private static void ChainBorderRight(Span<byte> hash, IReadOnlyList<byte[]> proof, int from, int to)
    {
        for (int i = from; i < to; i++)
        {
            Rfc6962.HashChildren(proof[i], hash, hash);
        }
    }
}
