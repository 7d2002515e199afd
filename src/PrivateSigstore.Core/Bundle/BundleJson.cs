using System.Text.Json;
using PrivateSigstore.Core.Dsse;
using PrivateSigstore.Core.ProtoJson;

namespace PrivateSigstore.Core.Bundle;

/// <summary>
/// Reads and writes Sigstore bundles (<c>.sigstore.json</c>) in the proto3 JSON mapping of
/// <c>dev.sigstore.bundle.v1.Bundle</c>, as protojson and the Sigstore clients do.
/// <para>
/// Reading accepts lowerCamelCase and original proto field names, int64 values as JSON strings or numbers,
/// bytes as standard or URL-safe base64 with or without padding, enums by name (or known number), and
/// ignores unknown fields. It throws <see cref="WireFormatException"/> for malformed JSON, values of the
/// wrong type, unknown enum names, duplicate fields, two members of one oneof, input over
/// <see cref="MaxBytes"/> or nesting deeper than 64. Parsing checks the wire format only; call
/// <see cref="Bundle.Validate"/> for the bundle format rules.
/// </para>
/// <para>
/// Writing emits fields in proto declaration order (protojson's order), omits unset and zero values,
/// writes int64 as decimal strings and bytes as padded standard base64, and escapes strings as protojson
/// does, so a bundle written by protojson round-trips to the same JSON modulo whitespace.
/// </para>
/// </summary>
public static class BundleJson
{
    /// <summary>The largest bundle accepted by the parsers (16 MiB).</summary>
    public const int MaxBytes = ProtoJsonDocument.DefaultMaxBytes;

    private const string What = "Sigstore bundle";

    private static readonly ProtoMessage BundleMessage = new(
        "dev.sigstore.bundle.v1.Bundle",
        "mediaType|media_type", "verificationMaterial|verification_material", "messageSignature|message_signature", "dsseEnvelope|dsse_envelope");

    private static readonly ProtoMessage VerificationMaterialMessage = new(
        "dev.sigstore.bundle.v1.VerificationMaterial",
        "publicKey|public_key", "x509CertificateChain|x509_certificate_chain", "certificate", "tlogEntries|tlog_entries",
        "timestampVerificationData|timestamp_verification_data");

    private static readonly ProtoMessage TimestampVerificationDataMessage = new(
        "dev.sigstore.bundle.v1.TimestampVerificationData", "rfc3161Timestamps|rfc3161_timestamps");

    private static readonly ProtoMessage EntryMessage = new(
        "dev.sigstore.rekor.v1.TransparencyLogEntry",
        "logIndex|log_index", "logId|log_id", "kindVersion|kind_version", "integratedTime|integrated_time",
        "inclusionPromise|inclusion_promise", "inclusionProof|inclusion_proof", "canonicalizedBody|canonicalized_body");

    private static readonly ProtoMessage KindVersionMessage = new("dev.sigstore.rekor.v1.KindVersion", "kind", "version");

    private static readonly ProtoMessage CheckpointMessage = new("dev.sigstore.rekor.v1.Checkpoint", "envelope");

    private static readonly ProtoMessage InclusionProofMessage = new(
        "dev.sigstore.rekor.v1.InclusionProof",
        "logIndex|log_index", "rootHash|root_hash", "treeSize|tree_size", "hashes", "checkpoint");

    private static readonly ProtoMessage InclusionPromiseMessage = new(
        "dev.sigstore.rekor.v1.InclusionPromise", "signedEntryTimestamp|signed_entry_timestamp");

    /// <summary>Parses a bundle from UTF-8 JSON (wire format only; see <see cref="Bundle.Validate"/>).</summary>
    public static Bundle Parse(ReadOnlySpan<byte> utf8) => ProtoJsonDocument.Read(utf8, MaxBytes, What, ReadRoot);

    /// <summary>Parses a bundle from a JSON string (wire format only; see <see cref="Bundle.Validate"/>).</summary>
    public static Bundle Parse(string json) => ProtoJsonDocument.Read(json, MaxBytes, What, ReadRoot);

    /// <summary>Parses a bundle read to the end of <paramref name="utf8Json"/> (at most <see cref="MaxBytes"/>).</summary>
    public static Bundle Parse(Stream utf8Json) => ProtoJsonDocument.Read(utf8Json, MaxBytes, What, ReadRoot);

