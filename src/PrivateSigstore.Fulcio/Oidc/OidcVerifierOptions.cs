namespace PrivateSigstore.Fulcio.Oidc;

/// <summary>Options of <see cref="OidcVerifier"/>.</summary>
public sealed record OidcVerifierOptions
{
    /// <summary>Largest accepted token, in bytes of its UTF-8 text (default 16 KiB).</summary>
    public int MaxTokenBytes { get; init; } = 16 * 1024;
    /// <summary>How far in the future <c>nbf</c> and <c>iat</c> may be (default 60 s). <c>exp</c> has no leeway.</summary>
    public TimeSpan NotBeforeLeeway { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>Minimum time between two key refreshes triggered by an unknown <c>kid</c> (default 30 s).</summary>
    public TimeSpan MinimumKeyRefreshInterval { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Keys are re-fetched after this age even without an unknown <c>kid</c> (default 1 h).</summary>
    public TimeSpan KeyCacheLifetime { get; init; } = TimeSpan.FromHours(1);
    /// <summary>Timeout of discovery and JWKS requests (default 10 s, like upstream).</summary>
    public TimeSpan DiscoveryTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Allow <c>http://</c> discovery (tests and loopback only; default false).</summary>
    public bool AllowHttpDiscovery { get; init; }
    /// <summary>Issuers whose keys are cached (meta issuers create entries on demand; upstream uses an LRU of 100).</summary>
    public int MaxCachedIssuers { get; init; } = 100;
    /// <summary>
    /// Accepted JWS algorithms (RS*, PS*, ES*, EdDSA; never <c>none</c> or HS*). EdDSA means Ed25519 (RFC 8037 OKP keys),
    /// verified with PrivateSigstore.Core's Ed25519 because Microsoft.IdentityModel 8 lacks it.
    /// </summary>
    public IReadOnlyList<string> AllowedAlgorithms { get; init; } = ["RS256", "ES256", "ES384", "EdDSA"];
}
