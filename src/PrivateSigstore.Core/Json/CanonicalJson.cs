using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Text;

namespace PrivateSigstore.Core.Json;

/// <summary>
/// RFC 8785 JSON Canonicalization Scheme (JCS), byte-compatible with the Go
/// <c>jsoncanonicalizer.Transform</c> that Rekor uses for leaf bodies and SET payloads.
/// </summary>
/// <remarks>
/// Output: no whitespace; object members sorted by the UTF-16 code units of their names (§3.2.3);
/// strings escaped only where §3.2.2.2 requires (<c>\b \t \n \f \r \" \\</c> and lower-case
/// <c>\u00xx</c> for the other C0 controls), everything else as literal UTF-8; numbers as IEEE 754
/// doubles printed by ECMAScript <c>Number.prototype.toString</c> (§3.2.2.3), so integers are exact
/// only up to 2^53 and <c>-0</c> prints as <c>0</c>.
/// Rejected with <see cref="WireFormatException"/>: malformed JSON, comments, trailing commas,
/// a byte-order mark, data after the value, duplicate member names, invalid UTF-8, lone
/// surrogates (raw or escaped), numbers outside the double range, and nesting deeper than the limit.
/// </remarks>
public static class CanonicalJson
{
    /// <summary>The default bound on nesting depth (objects and arrays) accepted by the canonicalizer.</summary>
    public const int DefaultMaxDepth = 64;

    /// <summary>
    /// Canonicalizes one UTF-8 JSON text. Returns the RFC 8785 bytes; throws
    /// <see cref="WireFormatException"/> (never any other exception) for input that is not a single
    /// valid I-JSON value within <paramref name="maxDepth"/> levels of nesting.
    /// </summary>
    /// <param name="utf8Json">The JSON text as UTF-8 (no byte-order mark).</param>
    /// <param name="maxDepth">Maximum nesting depth of objects and arrays (1 or more).</param>
    public static byte[] Canonicalize(ReadOnlySpan<byte> utf8Json, int maxDepth = DefaultMaxDepth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDepth, 1);

        // RFC 8785 §3.1 operates on I-JSON (RFC 7493), whose texts carry no byte-order mark.
        if (utf8Json.StartsWith("\uFEFF"u8))
        {
            throw new WireFormatException("canonical JSON: input starts with a byte-order mark");
        }

