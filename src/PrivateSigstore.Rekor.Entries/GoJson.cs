using System.Text.Json;

namespace PrivateSigstore.Rekor.Entries;

/// <summary>
/// Reads <see cref="JsonElement"/> trees the way Go's <c>encoding/json</c> decodes them into the shapes
/// upstream Rekor uses: <c>map[string]any</c> lookups are exact and the last duplicate wins; struct fields
/// match case-insensitively and the last matching member wins; <c>.(string)</c> / <c>.(map[string]any)</c>
/// type assertions simply miss on another JSON type.
/// </summary>
internal static class GoJson
{
    /// <summary>The member of a Go map with exactly this name (last duplicate wins), or null.</summary>
    public static JsonElement? Member(JsonElement map, string name)
    {
        JsonElement? found = null;
        foreach (var property in map.EnumerateObject())
        {
            if (property.NameEquals(name))
            {
                found = property.Value;
            }
        }

        return found;
    }

    /// <summary>The member a Go struct field named <paramref name="name"/> decodes from (case-insensitive, last wins), or null.</summary>
    public static JsonElement? Field(JsonElement structure, string name)
    {
        JsonElement? found = null;
        foreach (var property in structure.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                found = property.Value;
            }
        }

        return found;
    }

    /// <summary><c>m[name].(string)</c>: the string, or null when absent or of another type.</summary>
    public static string? String(JsonElement map, string name) =>
        Member(map, name) is { ValueKind: JsonValueKind.String } value ? Text(value) : null;

    /// <summary><c>m[name].(map[string]any)</c>: the object, or null when absent or of another type.</summary>
    public static JsonElement? Object(JsonElement map, string name) =>
        Member(map, name) is { ValueKind: JsonValueKind.Object } value ? value : null;

    /// <summary><c>m[name].([]any)</c>: the array, or null when absent or of another type.</summary>
    public static JsonElement? Array(JsonElement map, string name) =>
        Member(map, name) is { ValueKind: JsonValueKind.Array } value ? value : null;

    /// <summary>A JSON string's value; an invalid escaped surrogate is rejected (Go would substitute U+FFFD).</summary>
    public static string Text(JsonElement value)
    {
        try
        {
            return value.GetString() ?? string.Empty;
        }
        catch (InvalidOperationException e)
        {
            throw new EntryFailure($"invalid JSON string: {e.Message}", FailureStage.Processing, e);
        }
    }

    /// <summary>The name Go's <c>%T</c> prints for what <c>encoding/json</c> (with <c>UseNumber</c>) decodes into <c>any</c>.</summary>
    public static string GoTypeName(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "string",
        JsonValueKind.Number => "json.Number",
        JsonValueKind.True or JsonValueKind.False => "bool",
        JsonValueKind.Array => "[]interface {}",
        JsonValueKind.Object => "map[string]interface {}",
        _ => "<nil>",
    };

    /// <summary>The JSON type name Go's <c>UnmarshalTypeError</c> uses (<c>cannot unmarshal number into …</c>).</summary>
    public static string JsonTypeName(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "bool",
        JsonValueKind.Array => "array",
        JsonValueKind.Object => "object",
        _ => "null",
    };

    /// <summary>
    /// Parses UTF-8 JSON with the entry bounds (depth, no comments, no trailing commas). Invalid UTF-8 is
    /// rejected up front (Go would substitute U+FFFD; <see cref="JsonDocument"/> only notices when a string is read).
    /// </summary>
    /// <exception cref="JsonException">The text is not valid UTF-8 JSON within the bounds.</exception>
    public static JsonDocument Parse(ReadOnlyMemory<byte> utf8)
    {
        if (!System.Text.Unicode.Utf8.IsValid(utf8.Span))
        {
            throw new JsonException("invalid UTF-8 in JSON text");
        }

        return JsonDocument.Parse(utf8, new JsonDocumentOptions
        {
            MaxDepth = RekorEntryPolicy.MaxJsonDepth,
            CommentHandling = JsonCommentHandling.Disallow,
            AllowTrailingCommas = false,
        });
    }
}
