using PrivateSigstore.Core.Merkle;

namespace PrivateSigstore.Log;

/// <summary>
/// Collects the tiles a batch changes while the compact range is extended: every new node at a level that is a
/// multiple of 8 is a hash of a tile (C2SP tlog-tiles: tile level L holds tree level 8L, 256 hashes per tile).
/// </summary>
internal sealed class TileWriter
{
    private readonly Dictionary<(int Level, ulong Index), Buffer> _dirty = [];
    private readonly IReadOnlyDictionary<int, StoredTile> _edges;

    /// <param name="edges">The existing partial right-edge tile of each tile level, keyed by tile level.</param>
    public TileWriter(IReadOnlyDictionary<int, StoredTile> edges) => _edges = edges;

    public void Visit(NodeId id, ReadOnlySpan<byte> hash)
    {
        if ((id.Level & 7) != 0) return;
        var level = id.Level >> 3;
        var index = id.Index >> 8;
        var slot = (int)(id.Index & 0xff);
        if (!_dirty.TryGetValue((level, index), out var buffer))
        {
            buffer = new Buffer(new byte[TileCache.TileBytes], 0);
            if (_edges.TryGetValue(level, out var edge) && edge.Index == index)
            {
                edge.Hashes.CopyTo(buffer.Data, 0);
                buffer.Width = edge.Hashes.Length / TileCache.HashSize;
            }
            _dirty[(level, index)] = buffer;
        }
        // Append-only: a tile only ever grows at its right end (RFC 6962 trees are built left to right).
        if (slot != buffer.Width) throw new LogCorruptedException($"tile {level}/{index} would be written at slot {slot} but holds {buffer.Width} hashes");
        hash.CopyTo(buffer.Data.AsSpan(slot * TileCache.HashSize));
        buffer.Width = slot + 1;
    }

    public List<StoredTile> Tiles()
    {
        var list = new List<StoredTile>(_dirty.Count);
        foreach (var ((level, index), b) in _dirty)
        {
            var data = b.Width == TileCache.TileWidth ? b.Data : b.Data.AsSpan(0, b.Width * TileCache.HashSize).ToArray();
            list.Add(new StoredTile(level, index, data));
        }
        return list;
    }

    private sealed class Buffer(byte[] data, int width)
    {
        public byte[] Data { get; } = data;
        public int Width { get; set; } = width;
    }
}
