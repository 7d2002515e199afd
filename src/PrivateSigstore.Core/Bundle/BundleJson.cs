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

    // Leaf messages first: a codec is built from the codecs of its message fields.
    private static readonly ProtoCodec<KindVersion> KindVersionCodec = new(
        "dev.sigstore.rekor.v1.KindVersion",
        ProtoField.String("kind", (KindVersion m) => m.Kind, (m, v) => m with { Kind = v }),
        ProtoField.String("version", (KindVersion m) => m.Version, (m, v) => m with { Version = v }));

    private static readonly ProtoCodec<CheckpointEnvelope> CheckpointCodec = new(
        "dev.sigstore.rekor.v1.Checkpoint",
        ProtoField.String("envelope", (CheckpointEnvelope m) => m.Envelope, (m, v) => m with { Envelope = v }));

    private static readonly ProtoCodec<TlogInclusionProof> InclusionProofCodec = new(
        "dev.sigstore.rekor.v1.InclusionProof",
        ProtoField.Int64("logIndex|log_index", (TlogInclusionProof m) => m.LogIndex, (m, v) => m with { LogIndex = v }),
        ProtoField.Bytes("rootHash|root_hash", (TlogInclusionProof m) => m.RootHash, (m, v) => m with { RootHash = v }),
        ProtoField.Int64("treeSize|tree_size", (TlogInclusionProof m) => m.TreeSize, (m, v) => m with { TreeSize = v }),
        ProtoField.BytesList("hashes", (TlogInclusionProof m) => m.Hashes, (m, v) => m with { Hashes = v }),
        ProtoField.Message("checkpoint", CheckpointCodec, (TlogInclusionProof m) => m.Checkpoint, (m, v) => m with { Checkpoint = v }));

    private static readonly ProtoCodec<InclusionPromise> InclusionPromiseCodec = new(
        "dev.sigstore.rekor.v1.InclusionPromise",
        ProtoField.Bytes("signedEntryTimestamp|signed_entry_timestamp", (InclusionPromise m) => m.SignedEntryTimestamp, (m, v) => m with { SignedEntryTimestamp = v }));

    private static readonly ProtoCodec<TransparencyLogEntry> EntryCodec = new(
        "dev.sigstore.rekor.v1.TransparencyLogEntry",
        ProtoField.Int64("logIndex|log_index", (TransparencyLogEntry m) => m.LogIndex, (m, v) => m with { LogIndex = v }),
        ProtoField.Message("logId|log_id", CommonJson.LogIdCodec, (TransparencyLogEntry m) => m.LogId, (m, v) => m with { LogId = v }),
        ProtoField.Message("kindVersion|kind_version", KindVersionCodec, (TransparencyLogEntry m) => m.KindVersion, (m, v) => m with { KindVersion = v }),
        ProtoField.Int64("integratedTime|integrated_time", (TransparencyLogEntry m) => m.IntegratedTime, (m, v) => m with { IntegratedTime = v }),
        ProtoField.Message("inclusionPromise|inclusion_promise", InclusionPromiseCodec, (TransparencyLogEntry m) => m.InclusionPromise, (m, v) => m with { InclusionPromise = v }),
        ProtoField.Message("inclusionProof|inclusion_proof", InclusionProofCodec, (TransparencyLogEntry m) => m.InclusionProof, (m, v) => m with { InclusionProof = v }),
        ProtoField.Bytes("canonicalizedBody|canonicalized_body", (TransparencyLogEntry m) => m.CanonicalizedBody, (m, v) => m with { CanonicalizedBody = v }));

    private static readonly ProtoCodec<TimestampVerificationData> TimestampVerificationDataCodec = new(
        "dev.sigstore.bundle.v1.TimestampVerificationData",
        ProtoField.List("rfc3161Timestamps|rfc3161_timestamps", CommonJson.Rfc3161SignedTimestampCodec, (TimestampVerificationData m) => m.Rfc3161Timestamps, (m, v) => m with { Rfc3161Timestamps = v }));

    private static readonly ProtoCodec<VerificationMaterial> VerificationMaterialCodec = new ProtoCodec<VerificationMaterial>(
        "dev.sigstore.bundle.v1.VerificationMaterial",
        ProtoField.Message("publicKey|public_key", CommonJson.PublicKeyIdentifierCodec, (VerificationMaterial m) => m.PublicKey, (m, v) => m with { PublicKey = v }),
        ProtoField.Message("x509CertificateChain|x509_certificate_chain", CommonJson.CertificateChainCodec, (VerificationMaterial m) => m.X509CertificateChain, (m, v) => m with { X509CertificateChain = v }),
        ProtoField.Message("certificate", CommonJson.CertificateCodec, (VerificationMaterial m) => m.Certificate, (m, v) => m with { Certificate = v }),
        ProtoField.List("tlogEntries|tlog_entries", EntryCodec, (VerificationMaterial m) => m.TlogEntries, (m, v) => m with { TlogEntries = v }),
        ProtoField.Message("timestampVerificationData|timestamp_verification_data", TimestampVerificationDataCodec, (VerificationMaterial m) => m.TimestampVerificationData, (m, v) => m with { TimestampVerificationData = v }))
        .WithOneof("content", "Verification material is a oneof: set one of publicKey, x509CertificateChain or certificate.", "publicKey", "x509CertificateChain", "certificate");

    private static readonly ProtoCodec<Bundle> BundleCodec = new ProtoCodec<Bundle>(
        "dev.sigstore.bundle.v1.Bundle",
        ProtoField.String("mediaType|media_type", (Bundle m) => m.MediaType, (m, v) => m with { MediaType = v }),
        ProtoField.Message("verificationMaterial|verification_material", VerificationMaterialCodec, (Bundle m) => m.VerificationMaterial, (m, v) => m with { VerificationMaterial = v }),
        ProtoField.Message("messageSignature|message_signature", CommonJson.MessageSignatureCodec, (Bundle m) => m.MessageSignature, (m, v) => m with { MessageSignature = v }),
        ProtoField.Message("dsseEnvelope|dsse_envelope", static (e, p) => DsseEnvelopeJson.Read(e, p, strict: false), DsseEnvelopeJson.WriteProto, (Bundle m) => m.DsseEnvelope, (m, v) => m with { DsseEnvelope = v }))
        .WithOneof("content", "A bundle's content is a oneof: set messageSignature or dsseEnvelope, not both.", "messageSignature", "dsseEnvelope");

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

    private static Bundle ReadRoot(JsonElement root) => BundleCodec.Read(root, "$");

    private static void WriteBundle(Utf8JsonWriter writer, Bundle value) => BundleCodec.Write(writer, value);
}
