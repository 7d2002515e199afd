namespace PrivateSigstore.Core.Merkle;

/// <summary>
/// Where a tree node lives in the C2SP tlog-tiles layout (Tessera <c>layout.NodeCoordsToTileAddress</c>):
/// in tile <see cref="TileIndex"/> at tile level <see cref="TileLevel"/>, at height
/// <see cref="LevelInTile"/> (0..7) above the tile's stored hashes, position <see cref="IndexInTile"/>
/// in that row. Only nodes with <see cref="LevelInTile"/> 0 are stored; the others are recomputed
/// from the stored hashes <c>[IndexInTile &lt;&lt; LevelInTile, (IndexInTile + 1) &lt;&lt; LevelInTile)</c>.
/// </summary>
/// <param name="TileLevel">The tile level, <c>node level / 8</c>.</param>
/// <param name="TileIndex">The tile index within its level.</param>
/// <param name="LevelInTile">The node's height above the tile's stored row, <c>node level % 8</c>.</param>
/// <param name="IndexInTile">The node's position in its row of the tile, below <c>256 &gt;&gt; LevelInTile</c>.</param>
public readonly record struct TileNodeAddress(int TileLevel, ulong TileIndex, int LevelInTile, int IndexInTile)
{
    /// <summary>The first stored hash of the tile that the node covers.</summary>
    public int FirstStoredHash => IndexInTile << LevelInTile;

    /// <summary>The number of stored hashes of the tile the node covers (2^LevelInTile).</summary>
    public int StoredHashCount => 1 << LevelInTile;

    /// <summary>The smallest tile width that contains the node.</summary>
    public int MinimumWidth => (IndexInTile + 1) << LevelInTile;
}
