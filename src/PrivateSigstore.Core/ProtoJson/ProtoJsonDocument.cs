using System.Buffers;
using System.Text;
using System.Text.Json;

namespace PrivateSigstore.Core.ProtoJson;

/// <summary>
/// Bounded entry and exit points shared by the proto3 JSON readers and writers: size and depth limits on
/// the way in, one error type for every kind of bad input, and compact or indented UTF-8 on the way out.
/// </summary>
internal static class ProtoJsonDocument
{
    /// <summary>The deepest nesting of JSON objects and arrays accepted anywhere in a document.</summary>
    public const int MaxDepth = 64;

    /// <summary>The default size limit for one document (16 MiB).</summary>
    public const int DefaultMaxBytes = 16 * 1024 * 1024;

    private static ReadOnlySpan<byte> Utf8Bom => [0xEF, 0xBB, 0xBF];

    /// <summary>
    /// Parses <paramref name="utf8"/> as exactly one JSON value and hands its root to <paramref name="map"/>.
    /// Any malformed, oversized or too deeply nested input, and any JSON or transcoding error raised by
    /// <paramref name="map"/>, surfaces as <see cref="WireFormatException"/>.
    /// </summary>
    public static T Read<T>(ReadOnlySpan<byte> utf8, int maxBytes, string what, Func<JsonElement, T> map)
    {
        // Bound the input before looking at it.
        if (utf8.Length > maxBytes)
        {
            throw new WireFormatException($"{what}: input is {utf8.Length} bytes, more than the limit of {maxBytes} bytes");
        }

        // A UTF-8 byte order mark is tolerated (editors add it); the JSON itself starts after it.
        if (utf8.StartsWith(Utf8Bom))
        {
            utf8 = utf8[Utf8Bom.Length..];
        }

        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions
            {
                MaxDepth = MaxDepth,
                CommentHandling = JsonCommentHandling.Disallow,
                AllowTrailingCommas = false,
            });
            using var document = JsonDocument.ParseValue(ref reader);

            // Exactly one JSON value: anything but whitespace after it is an error.
            if (reader.Read())
            {
                throw new WireFormatException($"{what}: unexpected data after the JSON value");
            }

            return map(document.RootElement);
        }
        catch (WireFormatException)
        {
            throw;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException
                                       or OverflowException or ArgumentException)
        {
            throw new WireFormatException($"{what}: malformed JSON: {e.Message}", e);
        }
    }

    /// <summary>Encodes <paramref name="text"/> as UTF-8 (bounded) and parses it as <see cref="Read{T}(ReadOnlySpan{byte}, int, string, Func{JsonElement, T})"/> does.</summary>
    public static T Read<T>(string text, int maxBytes, string what, Func<JsonElement, T> map)
    {
        ArgumentNullException.ThrowIfNull(text);

        // Each UTF-16 code unit becomes at most 3 UTF-8 bytes; count exactly only when that bound is too big.
        if ((long)text.Length * 3 > maxBytes && Encoding.UTF8.GetByteCount(text) > maxBytes)
        {
            throw new WireFormatException($"{what}: input is more than the limit of {maxBytes} bytes");
        }

        return Read(Encoding.UTF8.GetBytes(text), maxBytes, what, map);
    }

    /// <summary>
    /// Reads <paramref name="stream"/> to its end (at most <paramref name="maxBytes"/> bytes) and parses it as
    /// <see cref="Read{T}(ReadOnlySpan{byte}, int, string, Func{JsonElement, T})"/> does. Errors raised by the
    /// stream itself propagate unchanged.
    /// </summary>
    public static T Read<T>(Stream stream, int maxBytes, string what, Func<JsonElement, T> map)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var buffer = new ArrayBufferWriter<byte>(Math.Min(maxBytes + 1, 64 * 1024));
        while (true)
        {
            var span = buffer.GetSpan(16 * 1024);
            var read = stream.Read(span);
            if (read == 0)
            {
                break;
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > maxBytes)
            {
                throw new WireFormatException($"{what}: input is more than the limit of {maxBytes} bytes");
            }
        }

        return Read(buffer.WrittenSpan, maxBytes, what, map);
    }

    /// <summary>Runs <paramref name="body"/> against a fresh writer and returns the UTF-8 bytes it wrote.</summary>
    public static byte[] WriteUtf8(Action<Utf8JsonWriter> body, bool indented)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions
        {
            Indented = indented,
            IndentSize = 2,
            NewLine = "\n",
            SkipValidation = false,
            MaxDepth = MaxDepth,
        }))
        {
            body(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Runs <paramref name="body"/> against a fresh writer and returns what it wrote as a string.</summary>
    public static string Write(Action<Utf8JsonWriter> body, bool indented) =>
        Encoding.UTF8.GetString(WriteUtf8(body, indented));
}
