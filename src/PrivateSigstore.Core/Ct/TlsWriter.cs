using System.Buffers;
using System.Buffers.Binary;

namespace PrivateSigstore.Core.Ct;

/// <summary>Big-endian writer for the TLS presentation language (RFC 5246 §4); checks every length prefix fits.</summary>
internal sealed class TlsWriter
{
    private readonly ArrayBufferWriter<byte> _buffer = new();

    public void WriteUInt8(byte value) => _buffer.Write([value]);

    public void WriteUInt16(int value)
    {
        if (value is < 0 or > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "does not fit in a uint16");
        }

        _buffer.Write([(byte)(value >> 8), (byte)value]);
    }

    public void WriteUInt24(int value)
    {
        if (value is < 0 or > 0xFF_FFFF)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "does not fit in a uint24");
        }

        _buffer.Write([(byte)(value >> 16), (byte)(value >> 8), (byte)value]);
    }

    public void WriteUInt64(ulong value)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(b, value);
        _buffer.Write(b);
    }

    public void WriteFixed(ReadOnlySpan<byte> bytes) => _buffer.Write(bytes);

    /// <summary>Writes <c>opaque&lt;0..2^16-1&gt;</c>.</summary>
    public void WriteOpaque16(ReadOnlySpan<byte> bytes)
    {
        WriteUInt16(bytes.Length);
        _buffer.Write(bytes);
    }

    /// <summary>Writes <c>opaque&lt;0..2^24-1&gt;</c>.</summary>
    public void WriteOpaque24(ReadOnlySpan<byte> bytes)
    {
        WriteUInt24(bytes.Length);
        _buffer.Write(bytes);
    }

    public byte[] ToArray() => _buffer.WrittenSpan.ToArray();
}
