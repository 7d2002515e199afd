using System.Diagnostics.CodeAnalysis;
using PrivateSigstore.Core.Bundle;

namespace PrivateSigstore.Core.Trust;

/// <summary>How a signer chooses among services (<c>dev.sigstore.trustroot.v1.ServiceSelector</c>).</summary>
public enum ServiceSelector
{
    /// <summary><c>SERVICE_SELECTOR_UNDEFINED</c> (0): not set.</summary>
    Undefined = 0,

    /// <summary><c>ALL</c> (1): use every selected service.</summary>
    All = 1,

    /// <summary><c>ANY</c> (2): use any one service.</summary>
    Any = 2,

    /// <summary><c>EXACT</c> (3): use exactly <see cref="ServiceConfiguration.Count"/> services.</summary>
    Exact = 3,
}

/// <summary>One service endpoint a signer may use (<c>dev.sigstore.trustroot.v1.Service</c>).</summary>
public sealed record Service
{
    /// <summary>The service's base URL.</summary>
    public string Url { get; init; } = "";

    /// <summary>The major API version the service speaks (e.g. 1 or 2 for Rekor).</summary>
    public uint MajorApiVersion { get; init; }

    /// <summary>When signers may use the service, inclusive; null when not set.</summary>
    public TimeRange? ValidFor { get; init; }

    /// <summary>The operator, as a scheme-less URI such as <c>sigstore.dev</c>.</summary>
    public string Operator { get; init; } = "";
}

/// <summary>How many of a kind of service to use (<c>dev.sigstore.trustroot.v1.ServiceConfiguration</c>).</summary>
public sealed record ServiceConfiguration
{
    /// <summary>The selection rule.</summary>
    public ServiceSelector Selector { get; init; }

    /// <summary>The number of services for <see cref="ServiceSelector.Exact"/>; otherwise 0.</summary>
    public uint Count { get; init; }
}

/// <summary>
/// The services a Sigstore signer uses, signing config v0.2 (<c>dev.sigstore.trustroot.v1.SigningConfig</c>,
/// the <c>signing_config.v0.2.json</c> file). Read and written by <see cref="SigningConfigJson"/>.
/// </summary>
public sealed record SigningConfig
{
    /// <summary>The media type; <see cref="SigningConfigMediaType.V0_2"/> for this shape.</summary>
    public string MediaType { get; init; } = "";

    /// <summary>Fulcio-compatible certificate authorities, newest first.</summary>
    public IReadOnlyList<Service> CaUrls { get; init; } = [];

    /// <summary>OpenID Connect identity providers, newest first.</summary>
    public IReadOnlyList<Service> OidcUrls { get; init; } = [];

    /// <summary>Rekor transparency logs, newest first.</summary>
    public IReadOnlyList<Service> RekorTlogUrls { get; init; } = [];

    /// <summary>How many Rekor logs to use; null when not set.</summary>
    public ServiceConfiguration? RekorTlogConfig { get; init; }

    /// <summary>RFC 3161 timestamp authorities, newest first.</summary>
    public IReadOnlyList<Service> TsaUrls { get; init; } = [];

    /// <summary>How many timestamp authorities to use; null when not set.</summary>
    public ServiceConfiguration? TsaConfig { get; init; }
}

/// <summary>
/// The services a Sigstore signer uses, signing config v0.1: plain URLs without API versions or validity
/// (fields 1–4 of <c>SigningConfig</c>, reserved since v0.2). Read and written by <see cref="SigningConfigJson"/>.
/// </summary>
public sealed record SigningConfigV01
{
    /// <summary>The media type; <see cref="SigningConfigMediaType.V0_1"/> for this shape.</summary>
    public string MediaType { get; init; } = "";

    /// <summary>The Fulcio-compatible certificate authority's base URL.</summary>
    public string CaUrl { get; init; } = "";

    /// <summary>The OpenID Connect identity provider's base URL.</summary>
    public string OidcUrl { get; init; } = "";

    /// <summary>Rekor base URLs.</summary>
    public IReadOnlyList<string> TlogUrls { get; init; } = [];

    /// <summary>Timestamp authority URLs.</summary>
    public IReadOnlyList<string> TsaUrls { get; init; } = [];
}

/// <summary>The signing config media types.</summary>
[SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores",
    Justification = "Major and minor version numbers are separated for readability.")]
public static class SigningConfigMediaType
{
    /// <summary>v0.1, as sigstore-go (<c>SigningConfigMediaType01</c>) and the proto comments spell it.</summary>
    public const string V0_1 = "application/vnd.dev.sigstore.signingconfig.v0.1+json";

    /// <summary>v0.1 in the older <c>+json;version=</c> spelling, accepted on read; no upstream file uses it.</summary>
    public const string V0_1Alternate = "application/vnd.dev.sigstore.signingconfig+json;version=0.1";

    /// <summary>v0.2, the current form.</summary>
    public const string V0_2 = "application/vnd.dev.sigstore.signingconfig.v0.2+json";

    /// <summary>True when <paramref name="mediaType"/> names signing config v0.1 (in either spelling).</summary>
    public static bool IsV01(string? mediaType) => mediaType is V0_1 or V0_1Alternate;
}

/// <summary>
/// A trusted root and signing config in one file (<c>dev.sigstore.trustroot.v1.ClientTrustConfig</c>),
/// as sigstore-python's <c>--trust-config</c> reads. Read and written by <see cref="ClientTrustConfigJson"/>.
/// </summary>
public sealed record ClientTrustConfig
{
    /// <summary>The media type; <see cref="V0_1MediaType"/>.</summary>
    public string MediaType { get; init; } = "";

    /// <summary>The trusted root; null when not set.</summary>
    public TrustedRoot? TrustedRoot { get; init; }

    /// <summary>The signing config (v0.2 shape); null when not set.</summary>
    public SigningConfig? SigningConfig { get; init; }

    /// <summary>The client trust config v0.1 media type.</summary>
    [SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores",
        Justification = "Major and minor version numbers are separated for readability.")]
    public const string V0_1MediaType = "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json";
}