    /// <summary>
    /// Writes <paramref name="bundle"/> as proto3 JSON, compact unless <paramref name="indented"/> (two-space
    /// indentation). Throws <see cref="ArgumentException"/> when a oneof has more than one member set.
    /// </summary>
    public static string Serialize(Bundle bundle, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        return ProtoJsonDocument.Write(w => WriteBundle(w, bundle), indented);
    }

    /// <summary>Like <see cref="Serialize"/>, returning UTF-8 bytes.</summary>
    public static byte[] SerializeToUtf8Bytes(Bundle bundle, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        return ProtoJsonDocument.WriteUtf8(w => WriteBundle(w, bundle), indented);
    }

    private static Bundle ReadRoot(JsonElement root) => ReadBundle(root, "$");

    private static Bundle ReadBundle(JsonElement value, string path)
    {
        var f = BundleMessage.Collect(value, path);
        f.RequireAtMostOne("content", 2, 3);
        return new Bundle
        {
            MediaType = f.String(0),
            VerificationMaterial = f.Message(1, ReadVerificationMaterial),
            MessageSignature = f.Message(2, CommonJson.ReadMessageSignature),
            DsseEnvelope = f.Message(3, static (e, p) => DsseEnvelopeJson.Read(e, p, strict: false)),
        };
    }

    private static void WriteBundle(Utf8JsonWriter writer, Bundle value)
    {
        if (value.MessageSignature is not null && value.DsseEnvelope is not null)
        {
            throw new ArgumentException("A bundle's content is a oneof: set messageSignature or dsseEnvelope, not both.", nameof(value));
        }

        writer.WriteStartObject();
        ProtoJsonWriter.WriteString(writer, "mediaType", value.MediaType);
        ProtoJsonWriter.WriteMessage(writer, "verificationMaterial", value.VerificationMaterial, WriteVerificationMaterial);
        ProtoJsonWriter.WriteMessage(writer, "messageSignature", value.MessageSignature, CommonJson.WriteMessageSignature);
        ProtoJsonWriter.WriteMessage(writer, "dsseEnvelope", value.DsseEnvelope, DsseEnvelopeJson.WriteProto);
        writer.WriteEndObject();
    }

    private static VerificationMaterial ReadVerificationMaterial(JsonElement value, string path)
    {
        var f = VerificationMaterialMessage.Collect(value, path);
        f.RequireAtMostOne("content", 0, 1, 2);
        return new VerificationMaterial
        {
            PublicKey = f.Message(0, CommonJson.ReadPublicKeyIdentifier),
            X509CertificateChain = f.Message(1, CommonJson.ReadCertificateChain),
            Certificate = f.Message(2, CommonJson.ReadCertificate),
            TlogEntries = f.List(3, ReadEntry),
            TimestampVerificationData = f.Message(4, ReadTimestampVerificationData),
        };
    }

    private static void WriteVerificationMaterial(Utf8JsonWriter writer, VerificationMaterial value)
    {
        var kinds = (value.PublicKey is null ? 0 : 1) + (value.X509CertificateChain is null ? 0 : 1) + (value.Certificate is null ? 0 : 1);
        if (kinds > 1)
        {
            throw new ArgumentException(
                "Verification material is a oneof: set one of publicKey, x509CertificateChain or certificate.", nameof(value));
        }

        writer.WriteStartObject();
        ProtoJsonWriter.WriteMessage(writer, "publicKey", value.PublicKey, CommonJson.WritePublicKeyIdentifier);
        ProtoJsonWriter.WriteMessage(writer, "x509CertificateChain", value.X509CertificateChain, CommonJson.WriteCertificateChain);
        ProtoJsonWriter.WriteMessage(writer, "certificate", value.Certificate, CommonJson.WriteCertificate);
        ProtoJsonWriter.WriteList(writer, "tlogEntries", value.TlogEntries, WriteEntry);
        ProtoJsonWriter.WriteMessage(writer, "timestampVerificationData", value.TimestampVerificationData, WriteTimestampVerificationData);
        writer.WriteEndObject();
    }

    private static TimestampVerificationData ReadTimestampVerificationData(JsonElement value, string path) =>
        new() { Rfc3161Timestamps = TimestampVerificationDataMessage.Collect(value, path).List(0, CommonJson.ReadRfc3161SignedTimestamp) };

