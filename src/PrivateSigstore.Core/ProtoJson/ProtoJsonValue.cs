using System.Globalization;
using System.Numerics;
using System.Text.Json;

namespace PrivateSigstore.Core.ProtoJson;

/// <summary>
/// Readers for proto3 JSON scalar values, following protojson (google.golang.org/protobuf/encoding/protojson):
/// 64-bit integers as JSON strings or numbers, bytes as standard or URL-safe base64 with or without padding,
/// timestamps as RFC 3339 strings. Every mismatch throws <see cref="WireFormatException"/> naming the path.
/// </summary>
internal static class ProtoJsonValue
{
    /// <summary>Reads a proto <c>string</c>: a JSON string holding well-formed Unicode.</summary>
    public static string ReadString(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            throw new WireFormatException($"{path}: expected a string, got {ProtoMessage.Describe(value)}");
        }

        string text;
        try
        {
            text = value.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            // System.Text.Json refuses escaped lone surrogates ("\ud800") and invalid UTF-8.
            throw new WireFormatException($"{path}: string contains an unpaired UTF-16 surrogate or invalid UTF-8", e);
        }

        // proto3 strings are valid UTF-8; an escaped lone surrogate ("\ud800") cannot be.
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                throw new WireFormatException($"{path}: string contains an unpaired UTF-16 surrogate or invalid UTF-8");
            }
        }

        return text;
    }

    /// <summary>Reads a proto <c>int64</c>: a JSON string or number holding an integer in range.</summary>
    public static long ReadInt64(JsonElement value, string path) =>
        (long)ReadInteger(value, path, long.MinValue, long.MaxValue, "int64");

    /// <summary>Reads a proto <c>uint32</c>: a JSON number or string holding an integer in range.</summary>
    public static uint ReadUInt32(JsonElement value, string path) =>
        (uint)ReadInteger(value, path, uint.MinValue, uint.MaxValue, "uint32");

    /// <summary>Reads a proto <c>bytes</c> value: base64 text (standard or URL-safe, padded or not).</summary>
    public static byte[] ReadBytes(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            throw new WireFormatException($"{path}: expected a base64 string, got {ProtoMessage.Describe(value)}");
        }

        return TryDecodeBase64(value.GetString()!, out var bytes)
            ? bytes
            : throw new WireFormatException($"{path}: invalid base64");
    }

    /// <summary>Reads a <c>google.protobuf.Timestamp</c>: an RFC 3339 string.</summary>
    public static ProtoTimestamp ReadTimestamp(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            throw new WireFormatException($"{path}: expected an RFC 3339 timestamp string, got {ProtoMessage.Describe(value)}");
        }

        var text = value.GetString()!;
        return ProtoTimestamp.TryParse(text, out var timestamp)
            ? timestamp
            : throw new WireFormatException($"{path}: invalid RFC 3339 timestamp \"{text}\"");
    }

    /// <summary>Reads a repeated field: a JSON array whose elements are read by <paramref name="read"/>.</summary>
    public static IReadOnlyList<T> ReadList<T>(JsonElement value, string path, Func<JsonElement, string, T> read)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new WireFormatException($"{path}: expected an array, got {ProtoMessage.Describe(value)}");
        }

        var items = new T[value.GetArrayLength()];
        var index = 0;
        foreach (var element in value.EnumerateArray())
        {
            var elementPath = path + "[" + index.ToString(CultureInfo.InvariantCulture) + "]";

            // protojson: null is not a valid element of a repeated field.
            if (element.ValueKind == JsonValueKind.Null)
            {
                throw new WireFormatException($"{elementPath}: null is not allowed in a repeated field");
            }

            items[index++] = read(element, elementPath);
        }

        return items;
    }

    /// <summary>
    /// Decodes base64 as protojson does: the URL-safe alphabet when the text holds '-' or '_', otherwise the
    /// standard one; padding required when the length is a multiple of 4 and absent otherwise; line breaks
    /// (CR, LF) skipped as Go's decoder skips them. Any other character, including spaces, is rejected.
    /// </summary>
    public static bool TryDecodeBase64(string text, out byte[] bytes)
    {
        bytes = [];
        var urlSafe = text.AsSpan().IndexOfAny('-', '_') >= 0;
        var chars = new char[text.Length + 3];
        var count = 0;
        var padding = 0;
        foreach (var c in text)
        {
            if (c is '\r' or '\n')
            {
                continue;
            }

            if (padding > 0 && c != '=')
            {
                return false; // data after padding
            }

            if (char.IsAsciiLetterOrDigit(c))
            {
                chars[count++] = c;
            }
            else if (!urlSafe && c is '+' or '/')
            {
                chars[count++] = c;
            }
            else if (urlSafe && c is '-' or '_')
            {
                chars[count++] = c == '-' ? '+' : '/';
            }
            else if (c == '=')
            {
                chars[count++] = c;
                padding++;
            }
            else
            {
                return false;
            }
        }

        if (padding > 2 || (padding > 0 && count % 4 != 0))
        {
            return false;
        }

        if (padding == 0)
        {
            switch (count % 4)
            {
                case 1:
                    return false;
                case 2:
                    chars[count++] = '=';
                    chars[count++] = '=';
                    break;
                case 3:
                    chars[count++] = '=';
                    break;
            }
        }

        var buffer = new byte[(count / 4) * 3];
        if (!Convert.TryFromBase64Chars(chars.AsSpan(0, count), buffer, out var written))
        {
            return false;
        }

        bytes = written == buffer.Length ? buffer : buffer[..written];
        return true;
    }

    private static BigInteger ReadInteger(JsonElement value, string path, BigInteger min, BigInteger max, string type)
    {
        string text;
        switch (value.ValueKind)
        {
            case JsonValueKind.Number:
                if (value.TryGetInt64(out var simple) && simple >= min && simple <= max)
                {
                    return simple;
                }

                text = value.GetRawText();
                break;
            case JsonValueKind.String:
                // protojson parses the string's content as a JSON number (no surrounding space).
                text = value.GetString()!;
                break;
            default:
                throw new WireFormatException($"{path}: expected an {type} as a string or number, got {ProtoMessage.Describe(value)}");
        }

        return TryParseIntegralNumber(text, out var parsed) && parsed >= min && parsed <= max
            ? parsed
            : throw new WireFormatException($"{path}: \"{Truncate(text)}\" is not a valid {type}");
    }

    /// <summary>
    /// Parses JSON number syntax (-?int frac? exp?) whose value is an integer, e.g. "12", "-3", "1.0", "1e3".
    /// </summary>
    internal static bool TryParseIntegralNumber(string text, out BigInteger value)
    {
        value = BigInteger.Zero;
        var s = text.AsSpan();
        var i = 0;
        var negative = i < s.Length && s[i] == '-';
        if (negative)
        {
            i++;
        }

        // int: 0 | [1-9][0-9]*
        var intStart = i;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
        }

        var intDigits = s[intStart..i];
        if (intDigits.Length == 0 || (intDigits.Length > 1 && intDigits[0] == '0'))
        {
            return false;
        }

        // frac: . [0-9]+
        var fracDigits = ReadOnlySpan<char>.Empty;
        if (i < s.Length && s[i] == '.')
        {
            var fracStart = ++i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            fracDigits = s[fracStart..i];
            if (fracDigits.Length == 0)
            {
                return false;
            }
        }

        // exp: [eE] [+-]? [0-9]+
        var exponent = 0L;
        if (i < s.Length && s[i] is 'e' or 'E')
        {
            i++;
            var expNegative = false;
            if (i < s.Length && s[i] is '+' or '-')
            {
                expNegative = s[i] == '-';
                i++;
            }

            var expStart = i;
            while (i < s.Length && char.IsAsciiDigit(s[i]))
            {
                i++;
            }

            if (i == expStart || i - expStart > 6)
            {
                return false; // missing or absurdly long exponent
            }

            exponent = long.Parse(s[expStart..i], NumberStyles.None, CultureInfo.InvariantCulture) * (expNegative ? -1 : 1);
        }

        if (i != s.Length)
        {
            return false;
        }

        // value = digits × 10^(exponent − fraction length), which must be an integer.
        var digits = string.Concat(intDigits, fracDigits).TrimEnd('0');
        var scale = exponent - fracDigits.Length + (intDigits.Length + fracDigits.Length - digits.Length);
        if (digits.Length == 0)
        {
            return true; // zero
        }

        if (scale < 0 || digits.Length + scale > 40)
        {
            return false; // fractional, or far beyond any 64-bit range
        }

        value = BigInteger.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture) * BigInteger.Pow(10, (int)scale);
        if (negative)
        {
            value = -value;
        }

        return true;
    }

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
