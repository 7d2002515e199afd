using System.Collections.ObjectModel;

namespace PrivateSigstore.Core.Merkle;

/// <summary>
/// How to assemble an RFC 6962 inclusion or consistency proof from stored nodes
/// (transparency-dev/merkle <c>proof.Nodes</c>). <see cref="Ids"/> lists only perfect subtrees, which a
/// tile store can serve. A proof may need one ephemeral node (a right-border node of a non-perfect
/// tree); its perfect-subtree children appear consecutively in <see cref="Ids"/>, lowest level first,
/// and <see cref="Rehash"/> folds them into it.
/// </summary>
public sealed class ProofNodes
{
    private readonly int _begin;
    private readonly int _end;

    internal ProofNodes(NodeId[] ids, int begin, int end, NodeId ephemeralNode)
    {
        Ids = new ReadOnlyCollection<NodeId>(ids);
        _begin = begin;
        _end = end;
        EphemeralNode = ephemeralNode;
    }

    /// <summary>The perfect-subtree nodes whose hashes, in this order, <see cref="Rehash"/> turns into the proof.</summary>
    public IReadOnlyList<NodeId> Ids { get; }

    /// <summary>
    /// The ephemeral node the proof would use if the tree were perfect. Only meaningful when
    /// <see cref="EphemeralChildren"/> is not empty.
    /// </summary>
    public NodeId EphemeralNode { get; }

    /// <summary>The positions in <see cref="Ids"/> of the nodes that are folded into <see cref="EphemeralNode"/>; empty if none.</summary>
    public Range EphemeralChildren => _begin.._end;

    /// <summary>The number of hashes in the finished proof.</summary>
    public int ProofLength => Ids.Count - Math.Max(0, _end - _begin - 1);

    /// <summary>
    /// Turns the hashes of <see cref="Ids"/> (same order, 32 bytes each) into the proof: the hashes
    /// in <see cref="EphemeralChildren"/> are folded right to left into the ephemeral node's hash,
    /// the others are passed through. The input list is not modified.
    /// </summary>
    /// <exception cref="ArgumentException">The hash count differs from <see cref="Ids"/>, or a hash is not 32 bytes.</exception>
    public byte[][] Rehash(IReadOnlyList<byte[]> hashes)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        if (hashes.Count != Ids.Count)
        {
            throw new ArgumentException($"got {hashes.Count} hashes but expected {Ids.Count}", nameof(hashes));
        }

        for (int i = 0; i < hashes.Count; i++)
        {
            if (hashes[i] is not { Length: Rfc6962.HashSize })
            {
                throw new ArgumentException($"hash {i} (node {Ids[i]}) is not {Rfc6962.HashSize} bytes", nameof(hashes));
            }
        }

        var proof = new byte[ProofLength][];
        int cursor = 0;
        for (int i = 0; i < hashes.Count; i++, cursor++)
        {
            if (i == _begin && _end - _begin > 1)
            {
                // Fold the ephemeral node's children, lowest level first: each is a left sibling.
                byte[] hash = (byte[])hashes[i].Clone();
                for (i++; i < _end; i++)
                {
                    Rfc6962.HashChildren(hashes[i], hash, hash);
                }

                i--;
                proof[cursor] = hash;
            }
            else
            {
                proof[cursor] = (byte[])hashes[i].Clone();
            }
        }

        return proof;
    }
}
