using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.ProtoJson;

namespace PrivateSigstore.Core.Tests;

/// <summary>
/// Compares proto3 JSON documents. <see cref="Semantic"/> normalizes what the proto3 JSON mapping treats as
/// equal: absent vs null vs default values (empty strings/arrays, 0 and "0"), int64 numbers vs strings,
/// proto_name vs jsonName keys, RFC 3339 spellings of the same instant; then compares with object member
/// order ignored. <see cref="Minified"/> only removes insignificant whitespace and re-escapes strings one
/// way, keeping member order, to check byte-identity modulo whitespace.
/// </summary>
internal static class JsonComparison
{
    private static readonly JsonSerializerOptions Compact = new()
    {
        WriteIndented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static JsonNode? Semantic(string json) => Normalize(JsonNode.Parse(json), key: null);

    public static string Minified(string json) => JsonNode.Parse(json)!.ToJsonString(Compact);

    public static void AssertSemanticallyEqual(string expected, string actual)
    {
        var e = Semantic(expected);
        var a = Semantic(actual);
        if (!JsonNode.DeepEquals(e, a))
        {
            Assert.Fail("JSON differs semantically.\nexpected: " + e?.ToJsonString(Compact) + "\nactual:   " + a?.ToJsonString(Compact));
        }
    }

    private static JsonNode? Normalize(JsonNode? node, string? key)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonObject obj:
                var result = new JsonObject();
                foreach (var (name, value) in obj)
                {
                    var camel = ToLowerCamel(name);
                    var normalized = Normalize(value, camel);
                    if (!IsDefault(normalized))
                    {
                        result[camel] = normalized;
                    }
                }

                return result;
            case JsonArray array:
                var items = new JsonArray();
                foreach (var item in array)
                {
                    items.Add(Normalize(item, key));
                }

                return items;
            case JsonValue value when value.GetValueKind() == JsonValueKind.Number:
                // int64 fields may be written as numbers upstream; compare their decimal text.
                return JsonValue.Create(value.ToJsonString());
            case JsonValue value when value.GetValueKind() == JsonValueKind.String && key is "start" or "end":
                var text = value.GetValue<string>();
                return JsonValue.Create(ProtoTimestamp.TryParse(text, out var ts) ? ts.ToString() : text);
            case JsonValue value when value.GetValueKind() == JsonValueKind.False:
                return null;
            default:
                return node.DeepClone();
        }
    }

    private static bool IsDefault(JsonNode? node) => node switch
    {
        null => true,
        JsonArray array => array.Count == 0,
        JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>() is "" or "0",
        _ => false,
    };

    private static string ToLowerCamel(string name)
    {
        if (!name.Contains('_', StringComparison.Ordinal))
        {
            return name;
        }

        var parts = name.Split('_');
        return parts[0] + string.Concat(parts.Skip(1).Select(p => p.Length == 0 ? p : char.ToUpperInvariant(p[0]) + p[1..]));
    }
}
