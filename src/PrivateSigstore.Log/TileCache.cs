namespace PrivateSigstore.Log;

/// <summary>
/// Tiles in memory: the right-edge (partial) tile of each tile level, which the integrator extends, and an
/// LRU of complete tiles for proof reads. Published arrays are never mutated (copy-on-write), so readers can
/// use them without locks once obtained.
/// </summary>
internal sealed class TileCache
{
    public const int TileWidth = 256;
    public const int HashSize = 32;
    public const int TileBytes = TileWidth * HashSize;

    private readonly Dictionary<int, StoredTile> _rightEdge = [];
    private readonly Dictionary<(int, ulong), LinkedListNode<StoredTile>> _complete = [];
    private readonly LinkedList<StoredTile> _lru = new();
    private readonly int _capacity;
    private readonly Lock _lock = new();

    public TileCache(int capacity) => _capacity = capacity;

    /// <summary>Returns a cached tile with at least <paramref name="minWidth"/> hashes, or null.</summary>
    public StoredTile? Get(int level, ulong index, int minWidth)
    {
        lock (_lock)
        {
            if (_rightEdge.TryGetValue(level, out var edge) && edge.Index == index && edge.Hashes.Length >= minWidth * HashSize)
            {
                return edge;
            }
            if (_complete.TryGetValue((level, index), out var node))
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
                return node.Value;
            }
            return null;
        }
    }

    /// <summary>The current right-edge tile of a level, if cached.</summary>
    public StoredTile? RightEdge(int level)
    {
        lock (_lock) return _rightEdge.TryGetValue(level, out var t) ? t : null;
    }

    /// <summary>Publishes tiles written by a committed batch.</summary>
    public void Publish(IEnumerable<StoredTile> tiles)
    {
        lock (_lock)
        {
            foreach (var t in tiles)
            {
                if (t.Hashes.Length == TileBytes)
                {
                    if (_rightEdge.TryGetValue(t.Level, out var e) && e.Index <= t.Index) _rightEdge.Remove(t.Level);
                    AddComplete(t);
                }
                else if (!_rightEdge.TryGetValue(t.Level, out var e) || e.Index <= t.Index)
                {
                    _rightEdge[t.Level] = t;
                }
            }
        }
    }

    /// <summary>Caches a tile read from the store (complete tiles only; partial tiles may still grow).</summary>
    public void AddFromStore(StoredTile tile)
    {
        if (tile.Hashes.Length != TileBytes) return;
        lock (_lock) AddComplete(tile);
    }

    /// <summary>Forgets the right edge (another writer moved the tree on).</summary>
    public void ResetRightEdge()
    {
        lock (_lock) _rightEdge.Clear();
    }

    private void AddComplete(StoredTile t)
    {
        if (_complete.TryGetValue((t.Level, t.Index), out var existing))
        {
            _lru.Remove(existing);
            _complete.Remove((t.Level, t.Index));
        }
        var node = _lru.AddFirst(t);
        _complete[(t.Level, t.Index)] = node;
        while (_complete.Count > _capacity)
        {
            var last = _lru.Last!;
            _lru.RemoveLast();
            _complete.Remove((last.Value.Level, last.Value.Index));
        }
    }
}
