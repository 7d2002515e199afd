using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace PrivateSigstore.Client.Verification;

/// <summary>One transparency log entry a verification relied on.</summary>
/// <param name="LogId">The log ID, lower-case hex.</param>
/// <param name="LogIndex">The entry's global index.</param>
/// <param name="IntegratedTime">When the log integrated it (null for logs without integrated time).</param>
/// <param name="Checkpoint">The signed checkpoint the inclusion proof was checked against, or null.</param>
public sealed record LogEntryRecord(string LogId, long LogIndex, DateTimeOffset? IntegratedTime, string? Checkpoint);

/// <summary>What was verified: a file, a model directory, an OCI image, or a digest.</summary>
/// <param name="Kind"><c>file</c>, <c>model</c>, <c>digest</c> (and later <c>oci</c>).</param>
/// <param name="Name">The path or reference as given.</param>
/// <param name="Digest">The digest the signature binds, <c>sha256:hex</c> (for a model: the subject digest over all resources).</param>
public sealed record RecordArtifact(string Kind, string Name, string? Digest);

/// <summary>The gate policy a decision was taken under.</summary>
/// <param name="Name">The matching policy's name (null when none matched).</param>
/// <param name="File">The policy file.</param>
/// <param name="Digest">SHA-256 of the policy file's bytes, <c>sha256:hex</c>.</param>
public sealed record RecordPolicy(string? Name, string File, string Digest);

/// <summary>The trusted root a verification used, so a replay can find and check it.</summary>
/// <param name="Source">Where it came from (a path, the TUF cache, the embedded public-good root).</param>
/// <param name="Path">The file to load on replay, when it was a file.</param>
/// <param name="Digest">SHA-256 of its bytes, <c>sha256:hex</c>.</param>
public sealed record RecordTrustedRoot(string Source, string? Path, string Digest);

/// <summary>The system that took the decision.</summary>
/// <param name="Host">The host name.</param>
/// <param name="System">The program and its version, e.g. <c>psig 1.0.0</c>.</param>
public sealed record RecordApprover(string Host, string System);

/// <summary>A linked attestation (model card, SBOM or AI-BOM, provenance, approval) found for the artifact.</summary>
/// <param name="PredicateType">Its in-toto predicate type.</param>
/// <param name="Digest">SHA-256 of its DSSE payload (the statement), <c>sha256:hex</c>.</param>
/// <param name="Bundle">The bundle file it came from.</param>
/// <param name="Verdict">Whether its bundle verified under the same identity policy.</param>
public sealed record RecordLink(string PredicateType, string Digest, string Bundle, string Verdict);

/// <summary>
/// An audit record of one verification: what was verified, against which policy, with what result. Serialized as
/// JSON (<see cref="ToJson"/>) with media type <see cref="MediaTypeV1"/>, or <see cref="MediaTypeV2"/> when it carries
/// the governance fields (the artifact, the decision, the gate policy, the trusted root, the approving system, the
/// bundle itself as evidence, linked attestations, a break-glass reason), which <c>psig record verify</c> replays.
/// </summary>
public sealed record VerificationRecord
{
    /// <summary>The media type of this record format.</summary>
    public const string MediaTypeV1 = "application/vnd.dev.privatesigstore.verificationrecord.v0.1+json";

    /// <summary>The media type of the governance record: v0.1's fields plus the optional fields below.</summary>
    public const string MediaTypeV2 = "application/vnd.dev.privatesigstore.verificationrecord.v0.2+json";

    /// <summary>The record's media type.</summary>
    public string MediaType { get; init; } = MediaTypeV1;

    /// <summary>"verified" or "not-verified".</summary>
    public string Verdict { get; init; } = "not-verified";

    /// <summary>The step that failed (<see cref="VerificationException.StepName"/>), or null when verified.</summary>
    public string? FailedStep { get; init; }

    /// <summary>Why it failed, or null when verified.</summary>
    public string? Reason { get; init; }

    /// <summary>When the verification ran.</summary>
    public DateTimeOffset VerificationTime { get; init; }

