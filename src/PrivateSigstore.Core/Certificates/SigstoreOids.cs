namespace PrivateSigstore.Core.Certificates;

/// <summary>
/// Object identifiers of the X.509 extensions Fulcio writes (Sigstore's private enterprise number 57264, arc
/// 1.3.6.1.4.1.57264.1, per Fulcio <c>pkg/certificate/extensions.go</c> and <c>docs/oid-info.md</c>), plus the
/// Certificate Transparency and EKU OIDs a Sigstore leaf uses. Values are dotted-decimal strings.
/// </summary>
public static class SigstoreOids
{
    /// <summary>1.3.6.1.4.1.57264.1.1 — Issuer (deprecated): the OIDC issuer, value is the raw string bytes.</summary>
    public const string Issuer = "1.3.6.1.4.1.57264.1.1";

    /// <summary>1.3.6.1.4.1.57264.1.2 — GitHub Workflow Trigger (deprecated, raw bytes): the <c>event_name</c> claim.</summary>
    public const string GithubWorkflowTrigger = "1.3.6.1.4.1.57264.1.2";

    /// <summary>1.3.6.1.4.1.57264.1.3 — GitHub Workflow SHA (deprecated, raw bytes): the <c>sha</c> claim.</summary>
    public const string GithubWorkflowSha = "1.3.6.1.4.1.57264.1.3";

    /// <summary>1.3.6.1.4.1.57264.1.4 — GitHub Workflow Name (deprecated, raw bytes): the <c>workflow</c> claim.</summary>
    public const string GithubWorkflowName = "1.3.6.1.4.1.57264.1.4";

    /// <summary>1.3.6.1.4.1.57264.1.5 — GitHub Workflow Repository (deprecated, raw bytes): the <c>repository</c> claim.</summary>
    public const string GithubWorkflowRepository = "1.3.6.1.4.1.57264.1.5";

    /// <summary>1.3.6.1.4.1.57264.1.6 — GitHub Workflow Ref (deprecated, raw bytes): the <c>ref</c> claim.</summary>
    public const string GithubWorkflowRef = "1.3.6.1.4.1.57264.1.6";

    /// <summary>1.3.6.1.4.1.57264.1.7 — OtherName SAN: the type-id of the username otherName in the SAN.</summary>
    public const string OtherName = "1.3.6.1.4.1.57264.1.7";

    /// <summary>1.3.6.1.4.1.57264.1.8 — Issuer (V2): the OIDC issuer as a DER UTF8String.</summary>
    public const string IssuerV2 = "1.3.6.1.4.1.57264.1.8";

    /// <summary>1.3.6.1.4.1.57264.1.9 — Build Signer URI (DER UTF8String).</summary>
    public const string BuildSignerUri = "1.3.6.1.4.1.57264.1.9";

    /// <summary>1.3.6.1.4.1.57264.1.10 — Build Signer Digest (DER UTF8String).</summary>
    public const string BuildSignerDigest = "1.3.6.1.4.1.57264.1.10";

    /// <summary>1.3.6.1.4.1.57264.1.11 — Runner Environment (DER UTF8String).</summary>
    public const string RunnerEnvironment = "1.3.6.1.4.1.57264.1.11";

    /// <summary>1.3.6.1.4.1.57264.1.12 — Source Repository URI (DER UTF8String).</summary>
    public const string SourceRepositoryUri = "1.3.6.1.4.1.57264.1.12";

    /// <summary>1.3.6.1.4.1.57264.1.13 — Source Repository Digest (DER UTF8String).</summary>
    public const string SourceRepositoryDigest = "1.3.6.1.4.1.57264.1.13";

    /// <summary>1.3.6.1.4.1.57264.1.14 — Source Repository Ref (DER UTF8String).</summary>
    public const string SourceRepositoryRef = "1.3.6.1.4.1.57264.1.14";

    /// <summary>1.3.6.1.4.1.57264.1.15 — Source Repository Identifier (DER UTF8String).</summary>
    public const string SourceRepositoryIdentifier = "1.3.6.1.4.1.57264.1.15";

    /// <summary>1.3.6.1.4.1.57264.1.16 — Source Repository Owner URI (DER UTF8String).</summary>
    public const string SourceRepositoryOwnerUri = "1.3.6.1.4.1.57264.1.16";

    /// <summary>1.3.6.1.4.1.57264.1.17 — Source Repository Owner Identifier (DER UTF8String).</summary>
    public const string SourceRepositoryOwnerIdentifier = "1.3.6.1.4.1.57264.1.17";

    /// <summary>1.3.6.1.4.1.57264.1.18 — Build Config URI (DER UTF8String).</summary>
    public const string BuildConfigUri = "1.3.6.1.4.1.57264.1.18";

    /// <summary>1.3.6.1.4.1.57264.1.19 — Build Config Digest (DER UTF8String).</summary>
    public const string BuildConfigDigest = "1.3.6.1.4.1.57264.1.19";

    /// <summary>1.3.6.1.4.1.57264.1.20 — Build Trigger (DER UTF8String).</summary>
    public const string BuildTrigger = "1.3.6.1.4.1.57264.1.20";

    /// <summary>1.3.6.1.4.1.57264.1.21 — Run Invocation URI (DER UTF8String).</summary>
    public const string RunInvocationUri = "1.3.6.1.4.1.57264.1.21";

    /// <summary>1.3.6.1.4.1.57264.1.22 — Source Repository Visibility At Signing (DER UTF8String).</summary>
    public const string SourceRepositoryVisibilityAtSigning = "1.3.6.1.4.1.57264.1.22";

    /// <summary>1.3.6.1.4.1.57264.1.23 — Deployment Environment (DER UTF8String).</summary>
    public const string DeploymentEnvironment = "1.3.6.1.4.1.57264.1.23";

    /// <summary>1.3.6.1.4.1.57264.1.24 — Token Subject: the raw OIDC <c>sub</c> claim (DER UTF8String).</summary>
    public const string TokenSubject = "1.3.6.1.4.1.57264.1.24";

    /// <summary>1.3.6.1.4.1.11129.2.4.2 — RFC 6962 embedded Signed Certificate Timestamp list (non-critical).</summary>
    public const string SctList = "1.3.6.1.4.1.11129.2.4.2";

    /// <summary>1.3.6.1.4.1.11129.2.4.3 — RFC 6962 precertificate poison (critical, value ASN.1 NULL).</summary>
    public const string CtPoison = "1.3.6.1.4.1.11129.2.4.3";

    /// <summary>1.3.6.1.5.5.7.3.3 — id-kp-codeSigning, the extended key usage of Sigstore leaves and intermediates.</summary>
    public const string CodeSigningEku = "1.3.6.1.5.5.7.3.3";

    /// <summary>2.5.29.17 — id-ce-subjectAltName (RFC 5280 §4.2.1.6).</summary>
    public const string SubjectAltName = "2.5.29.17";
}
