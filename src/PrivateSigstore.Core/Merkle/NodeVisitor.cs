namespace PrivateSigstore.Core.Merkle;

/// <summary>
/// Receives a perfect-subtree node and its hash as a <see cref="CompactRange"/> creates it
/// (for instance to write it into a tile). The span is only valid during the call.
/// </summary>
/// <param name="id">The node's address.</param>
/// <param name="hash">The node's 32-byte hash; copy it to keep it.</param>
public delegate void NodeVisitor(NodeId id, ReadOnlySpan<byte> hash);