        var output = new ArrayBufferWriter<byte>(Math.Max(utf8Json.Length, 16));
        var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions
        {
            MaxDepth = maxDepth,
            CommentHandling = JsonCommentHandling.Disallow,
            AllowTrailingCommas = false,
        });
        try
        {
            if (!reader.Read())
            {
                throw new WireFormatException("canonical JSON: input holds no JSON value");
            }

            WriteValue(ref reader, output);

            // Exactly one value (RFC 8259 §2); the reader throws on anything but whitespace after it.
            if (reader.Read())
            {
                throw new WireFormatException("canonical JSON: data after the JSON value");
            }
        }
        catch (JsonException e)
        {
            throw new WireFormatException($"canonical JSON: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new WireFormatException($"canonical JSON: {e.Message}", e);
        }

        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Canonicalizes a JSON text given as a .NET string (encoded as UTF-8 first). Same contract as
    /// <see cref="Canonicalize(ReadOnlySpan{byte}, int)"/>; a string with lone surrogates is rejected.
    /// </summary>
    public static byte[] Canonicalize(string json, int maxDepth = DefaultMaxDepth)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Canonicalize(EncodeStrict(json), maxDepth);
    }

    /// <summary>Canonicalizes UTF-8 JSON and returns the canonical form as a string. Same contract as <see cref="Canonicalize(ReadOnlySpan{byte}, int)"/>.</summary>
    public static string CanonicalizeToString(ReadOnlySpan<byte> utf8Json, int maxDepth = DefaultMaxDepth) =>
        Encoding.UTF8.GetString(Canonicalize(utf8Json, maxDepth));

    /// <summary>Canonicalizes a JSON string and returns the canonical form as a string. Same contract as <see cref="Canonicalize(ReadOnlySpan{byte}, int)"/>.</summary>
    public static string CanonicalizeToString(string json, int maxDepth = DefaultMaxDepth) =>
        Encoding.UTF8.GetString(Canonicalize(json, maxDepth));

    /// <summary>
    /// Serializes a <see cref="JsonNode"/> tree as RFC 8785 canonical UTF-8 (a null node is <c>null</c>).
    /// Throws <see cref="WireFormatException"/> for values JCS cannot represent: NaN or infinite
    /// numbers, strings with lone surrogates, or nesting deeper than <paramref name="maxDepth"/>.
    /// </summary>
    public static byte[] Serialize(JsonNode? node, int maxDepth = DefaultMaxDepth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDepth, 1);
        var output = new ArrayBufferWriter<byte>();
        WriteNode(node, output, depth: 0, maxDepth);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Formats a finite double exactly as ECMAScript <c>Number.prototype.toString()</c> does
    /// (RFC 8785 §3.2.2.3): shortest round-trip digits, plain notation for exponents in [-7, 21),
    /// otherwise <c>d.ddde±x</c>; <c>-0</c> gives <c>"0"</c>. Throws <see cref="WireFormatException"/> for NaN or infinity.
    /// </summary>
    public static string FormatNumber(double value)
    {
        if (!double.IsFinite(value))
        {
            throw new WireFormatException("canonical JSON: NaN and Infinity are not JSON numbers");
        }

        if (value == 0)
        {
            return "0"; // also -0 (ECMAScript ToString(-0) is "0")
        }

        // .NET Core 3.0+ "R" yields the shortest digit string that round-trips, the same choice
        // ECMAScript makes (closest to the value when several shortest strings exist).
        var roundTrip = value.ToString("R", CultureInfo.InvariantCulture);
        var negative = roundTrip[0] == '-';
        var unsigned = negative ? roundTrip.AsSpan(1) : roundTrip.AsSpan();

        var exponentAt = unsigned.IndexOfAny('E', 'e');
        var mantissa = exponentAt < 0 ? unsigned : unsigned[..exponentAt];
        var exponent = exponentAt < 0 ? 0 : int.Parse(unsigned[(exponentAt + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

        // Decompose into digits s (no leading/trailing zeros) and n, with value = 0.s × 10^n.
        var point = mantissa.IndexOf('.');
        var digits = new StringBuilder(mantissa.Length);
        foreach (var c in mantissa)
        {
            if (c != '.')
            {
                digits.Append(c);
            }
        }

        var n = (point < 0 ? mantissa.Length : point) + exponent;
        var leading = 0;
        while (leading < digits.Length - 1 && digits[leading] == '0')
        {
            leading++;
        }

        digits.Remove(0, leading);
        n -= leading;
        var trailing = digits.Length;
        while (trailing > 1 && digits[trailing - 1] == '0')
        {
            trailing--;
        }

        digits.Length = trailing;
        var s = digits.ToString();
        var k = s.Length;

        // ECMA-262 Number::toString steps (k digits, exponent n).
        string text;
        if (k <= n && n <= 21)
        {
            text = s + new string('0', n - k);
        }
        else if (0 < n && n <= 21)
        {
            text = string.Concat(s.AsSpan(0, n), ".", s.AsSpan(n));
        }
        else if (-6 < n && n <= 0)
        {
            text = "0." + new string('0', -n) + s;
        }
        else
        {
            var e = n - 1;
            var exponentText = (e < 0 ? "-" : "+") + Math.Abs(e).ToString(CultureInfo.InvariantCulture);
            text = k == 1 ? s + "e" + exponentText : string.Concat(s.AsSpan(0, 1), ".", s.AsSpan(1)) + "e" + exponentText;
        }

        return negative ? "-" + text : text;
    }

    private static void WriteValue(ref Utf8JsonReader reader, ArrayBufferWriter<byte> output)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                WriteObject(ref reader, output);
                break;
            case JsonTokenType.StartArray:
                output.Write("["u8);
                var first = true;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (!first)
                    {
                        output.Write(","u8);
                    }

                    first = false;
                    WriteValue(ref reader, output);
                }

                output.Write("]"u8);
                break;
            case JsonTokenType.String:
                WriteString(ReadString(ref reader), output);
                break;
            case JsonTokenType.Number:
                WriteNumber(reader.ValueSpan, output);
                break;
            case JsonTokenType.True:
                output.Write("true"u8);
                break;
            case JsonTokenType.False:
                output.Write("false"u8);
                break;
            case JsonTokenType.Null:
                output.Write("null"u8);
                break;
            default:
                throw new WireFormatException($"canonical JSON: unexpected token {reader.TokenType}");
        }
    }

    private static void WriteObject(ref Utf8JsonReader reader, ArrayBufferWriter<byte> output)
    {
        var members = new List<KeyValuePair<string, byte[]>>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = ReadString(ref reader);
            reader.Read();
            var value = new ArrayBufferWriter<byte>();
            WriteValue(ref reader, value);
            members.Add(new(name, value.WrittenSpan.ToArray()));
        }

        WriteMembers(members, output);
    }

    private static void WriteMembers(List<KeyValuePair<string, byte[]>> members, ArrayBufferWriter<byte> output)
    {
        // RFC 8785 §3.2.3: sort by UTF-16 code units; I-JSON (RFC 7493 §2.3) forbids duplicate names.
        members.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key));
        output.Write("{"u8);
        for (var i = 0; i < members.Count; i++)
        {
            if (i > 0)
            {
                if (string.Equals(members[i - 1].Key, members[i].Key, StringComparison.Ordinal))
                {
                    throw new WireFormatException($"canonical JSON: duplicate member name \"{members[i].Key}\"");
                }

                output.Write(","u8);
            }

            WriteString(members[i].Key, output);
            output.Write(":"u8);
            output.Write(members[i].Value);
        }

        output.Write("}"u8);
    }

    private static string ReadString(ref Utf8JsonReader reader)
    {
        // GetString unescapes and transcodes, throwing InvalidOperationException on invalid UTF-8
        // or invalid escaped surrogates; the caller maps that to WireFormatException.
        var value = reader.GetString() ?? throw new WireFormatException("canonical JSON: expected a string");
        RequireWellFormedUtf16(value);
        return value;
    }

    private static void RequireWellFormedUtf16(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(c))
            {
                throw new WireFormatException($"canonical JSON: lone surrogate U+{(int)c:X4} in a string");
            }
        }
    }

    private static void WriteNumber(ReadOnlySpan<byte> token, ArrayBufferWriter<byte> output)
    {
        // The reader has already checked the RFC 8259 number grammar; JCS numbers are IEEE 754 doubles.
        if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
        {
            throw new WireFormatException("canonical JSON: number is outside the IEEE 754 double range");
        }

        WriteAscii(FormatNumber(value), output);
    }

    private static void WriteString(string value, ArrayBufferWriter<byte> output)
    {
        // RFC 8785 §3.2.2.2: escape only '"', '\\' and C0 controls; the short forms where JSON has them.
        var escaped = new StringBuilder(value.Length + 2);
        escaped.Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': escaped.Append("\\\""); break;
                case '\\': escaped.Append("\\\\"); break;
                case '\b': escaped.Append("\\b"); break;
                case '\t': escaped.Append("\\t"); break;
                case '\n': escaped.Append("\\n"); break;
                case '\f': escaped.Append("\\f"); break;
                case '\r': escaped.Append("\\r"); break;
                default:
                    if (c < 0x20)
                    {
                        escaped.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        escaped.Append(c);
                    }

                    break;
            }
        }

        escaped.Append('"');
        output.Write(StrictUtf8.Encoding.GetBytes(escaped.ToString()));
    }

    private static void WriteAscii(string value, ArrayBufferWriter<byte> output)
    {
        var span = output.GetSpan(value.Length);
        for (var i = 0; i < value.Length; i++)
        {
            span[i] = (byte)value[i];
        }

        output.Advance(value.Length);
    }

    private static void WriteNode(JsonNode? node, ArrayBufferWriter<byte> output, int depth, int maxDepth)
    {
        switch (node)
        {
            case null:
                output.Write("null"u8);
                break;
            case JsonObject obj:
                RequireDepth(depth + 1, maxDepth);
                var members = new List<KeyValuePair<string, byte[]>>(obj.Count);
                foreach (var (name, child) in obj)
                {
                    RequireWellFormedUtf16(name);
                    var value = new ArrayBufferWriter<byte>();
                    WriteNode(child, value, depth + 1, maxDepth);
                    members.Add(new(name, value.WrittenSpan.ToArray()));
                }

                WriteMembers(members, output);
                break;
            case JsonArray array:
                RequireDepth(depth + 1, maxDepth);
                output.Write("["u8);
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        output.Write(","u8);
                    }

                    WriteNode(array[i], output, depth + 1, maxDepth);
                }

                output.Write("]"u8);
                break;
            case JsonValue value when value.TryGetValue<string>(out var text):
                RequireWellFormedUtf16(text);
                WriteString(text, output);
                break;
            default:
                // Numbers, booleans and other primitives: let System.Text.Json write the token, then
                // re-read it so that numbers get the ECMAScript form.
                output.Write(Canonicalize(WritePrimitive(node), maxDepth));
                break;
        }
    }

    private static byte[] WritePrimitive(JsonNode node)
    {
        var buffer = new ArrayBufferWriter<byte>();
        try
        {
            using var writer = new Utf8JsonWriter(buffer);
            node.WriteTo(writer);
        }
        catch (ArgumentException e)
        {
            throw new WireFormatException($"canonical JSON: value cannot be represented: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new WireFormatException($"canonical JSON: value cannot be represented: {e.Message}", e);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void RequireDepth(int depth, int maxDepth)
    {
        if (depth > maxDepth)
        {
            throw new WireFormatException($"canonical JSON: nesting deeper than {maxDepth} levels");
        }
    }

    private static byte[] EncodeStrict(string json)
    {
        try
        {
            return StrictUtf8.Encoding.GetBytes(json);
        }
        catch (EncoderFallbackException e)
        {
            throw new WireFormatException("canonical JSON: string holds a lone surrogate", e);
        }
    }
}
