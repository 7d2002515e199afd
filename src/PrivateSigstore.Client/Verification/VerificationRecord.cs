using System.Text.Json;
using System.Text.Json.Serialization;

namespace PrivateSigstore.Client.Verification;

/// <summary>One transparency log entry a verification relied on.</summary>
/// <param name="LogId">The log ID, lower-case hex.</param>
/// <param name="LogIndex">The entry's global index.</param>
/// <param name="IntegratedTime">When the log integrated it (null for logs without integrated time).</param>
/// <param name="Checkpoint">The signed checkpoint the inclusion proof was checked against, or null.</param>
public sealed record LogEntryRecord(string LogId, long LogIndex, DateTimeOffset? IntegratedTime, string? Checkpoint);

/// <summary>
/// An audit record of one verification: what was verified, against which policy, with what result. Serialized as
/// JSON (<see cref="ToJson"/>) with media type <see cref="MediaTypeV1"/>.
/// </summary>
public sealed record VerificationRecord
{
    /// <summary>The media type of this record format.</summary>
    public const string MediaTypeV1 = "application/vnd.dev.privatesigstore.verificationrecord.v0.1+json";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

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

    /// <summary>True when <see cref="Verdict"/> is "verified".</summary>
    [JsonIgnore]
    public bool IsVerified => Verdict == "verified";

    /// <summary>The record as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}
