using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace PrivateSigstore.Core.ProtoJson;

/// <summary>
/// Writers for proto3 JSON fields as protojson emits them: zero values (empty strings and bytes, 0, empty
/// lists, unset messages) omitted; 64-bit integers as decimal strings; 32-bit integers as numbers; bytes as
/// padded standard base64; strings escaped exactly as Go's protojson escapes them (only '"', '\' and
/// control characters; everything else, such as the checkpoint's em dash, as raw UTF-8).
/// </summary>
internal static class ProtoJsonWriter
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private static ReadOnlySpan<byte> HexDigits => "0123456789abcdef"u8;

    /// <summary>Writes a <c>string</c> field unless it is empty.</summary>
    public static void WriteString(Utf8JsonWriter writer, string jsonName, string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return;
        }

        writer.WritePropertyName(jsonName);
        WriteStringValue(writer, value);
    }

    /// <summary>Writes an <c>int64</c> field as a decimal string unless it is 0.</summary>
    public static void WriteInt64(Utf8JsonWriter writer, string jsonName, long value)
    {
        if (value == 0)
        {
            return;
        }

        writer.WritePropertyName(jsonName);
        WriteStringValue(writer, value.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Writes a <c>uint32</c> field as a JSON number unless it is 0.</summary>
    public static void WriteUInt32(Utf8JsonWriter writer, string jsonName, uint value)
    {
        if (value == 0)
        {
            return;
        }

        writer.WriteNumber(jsonName, value);
    }

    /// <summary>Writes a <c>bytes</c> field (no explicit presence) unless it is null or empty.</summary>
    public static void WriteBytes(Utf8JsonWriter writer, string jsonName, byte[]? value)
    {
        if (value is null || value.Length == 0)
        {
            return;
        }

        writer.WritePropertyName(jsonName);
        WriteBase64Value(writer, value);
    }

    /// <summary>Writes a proto3 <c>optional bytes</c> field whenever it is present, even when empty.</summary>
    public static void WriteOptionalBytes(Utf8JsonWriter writer, string jsonName, byte[]? value)
    {
        if (value is null)
        {
            return;
        }

        writer.WritePropertyName(jsonName);
        WriteBase64Value(writer, value);
    }

    /// <summary>Writes a <c>google.protobuf.Timestamp</c> field when present.</summary>
    public static void WriteTimestamp(Utf8JsonWriter writer, string jsonName, ProtoTimestamp? value)
    {
        if (value is not { } timestamp)
        {
            return;
        }

        writer.WritePropertyName(jsonName);
        WriteStringValue(writer, timestamp.ToString());
    }

    /// <summary>Writes a message field when present, using <paramref name="write"/> for its body.</summary>
    public static void WriteMessage<T>(Utf8JsonWriter writer, string jsonName, T? value, Action<Utf8JsonWriter, T> write)
        where T : class
    {
        if (value is null)
        {
            return;
        }

        writer.WritePropertyName(jsonName);
        write(writer, value);
    }

    /// <summary>Writes a repeated message field unless it is null or empty.</summary>
    public static void WriteList<T>(Utf8JsonWriter writer, string jsonName, IReadOnlyList<T>? values, Action<Utf8JsonWriter, T> write)
    {
        if (values is null || values.Count == 0)
        {
            return;
        }

        writer.WritePropertyName(jsonName);
        writer.WriteStartArray();
        foreach (var value in values)
        {
            write(writer, value);
        }

        writer.WriteEndArray();
    }

    /// <summary>Writes a repeated <c>bytes</c> field unless it is null or empty.</summary>
    public static void WriteBytesList(Utf8JsonWriter writer, string jsonName, IReadOnlyList<byte[]>? values) =>
        WriteList(writer, jsonName, values, static (w, v) => WriteBase64Value(w, v ?? []));

    /// <summary>Writes a repeated <c>string</c> field unless it is null or empty.</summary>
    public static void WriteStringList(Utf8JsonWriter writer, string jsonName, IReadOnlyList<string>? values) =>
        WriteList(writer, jsonName, values, static (w, v) => WriteStringValue(w, v ?? ""));

    /// <summary>Writes padded standard base64 of <paramref name="value"/> as a JSON string.</summary>
    public static void WriteBase64Value(Utf8JsonWriter writer, ReadOnlySpan<byte> value)
    {
        var length = Base64.GetMaxEncodedToUtf8Length(value.Length) + 2;
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            rented[0] = (byte)'"';
            Base64.EncodeToUtf8(value, rented.AsSpan(1), out _, out var written);
            rented[written + 1] = (byte)'"';
            writer.WriteRawValue(rented.AsSpan(0, written + 2), skipInputValidation: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Writes <paramref name="value"/> as a JSON string escaped as Go's protojson does: <c>\"</c>, <c>\\</c>,
    /// <c>\b \f \n \r \t</c>, other control characters as <c>\u00xx</c> (lower-case hex), all else raw UTF-8.
    /// Throws <see cref="ArgumentException"/> for text with an unpaired surrogate (not valid UTF-8).
    /// </summary>
    public static void WriteStringValue(Utf8JsonWriter writer, string value)
    {
        var utf8 = StrictUtf8.GetBytes(value);
        var output = new ArrayBufferWriter<byte>(utf8.Length + 8);
        output.Write("\""u8);
        var start = 0;
        for (var i = 0; i < utf8.Length; i++)
        {
            var b = utf8[i];
            if (b >= 0x20 && b != (byte)'"' && b != (byte)'\\')
            {
                continue;
            }

            output.Write(utf8.AsSpan(start, i - start));
            start = i + 1;
            switch (b)
            {
                case (byte)'"':
                    output.Write("\\\""u8);
                    break;
                case (byte)'\\':
                    output.Write("\\\\"u8);
                    break;
                case (byte)'\b':
                    output.Write("\\b"u8);
                    break;
                case (byte)'\f':
                    output.Write("\\f"u8);
                    break;
                case (byte)'\n':
                    output.Write("\\n"u8);
                    break;
                case (byte)'\r':
                    output.Write("\\r"u8);
                    break;
                case (byte)'\t':
                    output.Write("\\t"u8);
                    break;
                default:
                    output.Write("\\u00"u8);
                    output.Write([HexDigits[b >> 4], HexDigits[b & 0xF]]);
                    break;
            }
        }

        output.Write(utf8.AsSpan(start));
        output.Write("\""u8);
        writer.WriteRawValue(output.WrittenSpan, skipInputValidation: true);
    }
}
