using System.Text.Json;

namespace PrivateSigstore.Core.ProtoJson;

/// <summary>
/// The known fields of one JSON object, indexed by declaration position (see <see cref="ProtoMessage"/>),
/// with typed accessors that return the proto3 default for an absent field and throw
/// <see cref="WireFormatException"/> (naming the field's path) for a value of the wrong shape.
/// </summary>
internal readonly struct ProtoFields
{
    private readonly ProtoMessage _message;
    private readonly string _path;
    private readonly JsonElement?[] _fields;

    internal ProtoFields(ProtoMessage message, string path, JsonElement?[] fields)
    {
        _message = message;
        _path = path;
        _fields = fields;
    }

    /// <summary>The field's JSON value, or null when absent or JSON null.</summary>
    public JsonElement? Element(int index) => _fields[index];

    /// <summary>True when the field is present and not null.</summary>
    public bool Has(int index) => _fields[index] is not null;

    /// <summary>The path of the field at <paramref name="index"/>.</summary>
    public string PathOf(int index) => _message.PathOf(_path, index);

    /// <summary>A <c>string</c> field; "" when absent.</summary>
    public string String(int index) =>
        _fields[index] is { } v ? ProtoJsonValue.ReadString(v, PathOf(index)) : "";

    /// <summary>A <c>string</c> field; null when absent.</summary>
    public string? OptionalString(int index) =>
        _fields[index] is { } v ? ProtoJsonValue.ReadString(v, PathOf(index)) : null;

    /// <summary>An <c>int64</c> field; 0 when absent.</summary>
    public long Int64(int index) =>
        _fields[index] is { } v ? ProtoJsonValue.ReadInt64(v, PathOf(index)) : 0;

    /// <summary>A <c>uint32</c> field; 0 when absent.</summary>
    public uint UInt32(int index) =>
        _fields[index] is { } v ? ProtoJsonValue.ReadUInt32(v, PathOf(index)) : 0;

    /// <summary>A <c>bytes</c> field; empty when absent.</summary>
    public byte[] Bytes(int index) =>
        _fields[index] is { } v ? ProtoJsonValue.ReadBytes(v, PathOf(index)) : [];

    /// <summary>An <c>optional bytes</c> field (explicit presence); null when absent.</summary>
    public byte[]? OptionalBytes(int index) =>
        _fields[index] is { } v ? ProtoJsonValue.ReadBytes(v, PathOf(index)) : null;

    /// <summary>A <c>google.protobuf.Timestamp</c> field; null when absent.</summary>
    public ProtoTimestamp? Timestamp(int index) =>
        _fields[index] is { } v ? ProtoJsonValue.ReadTimestamp(v, PathOf(index)) : null;

    /// <summary>An enum field; the zero value when absent.</summary>
    public TEnum Enum<TEnum>(int index, ProtoEnum<TEnum> map)
        where TEnum : struct, Enum =>
        _fields[index] is { } v ? map.Read(v, PathOf(index)) : default;

    /// <summary>A message field; null when absent.</summary>
    public T? Message<T>(int index, Func<JsonElement, string, T> read)
        where T : class =>
        _fields[index] is { } v ? read(v, PathOf(index)) : null;

    /// <summary>A repeated field; empty when absent.</summary>
    public IReadOnlyList<T> List<T>(int index, Func<JsonElement, string, T> read) =>
        _fields[index] is { } v ? ProtoJsonValue.ReadList(v, PathOf(index), read) : [];

    /// <summary>Rejects more than one set member of the oneof <paramref name="oneofName"/>.</summary>
    public void RequireAtMostOne(string oneofName, params int[] members) =>
        _message.RequireAtMostOne(_fields, _path, oneofName, members);
}
