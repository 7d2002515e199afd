using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrivateSigstore.Tuf;

/// <summary>
/// The canonical JSON TUF signs (the OLPC dialect of securesystemslib, go-tuf and <c>@tufjs/canonical-json</c>):
/// object members sorted by the UTF-16 code units of their names, no whitespace, integers only, and in strings
/// only <c>\</c> and <c>"</c> escaped — every other character, control characters included, written as is.
/// </summary>
public static class TufCanonicalJson
{
    /// <summary>The canonical UTF-8 bytes of <paramref name="node"/>; throws <see cref="TufFormatException"/> for non-integer numbers.</summary>
    public static byte[] Serialize(JsonNode? node)
    {
        var builder = new StringBuilder();
        Write(builder, node, 0);
        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    private static void Write(StringBuilder b, JsonNode? node, int depth)
    {
        if (depth > 64) throw new TufFormatException("metadata nests deeper than 64 levels");
        switch (node)
        {
            case null:
                b.Append("null");
                break;
            case JsonObject o:
                b.Append('{');
                var first = true;
                foreach (var (name, value) in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (!first) b.Append(',');
                    first = false;
                    WriteString(b, name);
                    b.Append(':');
                    Write(b, value, depth + 1);
                }
                b.Append('}');
                break;
            case JsonArray a:
                b.Append('[');
                for (var i = 0; i < a.Count; i++)
                {
                    if (i > 0) b.Append(',');
                    Write(b, a[i], depth + 1);
                }
                b.Append(']');
                break;
            case JsonValue v:
                switch (v.GetValueKind())
                {
                    case JsonValueKind.String:
                        WriteString(b, v.GetValue<string>());
                        break;
                    case JsonValueKind.True:
                        b.Append("true");
                        break;
                    case JsonValueKind.False:
                        b.Append("false");
                        break;
                    case JsonValueKind.Null:
                        b.Append("null");
                        break;
                    case JsonValueKind.Number:
                        b.Append(Integer(v).ToString(CultureInfo.InvariantCulture));
                        break;
                    default:
                        throw new TufFormatException($"canonical JSON cannot encode a {v.GetValueKind()}");
                }
                break;
        }
    }

    private static long Integer(JsonValue v) =>
        long.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new TufFormatException($"canonical JSON allows integers only, not {v.ToJsonString()}");

    private static void WriteString(StringBuilder b, string s)
    {
        b.Append('"');
        foreach (var c in s)
        {
            if (c is '\\' or '"') b.Append('\\');
            b.Append(c);
        }
        b.Append('"');
    }
}
