using PrivateSigstore.Core.Bundle;

namespace PrivateSigstore.Core.Trust;

/// <summary>
/// A transparency log (Rekor) or certificate transparency log a verifier trusts
/// (<c>dev.sigstore.trustroot.v1.TransparencyLogInstance</c>).
/// </summary>
public sealed record TransparencyLogInstance
{
    /// <summary>The log's base URL; for Rekor v2 its host name is the checkpoint origin.</summary>
    public string BaseUrl { get; init; } = "";

    /// <summary>The hash algorithm of the log's Merkle tree.</summary>
    public HashAlgorithm HashAlgorithm { get; init; }

    /// <summary>The key that verifies the log's signatures, with its validity period; null when not set.</summary>
    public PublicKeyMaterial? PublicKey { get; init; }

    /// <summary>The log's identifier (SHA-256 of its DER public key for v1 logs); null when not set.</summary>
    public LogId? LogId { get; init; }

    /// <summary>The checkpoint (signed-note) key ID; trusted root v0.2 and later; null when not set.</summary>
    public LogId? CheckpointKeyId { get; init; }

    /// <summary>The operator, as a scheme-less URI such as <c>sigstore.dev</c>; trusted root v0.2 and later.</summary>
    public string Operator { get; init; } = "";
}

/// <summary>An X.509 distinguished name reduced to what trust roots record (<c>dev.sigstore.common.v1.DistinguishedName</c>).</summary>
public sealed record DistinguishedName
{
    /// <summary>The organization (O).</summary>
    public string Organization { get; init; } = "";

    /// <summary>The common name (CN).</summary>
    public string CommonName { get; init; } = "";
}

/// <summary>
/// A certificate authority or timestamp authority a verifier trusts
/// (<c>dev.sigstore.trustroot.v1.CertificateAuthority</c>).
/// </summary>
public sealed record CertificateAuthority
{
    /// <summary>The authority's subject; null when not set.</summary>
    public DistinguishedName? Subject { get; init; }

    /// <summary>The authority's URI (for Fulcio, its base URL; for a TSA, its timestamp endpoint).</summary>
    public string Uri { get; init; } = "";

    /// <summary>The authority's chain: intermediates first, the self-signed root last; null when not set.</summary>
    public X509CertificateChain? CertChain { get; init; }

    /// <summary>When certificates issued by this authority may be trusted, inclusive; null when not set.</summary>
    public TimeRange? ValidFor { get; init; }

    /// <summary>The operator, as a scheme-less URI; trusted root v0.2 and later.</summary>
    public string Operator { get; init; } = "";
}

/// <summary>
/// The complete set of keys and certificates a Sigstore verifier trusts
/// (<c>dev.sigstore.trustroot.v1.TrustedRoot</c>, the <c>trusted_root.json</c> file).
/// Read and written by <see cref="TrustedRootJson"/>.
/// </summary>
public sealed record TrustedRoot
{
    /// <summary>The media type; see <see cref="TrustedRootMediaType"/>.</summary>
    public string MediaType { get; init; } = "";

    /// <summary>Trusted transparency logs (Rekor).</summary>
    public IReadOnlyList<TransparencyLogInstance> Tlogs { get; init; } = [];

    /// <summary>Trusted certificate authorities (Fulcio).</summary>
    public IReadOnlyList<CertificateAuthority> CertificateAuthorities { get; init; } = [];

    /// <summary>Trusted certificate transparency logs.</summary>
    public IReadOnlyList<TransparencyLogInstance> Ctlogs { get; init; } = [];

    /// <summary>Trusted RFC 3161 timestamp authorities.</summary>
    public IReadOnlyList<CertificateAuthority> TimestampAuthorities { get; init; } = [];
}

/// <summary>The trusted root media types.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores",
    Justification = "Major and minor version numbers are separated for readability.")]
public static class TrustedRootMediaType
{
    /// <summary>v0.1 in the form used by every published trust root so far.</summary>
    public const string V0_1 = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";

    /// <summary>v0.1 in the newer <c>.vX.Y+json</c> spelling.</summary>
    public const string V0_1Alternate = "application/vnd.dev.sigstore.trustedroot.v0.1+json";

    /// <summary>v0.2, which adds <c>checkpointKeyId</c> and <c>operator</c> (the form the proto says writers MUST use).</summary>
    public const string V0_2 = "application/vnd.dev.sigstore.trustedroot.v0.2+json";
}
