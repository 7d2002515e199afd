using System.Buffers.Binary;

namespace PrivateSigstore.Log;

/// <summary>Encodes and decodes the entries of an <see cref="EntrySegment"/>.</summary>
public static class SegmentCodec
{
    /// <summary>Concatenates <c>uint32 big-endian length || bytes</c> for each leaf.</summary>
    public static byte[] Encode(IReadOnlyList<ReadOnlyMemory<byte>> leaves)
    {
        ArgumentNullException.ThrowIfNull(leaves);
        var total = 0;
        foreach (var l in leaves) total = checked(total + 4 + l.Length);
        var data = new byte[total];
        var at = 0;
        foreach (var l in leaves)
        {
            BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(at), (uint)l.Length);
            l.Span.CopyTo(data.AsSpan(at + 4));
            at += 4 + l.Length;
        }
        return data;
    }

    /// <summary>Returns entry number <paramref name="offset"/> of the segment; throws <see cref="LogCorruptedException"/> on a bad encoding.</summary>
    public static ReadOnlyMemory<byte> Get(EntrySegment segment, int offset)
    {
        ArgumentNullException.ThrowIfNull(segment);
        if (offset < 0 || offset >= segment.Count) throw new ArgumentOutOfRangeException(nameof(offset));
        var data = segment.Data;
        var at = 0;
        for (var i = 0; ; i++)
        {
            if (at + 4 > data.Length) throw new LogCorruptedException($"segment at {segment.Start} is truncated");
            var len = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(at));
            if (len > (uint)(data.Length - at - 4)) throw new LogCorruptedException($"segment at {segment.Start} is truncated");
            if (i == offset) return data.AsMemory(at + 4, (int)len);
            at += 4 + (int)len;
        }
    }

    /// <summary>
    /// Returns entries <paramref name="offset"/> to <paramref name="offset"/> + <paramref name="count"/> − 1 of the segment (the
    /// ones before are skipped by their length prefixes only); throws <see cref="LogCorruptedException"/> on a bad encoding.
    /// </summary>
    public static List<ReadOnlyMemory<byte>> GetRange(EntrySegment segment, int offset, int count)
    {
        ArgumentNullException.ThrowIfNull(segment);
        if (offset < 0 || count < 0 || offset > segment.Count - count) throw new ArgumentOutOfRangeException(nameof(count));
        var list = new List<ReadOnlyMemory<byte>>(count);
        var data = segment.Data;
        var at = 0;
        for (var i = 0; i < offset + count; i++)
        {
            if (at + 4 > data.Length) throw new LogCorruptedException($"segment at {segment.Start} is truncated");
            var len = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(at));
            if (len > (uint)(data.Length - at - 4)) throw new LogCorruptedException($"segment at {segment.Start} is truncated");
            if (i >= offset) list.Add(data.AsMemory(at + 4, (int)len));
            at += 4 + (int)len;
        }
        return list;
    }

    /// <summary>Returns every entry of the segment; throws <see cref="LogCorruptedException"/> on a bad encoding.</summary>
    public static List<ReadOnlyMemory<byte>> GetAll(EntrySegment segment)
    {
        ArgumentNullException.ThrowIfNull(segment);
        var list = new List<ReadOnlyMemory<byte>>(segment.Count);
        var data = segment.Data;
        var at = 0;
        while (at < data.Length)
        {
            if (at + 4 > data.Length) throw new LogCorruptedException($"segment at {segment.Start} is truncated");
            var len = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(at));
            if (len > (uint)(data.Length - at - 4)) throw new LogCorruptedException($"segment at {segment.Start} is truncated");
            list.Add(data.AsMemory(at + 4, (int)len));
            at += 4 + (int)len;
        }
        if (list.Count != segment.Count) throw new LogCorruptedException($"segment at {segment.Start} holds {list.Count} entries, expected {segment.Count}");
        return list;
    }
}
