using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;

namespace PrivateSigstore.Core.ProtoJson;

/// <summary>
/// The mapping between a C# enum and the proto enum it mirrors: each member's proto name (as written in
/// JSON) and proto number. Names not in the table are rejected on read, as sigstore-js does
/// ("Unrecognized enum value").
/// </summary>
internal sealed class ProtoEnum<TEnum>
    where TEnum : struct, Enum
{
    private readonly FrozenDictionary<string, TEnum> _byName;
    private readonly FrozenDictionary<int, TEnum> _byNumber;
    private readonly FrozenDictionary<TEnum, string> _nameOf;

    /// <summary>Creates the table from (member, proto name, proto number) triples.</summary>
    public ProtoEnum(string fullName, params (TEnum Value, string Name, int Number)[] members)
    {
        FullName = fullName;
        _byName = members.ToFrozenDictionary(m => m.Name, m => m.Value, StringComparer.Ordinal);
        _byNumber = members.ToFrozenDictionary(m => m.Number, m => m.Value);
        _nameOf = members.ToFrozenDictionary(m => m.Value, m => m.Name);
    }

    /// <summary>The proto enum's fully qualified name, for error messages.</summary>
    public string FullName { get; }

    /// <summary>
    /// Reads an enum value: its proto name as a JSON string, or (as protojson and ts-proto also accept) its
    /// proto number as a JSON integer. Unknown names and numbers are errors.
    /// </summary>
    public TEnum Read(JsonElement value, string path)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.String:
                var name = value.GetString()!;
                return _byName.TryGetValue(name, out var byName)
                    ? byName
                    : throw new WireFormatException($"{path}: unrecognized enum value \"{name}\" for {FullName}");
            case JsonValueKind.Number:
                return value.TryGetInt32(out var number) && _byNumber.TryGetValue(number, out var byNumber)
                    ? byNumber
                    : throw new WireFormatException($"{path}: unrecognized enum number {value.GetRawText()} for {FullName}");
            default:
                throw new WireFormatException($"{path}: expected an enum name string for {FullName}, got {ProtoMessage.Describe(value)}");
        }
    }

    /// <summary>The proto name of <paramref name="value"/>, or null when the value has no proto name.</summary>
    public string? NameOf(TEnum value) => _nameOf.TryGetValue(value, out var name) ? name : null;

    /// <summary>Writes a field holding <paramref name="value"/>; the zero value is omitted as in protojson.</summary>
    public void WriteField(Utf8JsonWriter writer, string jsonName, TEnum value)
    {
        var number = Convert.ToInt32(value, CultureInfo.InvariantCulture);
        if (number == 0)
        {
            return;
        }

        writer.WritePropertyName(jsonName);
        if (NameOf(value) is { } name)
        {
            ProtoJsonWriter.WriteStringValue(writer, name);
        }
        else
        {
            // protojson writes values without a name as their number.
            writer.WriteNumberValue(number);
        }
    }
}
