using System.Buffers.Binary;

namespace PrivateSigstore.Log;

/// <summary>
/// In-memory map from leaf hash to index, rebuilt from the level-0 tiles at start-up (so it is never persisted
/// and never on the storage hot path). Keys are the first 8 bytes of the leaf hash: 16 bytes per entry in an
/// open-addressing table. A key match is only a candidate; callers confirm it against the stored leaf hash,
/// so prefix collisions cannot cause a false duplicate.
/// </summary>
internal sealed class LeafIndex
{
    private ulong[] _keys;
    private ulong[] _values;
    private int _count;
    private readonly Lock _lock = new();

    public LeafIndex(int capacity = 1 << 16)
    {
        var size = 16;
        while (size < capacity * 2) size <<= 1;
        _keys = new ulong[size];
        _values = new ulong[size];
    }

    public int Count { get { lock (_lock) return _count; } }

    /// <summary>The map key for a leaf hash (never zero: zero marks an empty slot).</summary>
    public static ulong KeyOf(ReadOnlySpan<byte> leafHash)
    {
        var k = BinaryPrimitives.ReadUInt64LittleEndian(leafHash);
        return k == 0 ? 1 : k;
    }

    public void Add(ReadOnlySpan<byte> leafHash, ulong index) => Add(KeyOf(leafHash), index);

    public void Add(ulong key, ulong index)
    {
        lock (_lock)
        {
            if ((_count + 1) * 2 > _keys.Length) Grow();
            Insert(_keys, _values, key, index);
            _count++;
        }
    }

    /// <summary>Adds many (key, index) pairs under one lock.</summary>
    public void AddRange(ReadOnlySpan<ulong> keys, ulong firstIndex)
    {
        lock (_lock)
        {
            while ((_count + keys.Length) * 2 > _keys.Length) Grow();
            for (var i = 0; i < keys.Length; i++) Insert(_keys, _values, keys[i], firstIndex + (ulong)i);
            _count += keys.Length;
        }
    }

    /// <summary>False when no indexed leaf shares the key of <paramref name="leafHash"/> (the common, allocation-free path).</summary>
    public bool MayContain(ReadOnlySpan<byte> leafHash)
    {
        var key = KeyOf(leafHash);
        lock (_lock)
        {
            var mask = _keys.Length - 1;
            for (var slot = (int)(Mix(key) & (ulong)mask); _keys[slot] != 0; slot = (slot + 1) & mask)
            {
                if (_keys[slot] == key) return true;
            }
            return false;
        }
    }

    /// <summary>Appends to <paramref name="candidates"/> every index whose leaf hash shares the key of <paramref name="leafHash"/>.</summary>
    public void FindCandidates(ReadOnlySpan<byte> leafHash, List<ulong> candidates)
    {
        var key = KeyOf(leafHash);
        lock (_lock)
        {
            var mask = _keys.Length - 1;
            for (var slot = (int)(Mix(key) & (ulong)mask); _keys[slot] != 0; slot = (slot + 1) & mask)
            {
                if (_keys[slot] == key) candidates.Add(_values[slot]);
            }
        }
    }

    private void Grow()
    {
        var keys = new ulong[_keys.Length * 2];
        var values = new ulong[_values.Length * 2];
        for (var i = 0; i < _keys.Length; i++)
        {
            if (_keys[i] != 0) Insert(keys, values, _keys[i], _values[i]);
        }
        _keys = keys;
        _values = values;
    }

    private static void Insert(ulong[] keys, ulong[] values, ulong key, ulong value)
    {
        var mask = keys.Length - 1;
        var slot = (int)(Mix(key) & (ulong)mask);
        while (keys[slot] != 0) slot = (slot + 1) & mask;
        keys[slot] = key;
        values[slot] = value;
    }

    // Note: leaf hashes are uniformly random already; mixing only guards against crafted prefixes clustering.
    private static ulong Mix(ulong k)
    {
        k ^= k >> 33;
        k *= 0xff51afd7ed558ccdUL;
        k ^= k >> 33;
        return k;
    }
}
