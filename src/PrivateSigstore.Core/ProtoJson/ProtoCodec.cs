using System.Text.Json;

namespace PrivateSigstore.Core.ProtoJson;

/// <summary>
/// The proto3 JSON reader and writer of one protobuf message type <typeparamref name="T"/> (an immutable record),
/// made from one list of fields in proto declaration order: each field is declared once, with its names, its
/// value kind and its property, and that one declaration drives reading (protojson's rules, see
/// <see cref="ProtoMessage"/>) and writing (declaration order, unset and zero values omitted, see
/// <see cref="ProtoJsonWriter"/>).
/// </summary>
/// <typeparam name="T">The message record; a new instance holds every field's proto3 default.</typeparam>
internal sealed class ProtoCodec<T>
    where T : class, new()
{
    private readonly ProtoField<T>[] _fields;
    private readonly ProtoMessage _message;
    private readonly (string Name, string WriteError, int[] Members)[] _oneofs;

    /// <summary>Creates the codec of <paramref name="fullName"/> with <paramref name="fields"/> in declaration order.</summary>
    public ProtoCodec(string fullName, params ProtoField<T>[] fields)
        : this(fullName, [], fields)
    {
    }

    private ProtoCodec(string fullName, (string, string, int[])[] oneofs, ProtoField<T>[] fields)
    {
        _fields = fields;
        _oneofs = oneofs;
        _message = new ProtoMessage(fullName, [.. fields.Select(f => f.Names)]);
    }

    /// <summary>The message's fully qualified protobuf name.</summary>
    public string FullName => _message.FullName;

    /// <summary>
    /// This codec with a oneof over the fields named <paramref name="members"/> (JSON names): reading rejects two set
    /// members (protojson), writing throws <see cref="ArgumentException"/> with <paramref name="writeError"/>.
    /// </summary>
    public ProtoCodec<T> WithOneof(string name, string writeError, params string[] members)
    {
        var indices = members.Select(m => Array.FindIndex(_fields, f => f.JsonName == m)).ToArray();
        if (indices.Any(i => i < 0))
        {
            throw new ArgumentException($"{FullName} has no field among {string.Join(", ", members)}", nameof(members));
        }

        return new ProtoCodec<T>(FullName, [.. _oneofs, (name, writeError, indices)], _fields);
    }

    /// <summary>Reads the message at <paramref name="path"/>; absent fields keep their defaults.</summary>
    public T Read(JsonElement value, string path)
    {
        var present = _message.Collect(value, path);
        foreach (var (name, _, members) in _oneofs)
        {
            present.RequireAtMostOne(name, members);
        }

        var message = new T();
        for (var i = 0; i < _fields.Length; i++)
        {
            if (present.Element(i) is { } element)
            {
                message = _fields[i].Read(message, element, present.PathOf(i));
            }
        }

        return message;
    }

    /// <summary>Writes the message as a JSON object (fields in declaration order, unset ones omitted).</summary>
    public void Write(Utf8JsonWriter writer, T value)
    {
        foreach (var (_, writeError, members) in _oneofs)
        {
            if (members.Count(m => _fields[m].IsSet(value)) > 1)
            {
                throw new ArgumentException(writeError, nameof(value));
            }
        }

        writer.WriteStartObject();
        foreach (var field in _fields)
        {
            field.Write(writer, value);
        }

        writer.WriteEndObject();
    }
}

/// <summary>One field of a message <typeparamref name="T"/>: its names, how its value is read and written, and its property.</summary>
internal abstract class ProtoField<T>
{
    protected ProtoField(string names)
    {
        Names = names;
        JsonName = names.Split('|')[0];
    }

    /// <summary><c>"jsonName"</c> or <c>"jsonName|proto_name"</c> (see <see cref="ProtoMessage"/>).</summary>
    public string Names { get; }

    /// <summary>The lowerCamelCase JSON name (the one written).</summary>
    public string JsonName { get; }

    /// <summary>The message with this field read from <paramref name="value"/>.</summary>
    public abstract T Read(T message, JsonElement value, string path);

    /// <summary>Writes the field unless it is unset (protojson omits it then).</summary>
    public abstract void Write(Utf8JsonWriter writer, T message);

    /// <summary>Whether the field is set (for oneof checks when writing).</summary>
    public abstract bool IsSet(T message);
}

/// <summary>A field of <typeparamref name="T"/> holding a <typeparamref name="TValue"/>.</summary>
internal sealed class ProtoField<T, TValue>(
    string names,
    Func<JsonElement, string, TValue> read,
    Action<Utf8JsonWriter, string, TValue> write,
    Func<T, TValue> get,
    Func<T, TValue, T> set) : ProtoField<T>(names)
{
    public override T Read(T message, JsonElement value, string path) => set(message, read(value, path));

    public override void Write(Utf8JsonWriter writer, T message) => write(writer, JsonName, get(message));

    public override bool IsSet(T message) => get(message) is not null;
}

