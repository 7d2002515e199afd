namespace PrivateSigstore.Core.Ct;

/// <summary>
/// Strict big-endian reader for the TLS presentation language (RFC 5246 §4) used by RFC 6962 structures.
/// Every read that runs past the end throws <see cref="WireFormatException"/>.
/// </summary>
internal ref struct TlsReader
{
    private ReadOnlySpan<byte> _rest;

    /// <summary>Reads from <paramref name="data"/>, starting at its first byte.</summary>
    public TlsReader(ReadOnlySpan<byte> data) => _rest = data;

    /// <summary>True when every byte has been consumed.</summary>
    public readonly bool IsEmpty => _rest.IsEmpty;

    public byte ReadUInt8(string field) => Take(1, field)[0];

    public ushort ReadUInt16(string field)
    {
        var b = Take(2, field);
        return (ushort)((b[0] << 8) | b[1]);
    }

    public int ReadUInt24(string field)
    {
        var b = Take(3, field);
        return (b[0] << 16) | (b[1] << 8) | b[2];
    }

    public ulong ReadUInt64(string field) => System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(Take(8, field));

    /// <summary>Reads exactly <paramref name="count"/> bytes.</summary>
    public ReadOnlySpan<byte> ReadFixed(int count, string field) => Take(count, field);

    /// <summary>Reads <c>opaque field&lt;min..2^16-1&gt;</c>: a uint16 length, then that many bytes.</summary>
    public ReadOnlySpan<byte> ReadOpaque16(string field, int minLength = 0)
    {
        int length = ReadUInt16(field + " length");
        if (length < minLength)
        {
            throw new WireFormatException($"{field}: length {length} is below the minimum {minLength}");
        }

        return Take(length, field);
    }

    /// <summary>Reads <c>opaque field&lt;min..2^24-1&gt;</c>: a uint24 length, then that many bytes.</summary>
    public ReadOnlySpan<byte> ReadOpaque24(string field, int minLength = 0)
    {
        int length = ReadUInt24(field + " length");
        if (length < minLength)
        {
            throw new WireFormatException($"{field}: length {length} is below the minimum {minLength}");
        }

        return Take(length, field);
    }

    /// <summary>Throws unless every byte has been consumed.</summary>
    public readonly void ExpectEnd(string structure)
    {
        if (!_rest.IsEmpty)
        {
            throw new WireFormatException($"{structure}: {_rest.Length} unexpected trailing byte(s)");
        }
    }

    private ReadOnlySpan<byte> Take(int count, string field)
    {
        if (count > _rest.Length)
        {
            throw new WireFormatException($"{field}: truncated (needs {count} byte(s), {_rest.Length} left)");
        }

        var taken = _rest[..count];
        _rest = _rest[count..];
        return taken;
    }
}
