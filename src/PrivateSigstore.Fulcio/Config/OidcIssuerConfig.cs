namespace PrivateSigstore.Fulcio.Config;

/// <summary>One OIDC issuer (upstream <c>OIDCIssuer</c>) plus PrivateSigstore extensions.</summary>
public sealed record OidcIssuerConfig
{
    /// <summary>Exact expected <c>iss</c>.</summary>
    public required string IssuerUrl { get; init; }
    /// <summary>Expected audience; defaults to <c>sigstore</c>.</summary>
    public string ClientId { get; init; } = FulcioConfig.DefaultClientId;
    /// <summary>Issuer type, see <see cref="IssuerTypes"/>.</summary>
    public required string Type { get; init; }
    /// <summary>Key into <see cref="FulcioConfig.CIIssuerMetadata"/> for <c>ci-provider</c> issuers.</summary>
    public string? CIProvider { get; init; }
    /// <summary>JSONPath of the claim written to the issuer extension (email issuers only).</summary>
    public string? IssuerClaim { get; init; }
    /// <summary>Subject domain for <c>uri</c> (with scheme) and <c>username</c> (without scheme).</summary>
    public string? SubjectDomain { get; init; }
    /// <summary>SPIFFE trust domain for <c>spiffe</c> issuers.</summary>
    public string? SpiffeTrustDomain { get; init; }
    /// <summary>Explicit challenge claim (advertised only).</summary>
    public string? ChallengeClaim { get; init; }
    /// <summary>Free-text description.</summary>
    public string? Description { get; init; }
    /// <summary>Contact (upstream <c>Contact</c>; <c>ContactEmail</c> accepted too).</summary>
    public string? Contact { get; init; }
    /// <summary>Environment label.</summary>
    public string? Environment { get; init; }
    /// <summary>Inline PEM certificates trusted for the issuer's TLS (upstream <c>CACert</c>).</summary>
    public string? CACert { get; init; }
    /// <summary>Accept email tokens without <c>email_verified</c>.</summary>
    public bool SkipEmailVerification { get; init; }
    /// <summary>Extension: static JWKS file (no discovery, no network). Resolved against the config file's folder.</summary>
    public string? JwksFile { get; init; }
    /// <summary>Extension: PEM file with certificates trusted for the issuer's TLS. Resolved against the config file's folder.</summary>
    public string? CaCertificateFile { get; init; }
    /// <summary>Extension (fulcio#1989): claim name → allowed values or glob patterns (<c>*</c>, <c>?</c>). Every listed claim must match.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> AllowedClaims { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>The effective challenge claim.</summary>
    public string EffectiveChallengeClaim => IssuerTypes.ChallengeClaim(Type, ChallengeClaim);
}