/// <summary>
/// The field kinds of the proto3 JSON mapping, each a declaration of one field: names (<c>"jsonName|proto_name"</c>),
/// the property's getter and a setter that returns the record with the value (<c>(m, v) =&gt; m with { P = v }</c>).
/// </summary>
internal static class ProtoField
{
    /// <summary>A <c>string</c> field ("" when absent, omitted when empty).</summary>
    public static ProtoField<T> String<T>(string names, Func<T, string> get, Func<T, string, T> set) =>
        new ProtoField<T, string>(names, ProtoJsonValue.ReadString, ProtoJsonWriter.WriteString, get, set);

    /// <summary>An <c>int64</c> field (a decimal string or number; written as a string, omitted when 0).</summary>
    public static ProtoField<T> Int64<T>(string names, Func<T, long> get, Func<T, long, T> set) =>
        new ProtoField<T, long>(names, ProtoJsonValue.ReadInt64, ProtoJsonWriter.WriteInt64, get, set);

    /// <summary>A <c>uint32</c> field (written as a number, omitted when 0).</summary>
    public static ProtoField<T> UInt32<T>(string names, Func<T, uint> get, Func<T, uint, T> set) =>
        new ProtoField<T, uint>(names, ProtoJsonValue.ReadUInt32, ProtoJsonWriter.WriteUInt32, get, set);

    /// <summary>A <c>bytes</c> field (base64; omitted when empty).</summary>
    public static ProtoField<T> Bytes<T>(string names, Func<T, byte[]> get, Func<T, byte[], T> set) =>
        new ProtoField<T, byte[]>(names, ProtoJsonValue.ReadBytes, ProtoJsonWriter.WriteBytes, get, set);

    /// <summary>An <c>optional bytes</c> field (explicit presence: written whenever set, even when empty).</summary>
    public static ProtoField<T> OptionalBytes<T>(string names, Func<T, byte[]?> get, Func<T, byte[]?, T> set) =>
        new ProtoField<T, byte[]?>(names, ProtoJsonValue.ReadBytes, ProtoJsonWriter.WriteOptionalBytes, get, set);

    /// <summary>A <c>google.protobuf.Timestamp</c> field (RFC 3339; null when absent).</summary>
    public static ProtoField<T> Timestamp<T>(string names, Func<T, ProtoTimestamp?> get, Func<T, ProtoTimestamp?, T> set) =>
        new ProtoField<T, ProtoTimestamp?>(names, static (v, p) => ProtoJsonValue.ReadTimestamp(v, p), ProtoJsonWriter.WriteTimestamp, get, set);

    /// <summary>An enum field (by name or known number; omitted when the zero value).</summary>
    public static ProtoField<T> Enum<T, TEnum>(string names, ProtoEnum<TEnum> map, Func<T, TEnum> get, Func<T, TEnum, T> set)
        where TEnum : struct, Enum =>
        new ProtoField<T, TEnum>(names, map.Read, map.WriteField, get, set);

    /// <summary>A message field read and written by <paramref name="codec"/> (null when absent).</summary>
    public static ProtoField<T> Message<T, TMessage>(string names, ProtoCodec<TMessage> codec, Func<T, TMessage?> get, Func<T, TMessage?, T> set)
        where TMessage : class, new() =>
        Message(names, codec.Read, codec.Write, get, set);

    /// <summary>A message field with its own reader and writer (null when absent).</summary>
    public static ProtoField<T> Message<T, TMessage>(string names, Func<JsonElement, string, TMessage> read, Action<Utf8JsonWriter, TMessage> write,
        Func<T, TMessage?> get, Func<T, TMessage?, T> set)
        where TMessage : class =>
        new ProtoField<T, TMessage?>(names, read, (w, n, v) => ProtoJsonWriter.WriteMessage(w, n, v, write), get, set);

    /// <summary>A repeated message field (empty when absent, omitted when empty).</summary>
    public static ProtoField<T> List<T, TMessage>(string names, ProtoCodec<TMessage> codec, Func<T, IReadOnlyList<TMessage>> get, Func<T, IReadOnlyList<TMessage>, T> set)
        where TMessage : class, new() =>
        new ProtoField<T, IReadOnlyList<TMessage>>(names, (v, p) => ProtoJsonValue.ReadList(v, p, codec.Read), (w, n, v) => ProtoJsonWriter.WriteList(w, n, v, codec.Write), get, set);

    /// <summary>A <c>repeated string</c> field.</summary>
    public static ProtoField<T> StringList<T>(string names, Func<T, IReadOnlyList<string>> get, Func<T, IReadOnlyList<string>, T> set) =>
        new ProtoField<T, IReadOnlyList<string>>(names, static (v, p) => ProtoJsonValue.ReadList(v, p, ProtoJsonValue.ReadString), ProtoJsonWriter.WriteStringList, get, set);

    /// <summary>A <c>repeated bytes</c> field.</summary>
    public static ProtoField<T> BytesList<T>(string names, Func<T, IReadOnlyList<byte[]>> get, Func<T, IReadOnlyList<byte[]>, T> set) =>
        new ProtoField<T, IReadOnlyList<byte[]>>(names, static (v, p) => ProtoJsonValue.ReadList(v, p, ProtoJsonValue.ReadBytes), ProtoJsonWriter.WriteBytesList, get, set);
}
