namespace PrivateSigstore.Core.Merkle;

/// <summary>
/// The address of a perfect subtree of a log Merkle tree (transparency-dev/merkle <c>compact.NodeID</c>):
/// level 0 holds the leaves, and node <c>(Level, Index)</c> covers leaves
/// <c>[Index &lt;&lt; Level, (Index + 1) &lt;&lt; Level)</c>.
/// </summary>
/// <param name="Level">Height above the leaves, 0..63.</param>
/// <param name="Index">Position within the level, counting from 0 at the left.</param>
public readonly record struct NodeId(int Level, ulong Index)
{
    /// <summary>Height above the leaves, 0..63.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The level is outside 0..63.</exception>
    public int Level { get; init; } = Level is >= 0 and <= 63
        ? Level
        : throw new ArgumentOutOfRangeException(nameof(Level), Level, "node level must be 0..63");

    /// <summary>The node directly above this one.</summary>
    public NodeId Parent => new(Level + 1, Index >> 1);

    /// <summary>The other child of this node's parent.</summary>
    public NodeId Sibling => new(Level, Index ^ 1);

    /// <summary>The first leaf index this node covers.</summary>
    public ulong Begin => Index << Level;

    /// <summary>One past the last leaf index this node covers.</summary>
    public ulong End => (Index + 1) << Level;

    /// <summary>The number of leaves this node covers, <c>2^Level</c>.</summary>
    public ulong LeafCount => 1UL << Level;

    /// <summary>Formats the node as <c>(level, index)</c>.</summary>
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"({Level}, {Index})");
}
