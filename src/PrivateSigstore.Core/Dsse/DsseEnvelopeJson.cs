using System.Text.Json;
using PrivateSigstore.Core.ProtoJson;

namespace PrivateSigstore.Core.Dsse;

/// <summary>
/// Reads and writes the DSSE JSON envelope (envelope.md):
/// <c>{"payload": b64, "payloadType": "…", "signatures": [{"keyid": "…", "sig": b64}]}</c>.
/// Reading accepts standard or URL-safe base64, with or without padding, ignores unknown fields, requires
/// <c>payload</c>, <c>payloadType</c>, <c>signatures</c> and each <c>sig</c> to be present (they "MUST be set,
/// even if empty"), and throws <see cref="WireFormatException"/> for any bad input, including input larger
/// than <see cref="MaxBytes"/> or nested deeper than 64 levels. Writing uses padded standard base64.
/// </summary>
public static class DsseEnvelopeJson
{
    /// <summary>The largest envelope accepted by the parsers (16 MiB).</summary>
    public const int MaxBytes = ProtoJsonDocument.DefaultMaxBytes;

    private const string What = "DSSE envelope";

    private static readonly ProtoMessage EnvelopeMessage = new("io.intoto.Envelope", "payload", "payloadType", "signatures");
    private static readonly ProtoMessage SignatureMessage = new("io.intoto.Signature", "sig", "keyid");

    /// <summary>Parses a standalone DSSE JSON envelope from UTF-8 bytes.</summary>
    public static DsseEnvelope Parse(ReadOnlySpan<byte> utf8) =>
        ProtoJsonDocument.Read(utf8, MaxBytes, What, root => Read(root, "$", strict: true));

    /// <summary>Parses a standalone DSSE JSON envelope from a string.</summary>
    public static DsseEnvelope Parse(string json) =>
        ProtoJsonDocument.Read(json, MaxBytes, What, root => Read(root, "$", strict: true));

    /// <summary>Parses a standalone DSSE JSON envelope read to the end of <paramref name="utf8Json"/>.</summary>
    public static DsseEnvelope Parse(Stream utf8Json) =>
        ProtoJsonDocument.Read(utf8Json, MaxBytes, What, root => Read(root, "$", strict: true));

    /// <summary>
    /// Writes the envelope in the DSSE JSON shape, fields in the order of envelope.md: <c>payload</c>,
    /// <c>payloadType</c>, <c>signatures</c>, and per signature <c>keyid</c> (only when not null) then <c>sig</c>.
    /// Compact unless <paramref name="indented"/>.
    /// </summary>
    public static string Serialize(DsseEnvelope envelope, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return ProtoJsonDocument.Write(w => WriteStandalone(w, envelope), indented);
    }

    /// <summary>Like <see cref="Serialize"/>, returning UTF-8 bytes.</summary>
    public static byte[] SerializeToUtf8Bytes(DsseEnvelope envelope, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        return ProtoJsonDocument.WriteUtf8(w => WriteStandalone(w, envelope), indented);
    }

    /// <summary>
    /// Reads an envelope. <paramref name="strict"/> applies the DSSE "MUST be set" rules; without it the
    /// proto3 JSON rules of a Sigstore bundle apply (absent fields take their empty defaults).
    /// </summary>
    internal static DsseEnvelope Read(JsonElement value, string path, bool strict)
    {
        var f = EnvelopeMessage.Collect(value, path);
        if (strict)
        {
            Require(f, 0, 1, 2);
        }

        return new DsseEnvelope(
            PayloadType: f.String(1),
            Payload: f.Bytes(0),
            Signatures: f.List(2, (e, p) => ReadSignature(e, p, strict)));
    }

    /// <summary>Writes the envelope as the proto3 JSON of <c>io.intoto.Envelope</c> (protojson field order and omissions).</summary>
    internal static void WriteProto(Utf8JsonWriter writer, DsseEnvelope envelope)
    {
        writer.WriteStartObject();
        ProtoJsonWriter.WriteBytes(writer, "payload", envelope.Payload);
        ProtoJsonWriter.WriteString(writer, "payloadType", envelope.PayloadType);
        ProtoJsonWriter.WriteList(writer, "signatures", envelope.Signatures, static (w, signature) =>
        {
            w.WriteStartObject();
            ProtoJsonWriter.WriteBytes(w, "sig", signature.Sig);
            ProtoJsonWriter.WriteString(w, "keyid", signature.KeyId);
            w.WriteEndObject();
        });
        writer.WriteEndObject();
    }

    private static DsseSignature ReadSignature(JsonElement value, string path, bool strict)
    {
        var f = SignatureMessage.Collect(value, path);
        if (strict)
        {
            Require(f, 0);
        }

        return new DsseSignature(Sig: f.Bytes(0), KeyId: f.OptionalString(1));
    }

    private static void WriteStandalone(Utf8JsonWriter writer, DsseEnvelope envelope)
    {
        writer.WriteStartObject();
        writer.WritePropertyName("payload");
        ProtoJsonWriter.WriteBase64Value(writer, envelope.Payload ?? []);
        writer.WritePropertyName("payloadType");
        ProtoJsonWriter.WriteStringValue(writer, envelope.PayloadType ?? "");
        writer.WritePropertyName("signatures");
        writer.WriteStartArray();
        foreach (var signature in envelope.Signatures ?? [])
        {
            writer.WriteStartObject();
            if (signature.KeyId is not null)
            {
                writer.WritePropertyName("keyid");
                ProtoJsonWriter.WriteStringValue(writer, signature.KeyId);
            }

            writer.WritePropertyName("sig");
            ProtoJsonWriter.WriteBase64Value(writer, signature.Sig ?? []);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void Require(ProtoFields fields, params int[] required)
    {
        foreach (var index in required)
        {
            if (!fields.Has(index))
            {
                throw new WireFormatException($"{fields.PathOf(index)}: required DSSE field is missing");
            }
        }
    }
}