    private static void WriteTimestampVerificationData(Utf8JsonWriter writer, TimestampVerificationData value)
    {
        writer.WriteStartObject();
        ProtoJsonWriter.WriteList(writer, "rfc3161Timestamps", value.Rfc3161Timestamps, CommonJson.WriteRfc3161SignedTimestamp);
        writer.WriteEndObject();
    }

    private static TransparencyLogEntry ReadEntry(JsonElement value, string path)
    {
        var f = EntryMessage.Collect(value, path);
        return new TransparencyLogEntry
        {
            LogIndex = f.Int64(0),
            LogId = f.Message(1, CommonJson.ReadLogId),
            KindVersion = f.Message(2, ReadKindVersion),
            IntegratedTime = f.Int64(3),
            InclusionPromise = f.Message(4, ReadInclusionPromise),
            InclusionProof = f.Message(5, ReadInclusionProof),
            CanonicalizedBody = f.Bytes(6),
        };
    }

    private static void WriteEntry(Utf8JsonWriter writer, TransparencyLogEntry value)
    {
        writer.WriteStartObject();
        ProtoJsonWriter.WriteInt64(writer, "logIndex", value.LogIndex);
        ProtoJsonWriter.WriteMessage(writer, "logId", value.LogId, CommonJson.WriteLogId);
        ProtoJsonWriter.WriteMessage(writer, "kindVersion", value.KindVersion, WriteKindVersion);
        ProtoJsonWriter.WriteInt64(writer, "integratedTime", value.IntegratedTime);
        ProtoJsonWriter.WriteMessage(writer, "inclusionPromise", value.InclusionPromise, WriteInclusionPromise);
        ProtoJsonWriter.WriteMessage(writer, "inclusionProof", value.InclusionProof, WriteInclusionProof);
        ProtoJsonWriter.WriteBytes(writer, "canonicalizedBody", value.CanonicalizedBody);
        writer.WriteEndObject();
    }

    private static KindVersion ReadKindVersion(JsonElement value, string path)
    {
        var f = KindVersionMessage.Collect(value, path);
        return new KindVersion { Kind = f.String(0), Version = f.String(1) };
    }

    private static void WriteKindVersion(Utf8JsonWriter writer, KindVersion value)
    {
        writer.WriteStartObject();
        ProtoJsonWriter.WriteString(writer, "kind", value.Kind);
        ProtoJsonWriter.WriteString(writer, "version", value.Version);
        writer.WriteEndObject();
    }

    private static InclusionPromise ReadInclusionPromise(JsonElement value, string path) =>
        new() { SignedEntryTimestamp = InclusionPromiseMessage.Collect(value, path).Bytes(0) };

    private static void WriteInclusionPromise(Utf8JsonWriter writer, InclusionPromise value)
    {
        writer.WriteStartObject();
        ProtoJsonWriter.WriteBytes(writer, "signedEntryTimestamp", value.SignedEntryTimestamp);
        writer.WriteEndObject();
    }

    private static TlogInclusionProof ReadInclusionProof(JsonElement value, string path)
    {
        var f = InclusionProofMessage.Collect(value, path);
        return new TlogInclusionProof
        {
            LogIndex = f.Int64(0),
            RootHash = f.Bytes(1),
            TreeSize = f.Int64(2),
            Hashes = f.List(3, ProtoJsonValue.ReadBytes),
            Checkpoint = f.Message(4, ReadCheckpoint),
        };
    }

    private static void WriteInclusionProof(Utf8JsonWriter writer, TlogInclusionProof value)
    {
        writer.WriteStartObject();
        ProtoJsonWriter.WriteInt64(writer, "logIndex", value.LogIndex);
        ProtoJsonWriter.WriteBytes(writer, "rootHash", value.RootHash);
        ProtoJsonWriter.WriteInt64(writer, "treeSize", value.TreeSize);
        ProtoJsonWriter.WriteBytesList(writer, "hashes", value.Hashes);
        ProtoJsonWriter.WriteMessage(writer, "checkpoint", value.Checkpoint, WriteCheckpoint);
        writer.WriteEndObject();
    }

    private static CheckpointEnvelope ReadCheckpoint(JsonElement value, string path) =>
        new() { Envelope = CheckpointMessage.Collect(value, path).String(0) };

    private static void WriteCheckpoint(Utf8JsonWriter writer, CheckpointEnvelope value)
    {
        writer.WriteStartObject();
        ProtoJsonWriter.WriteString(writer, "envelope", value.Envelope);
        writer.WriteEndObject();
    }
}
