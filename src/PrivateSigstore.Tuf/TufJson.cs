using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrivateSigstore.Tuf;

/// <summary>Strict accessors for metadata fields, each failing with a message that names the field.</summary>
internal static class TufJson
{
    public const string ExpiresFormat = "yyyy-MM-dd'T'HH:mm:ss'Z'";

    public static JsonObject ParseObject(ReadOnlySpan<byte> bytes, string where)
    {
        if (Core.Json.JsonUnicode.FindInvalidString(bytes, 32) is { } notUnicode) throw new TufFormatException($"{where}: malformed JSON: {notUnicode}");
        try
        {
            return JsonNode.Parse(bytes, documentOptions: Core.Json.StrictJson.Options(32)) as JsonObject
                ?? throw new TufFormatException($"{where}: not a JSON object");
        }
        catch (JsonException e)
        {
            throw new TufFormatException($"{where}: malformed JSON: {e.Message}", e);
        }
    }

    public static JsonNode Required(JsonObject o, string name, string where) =>
        o.TryGetPropertyValue(name, out var v) && v is not null ? v : throw new TufFormatException($"{where}: missing field '{name}'");

    public static string String(JsonObject o, string name, string where) =>
        Required(o, name, where) is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw new TufFormatException($"{where}: '{name}' must be a string");

    public static JsonObject Object(JsonObject o, string name, string where) =>
        Required(o, name, where) as JsonObject ?? throw new TufFormatException($"{where}: '{name}' must be an object");

    public static JsonArray Array(JsonObject o, string name, string where) =>
        Required(o, name, where) as JsonArray ?? throw new TufFormatException($"{where}: '{name}' must be an array");

    public static long Integer(JsonObject o, string name, string where, long min = 0)
    {
        if (Required(o, name, where) is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            && long.TryParse(v.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
        {
            return n >= min ? n : throw new TufFormatException($"{where}: '{name}' must be at least {min}, not {n}");
        }
        throw new TufFormatException($"{where}: '{name}' must be an integer");
    }

    public static bool Boolean(JsonObject o, string name, string where, bool fallback)
    {
        if (!o.TryGetPropertyValue(name, out var v) || v is null) return fallback;
        return v is JsonValue b && b.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? b.GetValue<bool>() : throw new TufFormatException($"{where}: '{name}' must be true or false");
    }

    public static DateTimeOffset Expires(JsonObject o, string where)
    {
        var text = String(o, "expires", where);
        if (!text.EndsWith('Z') || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t))
        {
            throw new TufFormatException($"{where}: 'expires' must be a UTC time like 2030-01-01T00:00:00Z, not '{text}'");
        }
        return t;
    }

    public static string FormatExpires(DateTimeOffset t) => t.ToUniversalTime().ToString(ExpiresFormat, CultureInfo.InvariantCulture);

    public static IReadOnlyDictionary<string, string> Hashes(JsonObject o, string where)
    {
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (algorithm, value) in o)
        {
            if (value is not JsonValue v || v.GetValueKind() != JsonValueKind.String) throw new TufFormatException($"{where}: hash '{algorithm}' must be a hex string");
            hashes[algorithm] = v.GetValue<string>();
        }
        if (hashes.Count == 0) throw new TufFormatException($"{where}: 'hashes' is empty");
        return hashes;
    }
}
