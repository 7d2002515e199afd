using System.Collections.Frozen;
using System.Text.Json;

namespace PrivateSigstore.Core.ProtoJson;

/// <summary>
/// The JSON field table of one protobuf message: for each field, in declaration order, its lowerCamelCase
/// JSON name and (when different) its original proto name. Reading collects a message's known fields into
/// an array indexed by declaration position, following protojson's rules.
/// </summary>
internal sealed class ProtoMessage
{
    private readonly FrozenDictionary<string, int> _byName;
    private readonly string[] _jsonNames;

    /// <summary>
    /// Creates the table. Each entry is either <c>"jsonName"</c> or <c>"jsonName|proto_name"</c>;
    /// entries are in proto declaration order (the order protojson writes them).
    /// </summary>
    public ProtoMessage(string fullName, params string[] fields)
    {
        FullName = fullName;
        _jsonNames = new string[fields.Length];
        var byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < fields.Length; i++)
        {
            var names = fields[i].Split('|');
            _jsonNames[i] = names[0];
            foreach (var name in names)
            {
                byName.Add(name, i);
            }
        }

        _byName = byName.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The message's fully qualified protobuf name, for error messages.</summary>
    public string FullName { get; }

    /// <summary>The JSON name of the field at <paramref name="index"/>.</summary>
    public string JsonName(int index) => _jsonNames[index];

    /// <summary>The path of the field at <paramref name="index"/> below <paramref name="path"/>.</summary>
    public string PathOf(string path, int index) => path + "." + _jsonNames[index];

    /// <summary>
    /// Collects the known fields of the JSON object <paramref name="value"/>. A field set to JSON null is left
    /// absent (protojson treats null as the default value). Unknown fields are ignored. A field given twice
    /// (under either of its names) is an error, as in protojson.
    /// </summary>
    public ProtoFields Collect(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw new WireFormatException($"{path}: expected a JSON object for {FullName}, got {Describe(value)}");
        }

        var fields = new JsonElement?[_jsonNames.Length];
        var seen = new bool[_jsonNames.Length];
        foreach (var property in value.EnumerateObject())
        {
            // Unknown fields are tolerated and ignored (protojson DiscardUnknown, as Sigstore clients read).
            if (!_byName.TryGetValue(property.Name, out var index))
            {
                continue;
            }

            // protojson: "duplicate field" — also when the JSON name and the proto name are both used.
            if (seen[index])
            {
                throw new WireFormatException($"{path}: duplicate field \"{property.Name}\" in {FullName}");
            }

            seen[index] = true;

            // protojson: a JSON null leaves the field at its default value.
            if (property.Value.ValueKind != JsonValueKind.Null)
            {
                fields[index] = property.Value;
            }
        }

        return new ProtoFields(this, path, fields);
    }

    /// <summary>
    /// Rejects a message in which more than one member of the oneof <paramref name="oneofName"/> is set
    /// (protojson: "oneof … is already set"). Members set to JSON null do not count.
    /// </summary>
    internal void RequireAtMostOne(JsonElement?[] fields, string path, string oneofName, params int[] members)
    {
        string? first = null;
        foreach (var member in members)
        {
            if (fields[member] is null)
            {
                continue;
            }

            if (first is not null)
            {
                throw new WireFormatException(
                    $"{path}: oneof {FullName}.{oneofName} is already set by \"{first}\"; \"{_jsonNames[member]}\" cannot also be set");
            }

            first = _jsonNames[member];
        }
    }

    /// <summary>A short description of a JSON value's kind for error messages.</summary>
    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
