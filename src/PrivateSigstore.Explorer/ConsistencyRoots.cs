using PrivateSigstore.Core.Merkle;

namespace PrivateSigstore.Explorer;

/// <summary>
/// RFC 9162 §2.1.4.2 run forwards: from a consistency proof between sizes m and n, the two roots it implies. When m is
/// a power of two, the old root is the proof's implicit first node and must be known already (<c>firstRoot</c>).
/// </summary>
internal static class ConsistencyRoots
{
    /// <summary>
    /// The root of the first tree implied by <paramref name="proof"/>, after checking that the proof yields
    /// <paramref name="secondRoot"/>; with <paramref name="firstRoot"/> given, also that it matches it.
    /// </summary>
    /// <exception cref="ProofVerificationException">The proof does not connect the trees.</exception>
    public static byte[] FirstRoot(ulong first, ulong second, IReadOnlyList<byte[]> proof, byte[] secondRoot, byte[]? firstRoot = null)
    {
        if (first == 0 || first > second) throw new ProofVerificationException("sizes out of order");
        if (first == second)
        {
            if (proof.Count != 0) throw new ProofVerificationException("equal sizes need an empty proof");
            return firstRoot is null || firstRoot.AsSpan().SequenceEqual(secondRoot) ? secondRoot : throw new ProofVerificationException("roots differ at equal sizes");
        }
        if (proof.Count == 0 || proof.Any(h => h.Length != 32)) throw new ProofVerificationException("malformed proof");
        var path = new List<byte[]>(proof);
        // Step 1: a power-of-two first size proves from its own root.
        if ((first & (first - 1)) == 0)
        {
            if (firstRoot is null) throw new ProofVerificationException("at a power-of-two first size the old root is not in the proof; give it");
            path.Insert(0, firstRoot);
        }
        var fn = first - 1;
        var sn = second - 1;
        // Step 3: drop the common right-shifted low bits.
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }
        var fr = path[0];
        var sr = path[0];
        foreach (var c in path.Skip(1))
        {
            if (sn == 0) throw new ProofVerificationException("proof too long");
            if ((fn & 1) == 1 || fn == sn)
            {
                fr = Rfc6962.HashChildren(c, fr);
                sr = Rfc6962.HashChildren(c, sr);
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            else
            {
                sr = Rfc6962.HashChildren(sr, c);
            }
            fn >>= 1;
            sn >>= 1;
        }
        if (sn != 0) throw new ProofVerificationException("proof too short");
        if (!sr.AsSpan().SequenceEqual(secondRoot)) throw new ProofVerificationException("the proof does not lead to the second root");
        if (firstRoot is not null && !fr.AsSpan().SequenceEqual(firstRoot)) throw new ProofVerificationException("the proof does not lead to the given first root");
        return fr;
    }
}
