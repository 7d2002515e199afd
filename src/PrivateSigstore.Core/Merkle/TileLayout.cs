namespace PrivateSigstore.Core.Merkle;

/// <summary>
/// Arithmetic of the C2SP tlog-tiles layout (https://c2sp.org/tlog-tiles; Tessera <c>api/layout</c>):
/// which tiles a tree size has, how wide they are, and which tile holds a node. Tile level L stores
/// tree level 8L; hash i of tile n at level L is node <c>(8L, n * 256 + i)</c>.
/// </summary>
public static class TileLayout
{
    /// <summary>The number of hashes in a full tile (and entries in a full entry bundle).</summary>
    public const int TileWidth = TileId.FullWidth;

    /// <summary>The number of tree levels one tile spans.</summary>
    public const int TileHeight = TileId.Height;

    /// <summary>
    /// The number of level-<paramref name="level"/> tile hashes (tree nodes at level 8L) that a tree of
    /// <paramref name="treeSize"/> leaves has: <c>floor(treeSize / 256^level)</c>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is outside 0..63.</exception>
    public static ulong HashCountAtLevel(int level, ulong treeSize)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(level);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, TileId.MaxLevel);
        int shift = level * TileHeight;
        return shift >= 64 ? 0 : treeSize >> shift;
    }

    /// <summary>The number of full tiles at <paramref name="level"/> for a tree of <paramref name="treeSize"/> leaves.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is outside 0..63.</exception>
    public static ulong FullTileCount(int level, ulong treeSize) => HashCountAtLevel(level, treeSize) / TileWidth;

    /// <summary>
    /// The width of the partial tile at <paramref name="level"/> for a tree of <paramref name="treeSize"/>
    /// leaves, <c>floor(treeSize / 256^level) mod 256</c>; 0 when the level has no partial tile.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is outside 0..63.</exception>
    public static int PartialWidth(int level, ulong treeSize) => (int)(HashCountAtLevel(level, treeSize) % TileWidth);

    /// <summary>
    /// The width tile (<paramref name="level"/>, <paramref name="index"/>) has in a tree of
    /// <paramref name="treeSize"/> leaves: 256 if full, 1..255 if partial, 0 if it does not exist yet.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is outside 0..63.</exception>
    public static int WidthAt(int level, ulong index, ulong treeSize)
    {
        ulong full = FullTileCount(level, treeSize);
        if (index < full)
        {
            return TileWidth;
        }

        return index == full ? PartialWidth(level, treeSize) : 0;
    }

    /// <summary>
    /// The tile (<paramref name="level"/>, <paramref name="index"/>) as it exists in a tree of
    /// <paramref name="treeSize"/> leaves (full or with its partial width).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The tile has no hashes at that size, or <paramref name="level"/> is outside 0..63.</exception>
    public static TileId TileAt(int level, ulong index, ulong treeSize)
    {
        int width = WidthAt(level, index, treeSize);
        return width == 0
            ? throw new ArgumentOutOfRangeException(nameof(index), index, $"tree size {treeSize} has no tile {index} at level {level}")
            : new TileId(level, index, width);
    }

    /// <summary>
    /// Every tile a tree of <paramref name="treeSize"/> leaves is served as, level by level from 0
    /// and left to right within a level: the full tiles, then the partial one if any. Lazy.
    /// </summary>
    public static IEnumerable<TileId> TilesForSize(ulong treeSize)
    {
        for (int level = 0; level <= TileId.MaxLevel && HashCountAtLevel(level, treeSize) > 0; level++)
        {
            foreach (TileId tile in TilesAtLevel(level, treeSize))
            {
                yield return tile;
            }
        }
    }

    /// <summary>The tiles at one level for a tree of <paramref name="treeSize"/> leaves, left to right. Lazy.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is outside 0..63.</exception>
    public static IEnumerable<TileId> TilesAtLevel(int level, ulong treeSize)
    {
        ulong full = FullTileCount(level, treeSize);
        int partial = PartialWidth(level, treeSize);
        return Enumerate(level, full, partial);

        static IEnumerable<TileId> Enumerate(int level, ulong full, int partial)
        {
            for (ulong i = 0; i < full; i++)
            {
                yield return new TileId(level, i, TileWidth);
            }

            if (partial > 0)
            {
                yield return new TileId(level, full, partial);
            }
        }
    }

    /// <summary>
    /// The tiles whose contents differ between tree sizes <paramref name="oldSize"/> and
    /// <paramref name="newSize"/> (new or wider), as they exist at <paramref name="newSize"/>: what an
    /// integrator must write after growing the tree. Level by level, left to right. Lazy.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="oldSize"/> exceeds <paramref name="newSize"/>.</exception>
    public static IEnumerable<TileId> TilesChanged(ulong oldSize, ulong newSize)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(oldSize, newSize);
        return Enumerate(oldSize, newSize);

        static IEnumerable<TileId> Enumerate(ulong oldSize, ulong newSize)
        {
            for (int level = 0; level <= TileId.MaxLevel; level++)
            {
                ulong oldHashes = HashCountAtLevel(level, oldSize);
                ulong newHashes = HashCountAtLevel(level, newSize);
                if (newHashes == oldHashes)
                {
                    yield break; // no new node at this level, hence none above
                }

                for (ulong tile = oldHashes / TileWidth; tile <= (newHashes - 1) / TileWidth; tile++)
                {
                    yield return TileAt(level, tile, newSize);
                }
            }
        }
    }

    /// <summary>
    /// The stored nodes of tile (<paramref name="level"/>, <paramref name="index"/>) that exist in a tree
    /// of <paramref name="treeSize"/> leaves: <c>(8 * level, index * 256 + i)</c> for i below the tile's width
    /// at that size (none if the tile does not exist yet).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is outside 0..63.</exception>
    public static IReadOnlyList<NodeId> NodesCovered(int level, ulong index, ulong treeSize)
    {
        int width = WidthAt(level, index, treeSize);
        return width == 0 ? [] : NodesOf(new TileId(level, index, width));
    }

    /// <summary>The stored nodes of <paramref name="tile"/>: <c>(8L, n * 256 + i)</c> for <c>i &lt; Width</c>.</summary>
    public static IReadOnlyList<NodeId> NodesOf(TileId tile)
    {
        var nodes = new NodeId[tile.Width];
        ulong first = tile.Index * TileWidth;
        for (int i = 0; i < nodes.Length; i++)
        {
            nodes[i] = new NodeId(tile.NodeLevel, first + (ulong)i);
        }

        return nodes;
    }

    /// <summary>Which tile holds (or recomputes) <paramref name="node"/>, and where in it.</summary>
    public static TileNodeAddress Locate(NodeId node)
    {
        int levelInTile = node.Level % TileHeight;
        int rowBits = TileHeight - levelInTile;
        return new TileNodeAddress(
            node.Level / TileHeight,
            node.Index >> rowBits,
            levelInTile,
            (int)(node.Index & ((1UL << rowBits) - 1)));
    }

    /// <summary>
    /// The tile to read <paramref name="node"/> from in a tree of <paramref name="treeSize"/> leaves,
    /// with the width it has at that size, and the node's place in it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The node is not a complete subtree of a tree of <paramref name="treeSize"/> leaves.</exception>
    public static (TileId Tile, TileNodeAddress Address) TileFor(NodeId node, ulong treeSize)
    {
        TileNodeAddress address = Locate(node);
        int width = WidthAt(address.TileLevel, address.TileIndex, treeSize);
        if (width < address.MinimumWidth)
        {
            throw new ArgumentOutOfRangeException(nameof(node), node, $"node is not complete in a tree of size {treeSize}");
        }

        return (new TileId(address.TileLevel, address.TileIndex, width), address);
    }

    /// <summary>
    /// Recomputes the hash of the node at <paramref name="address"/> from the stored hashes of its tile
    /// (<paramref name="tileHashes"/>: the tile's contents, 32 bytes per hash). A stored node (level 0
    /// in the tile) is copied; a higher one is the RFC 6962 root of the stored hashes it covers.
    /// </summary>
    /// <exception cref="WireFormatException">The tile contents are not a whole number of hashes, or too short for the node.</exception>
    public static byte[] NodeHash(ReadOnlySpan<byte> tileHashes, TileNodeAddress address)
    {
        if (tileHashes.Length % Rfc6962.HashSize != 0 || tileHashes.Length > TileWidth * Rfc6962.HashSize)
        {
            throw new WireFormatException($"tile contents must be 1..256 hashes of 32 bytes, got {tileHashes.Length} bytes");
        }

        if (tileHashes.Length / Rfc6962.HashSize < address.MinimumWidth)
        {
            throw new WireFormatException($"tile has {tileHashes.Length / Rfc6962.HashSize} hashes, node needs {address.MinimumWidth}");
        }

        ReadOnlySpan<byte> covered = tileHashes.Slice(address.FirstStoredHash * Rfc6962.HashSize, address.StoredHashCount * Rfc6962.HashSize);
        return address.LevelInTile == 0 ? covered.ToArray() : MerkleTree.ComputeRoot(covered);
    }
}
