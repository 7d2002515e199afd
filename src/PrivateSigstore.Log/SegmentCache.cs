namespace PrivateSigstore.Log;

/// <summary>The most recently written or read entry segments, for entry reads without a store round trip.</summary>
internal sealed class SegmentCache
{
    private readonly EntrySegment?[] _ring;
    private int _next;
    private readonly Lock _lock = new();

    public SegmentCache(int capacity) => _ring = new EntrySegment?[capacity];

    public void Add(EntrySegment segment)
    {
        lock (_lock)
        {
            foreach (var s in _ring)
            {
                if (s is not null && s.Start == segment.Start) return;
            }
            _ring[_next] = segment;
            _next = (_next + 1) % _ring.Length;
        }
    }

    public EntrySegment? Find(ulong index)
    {
        lock (_lock)
        {
            foreach (var s in _ring)
            {
                if (s is not null && index >= s.Start && index < s.Start + (ulong)s.Count) return s;
            }
            return null;
        }
    }
}