    /// <summary>The bundle's media type.</summary>
    public string? BundleMediaType { get; init; }

    /// <summary>The artifact digest, <c>algorithm:hex</c> (for DSSE, the payload's SHA-256).</summary>
    public string? ArtifactDigest { get; init; }

    /// <summary>The signature, standard base64.</summary>
    public string? Signature { get; init; }

    /// <summary>The certificate's SAN (identity), for keyless bundles.</summary>
    public string? CertificateIdentity { get; init; }

    /// <summary>The certificate's OIDC issuer, for keyless bundles.</summary>
    public string? CertificateIssuer { get; init; }

    /// <summary>SHA-256 of the signer's SubjectPublicKeyInfo, hex.</summary>
    public string? PublicKeySha256 { get; init; }

    /// <summary>The transparency log entries verified.</summary>
    public IReadOnlyList<LogEntryRecord> TransparencyLogEntries { get; init; } = [];

    /// <summary>The policy applied.</summary>
    public string Policy { get; init; } = "";

    /// <summary>The verified observer timestamps (log integrated times and RFC 3161 times); written in v0.2 records only.</summary>
    [JsonIgnore]
    public IReadOnlyList<DateTimeOffset>? Timestamps { get; init; }

    /// <summary>v0.2: <see cref="Timestamps"/> as serialized (left out of v0.1 records, whose format predates it).</summary>
    [JsonPropertyName("timestamps")]
    public IReadOnlyList<DateTimeOffset>? SerializedTimestamps
    {
        get => MediaType == MediaTypeV1 ? null : Timestamps;
        init => Timestamps = value;
    }

    /// <summary>v0.2: what was verified.</summary>
    public RecordArtifact? Artifact { get; init; }

    /// <summary>v0.2: the gate's decision: <c>allowed</c>, <c>refused</c>, or <c>break-glass</c> (run although refused).</summary>
    public string? Decision { get; init; }

    /// <summary>v0.2: the gate policy (name and digest).</summary>
    public RecordPolicy? GatePolicy { get; init; }

    /// <summary>v0.2: the identity the policy required: a SAN (or regexp) and issuer, or a public key (PEM).</summary>
    public string? ExpectedIdentity { get; init; }

    /// <summary>v0.2: the PEM public key a key-signed bundle was checked against (replay needs it).</summary>
    public string? PublicKey { get; init; }

    /// <summary>v0.2: the trusted root used.</summary>
    public RecordTrustedRoot? TrustedRoot { get; init; }

    /// <summary>v0.2: the approving system.</summary>
    public RecordApprover? Approver { get; init; }

    /// <summary>v0.2: the Sigstore bundle verified (signature, certificate, log entry, inclusion proof, checkpoint, timestamps).</summary>
    public JsonNode? Bundle { get; init; }

    /// <summary>v0.2: attestations found for the artifact, by digest.</summary>
    public IReadOnlyList<RecordLink>? Links { get; init; }

    /// <summary>v0.2: the reason given for a break-glass run.</summary>
    public string? BreakGlassReason { get; init; }

    /// <summary>True when <see cref="Verdict"/> is "verified".</summary>
    [JsonIgnore]
    public bool IsVerified => Verdict == "verified";

    /// <summary>The record as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, VerificationRecordJson.Default.VerificationRecord);

    /// <summary>Reads a record (v0.1 or v0.2); <see cref="JsonException"/> when it is not one.</summary>
    public static VerificationRecord Parse(string json)
    {
        var record = JsonSerializer.Deserialize(json, VerificationRecordJson.Default.VerificationRecord) ?? throw new JsonException("the record is null");
        return record.MediaType is MediaTypeV1 or MediaTypeV2 ? record
            : throw new JsonException($"media type \"{record.MediaType}\" is not {MediaTypeV1} or {MediaTypeV2}");
    }
}

/// <summary>The record's JSON contract, generated at build time (no reflection: psig also ships as a NativeAOT binary).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(VerificationRecord))]
internal sealed partial class VerificationRecordJson : JsonSerializerContext;
