using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Pkcs11;

namespace PrivateSigstore.Identity;

/// <summary>Settings of the identity provider (configuration section "Identity").</summary>
public sealed class IdentityProviderOptions : PrivateSigstore.Hosting.IServiceOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Identity";

    /// <summary>The audience Sigstore CAs expect by default (Fulcio's default client ID).</summary>
    public const string DefaultAudience = "sigstore";

    /// <summary>
    /// The issuer URL written to <c>iss</c> and discovery. Default: the listen URL. OpenIddict writes it as an absolute URI,
    /// so a URL without a path gains a trailing slash (<c>http://127.0.0.1:5556/</c>): configure the CA with
    /// <see cref="IdentityApp.CanonicalIssuer"/> of it.
    /// </summary>
    public string? Issuer { get; set; }

    /// <summary>Directory for the embedded store, the development key and the cookie-protection keys.</summary>
    public string DataDirectory { get; set; } = "data/identity";

    /// <summary>Sqlite (default) or Postgres.</summary>
    public PrivateSigstore.Log.Storage.StorageProvider Storage { get; set; } = PrivateSigstore.Log.Storage.StorageProvider.Sqlite;

    /// <summary>PostgreSQL connection string (from the environment; never in appsettings).</summary>
    public string? PostgresConnectionString { get; set; }

    /// <summary>The token signing key (ES256 with ECDSA P-256, ES384 with P-384, or RS256 with RSA): PKCS#11, a PEM file, or a generated development key.</summary>
    public SigningKeyOptions Key { get; set; } = new();

    /// <summary>Former signing keys still published in the JWKS so that tokens they signed verify until they expire.</summary>
    public List<RetiredKeyOptions> RetiredKeys { get; set; } = [];

    /// <summary>Lifetime of ID and access tokens (default 5 minutes; Fulcio needs only seconds).</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Lifetime of authorization codes (default 2 minutes).</summary>
    public TimeSpan AuthorizationCodeLifetime { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Lifetime of device and user codes (default 10 minutes).</summary>
    public TimeSpan DeviceCodeLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The public client people sign in through (PKCE required). Sigstore clients use <c>sigstore</c>.</summary>
    public string PublicClientId { get; set; } = DefaultAudience;

    /// <summary>
    /// Redirect URIs of the public client. Loopback URIs (127.0.0.1, [::1], localhost over http) match with any port
    /// (RFC 8252 §7.3), as cosign and sigstore-python listen on a random port.
    /// </summary>
    public List<string> PublicClientRedirectUris { get; set; } = ["http://localhost/auth/callback", "http://127.0.0.1/auth/callback"];

    /// <summary>Failed sign-ins in a row that lock an account (default 5).</summary>
    public int MaxFailedSignIns { get; set; } = 5;

    /// <summary>How long a locked account stays locked (default 15 minutes).</summary>
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Request body limit in bytes (default 64 KiB); larger bodies get 413.</summary>
    public long MaxRequestBytes { get; set; } = 64 * 1024;

    /// <summary>Checks the settings; throws naming the first bad one.</summary>
    public void Validate()
    {
        if (Issuer is not null && (!Uri.TryCreate(Issuer, UriKind.Absolute, out var issuer) || issuer.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(issuer.Query) || !string.IsNullOrEmpty(issuer.Fragment)))
        {
            throw new ArgumentException("Identity:Issuer must be an absolute http(s) URL without query or fragment");
        }
        if (string.IsNullOrWhiteSpace(DataDirectory)) throw new ArgumentException("Identity:DataDirectory must not be empty");
        new PrivateSigstore.Log.Storage.StorageOptions { Provider = Storage, DataDirectory = DataDirectory, PostgresConnectionString = PostgresConnectionString }.Validate(Section);
        if (TokenLifetime <= TimeSpan.Zero || TokenLifetime > TimeSpan.FromHours(1)) throw new ArgumentException("Identity:TokenLifetime must be in (0, 1 h]");
        if (AuthorizationCodeLifetime <= TimeSpan.Zero || AuthorizationCodeLifetime > TimeSpan.FromMinutes(10)) throw new ArgumentException("Identity:AuthorizationCodeLifetime must be in (0, 10 min]");
        if (DeviceCodeLifetime <= TimeSpan.Zero || DeviceCodeLifetime > TimeSpan.FromHours(1)) throw new ArgumentException("Identity:DeviceCodeLifetime must be in (0, 1 h]");
        if (string.IsNullOrWhiteSpace(PublicClientId)) throw new ArgumentException("Identity:PublicClientId must not be empty");
        foreach (var uri in PublicClientRedirectUris)
        {
            if (!Uri.TryCreate(uri, UriKind.Absolute, out _)) throw new ArgumentException($"Identity:PublicClientRedirectUris: '{uri}' is not an absolute URI");
        }
        if (MaxFailedSignIns is < 1 or > 100) throw new ArgumentException("Identity:MaxFailedSignIns must be in 1..100");
        if (LockoutDuration <= TimeSpan.Zero) throw new ArgumentException("Identity:LockoutDuration must be positive");
        if (MaxRequestBytes is < 1024 or > 1024 * 1024) throw new ArgumentException("Identity:MaxRequestBytes must be in 1 KiB..1 MiB");
        if (Key.Algorithm is not (SigningAlgorithm.EcdsaP256Sha256 or SigningAlgorithm.EcdsaP384Sha384 or SigningAlgorithm.RsaPkcs1v15Sha256))
        {
            throw new ArgumentException($"Identity:Key:Algorithm must be EcdsaP256Sha256 (ES256), EcdsaP384Sha384 (ES384) or RsaPkcs1v15Sha256 (RS256); got {Key.Algorithm}");
        }
        if (string.Equals(Key.Provider?.Trim(), IdentityKeys.DatabaseProvider, StringComparison.OrdinalIgnoreCase) && (!string.IsNullOrEmpty(Key.KeyPath) || !string.IsNullOrEmpty(Key.KeyLabel)))
        {
            throw new ArgumentException("Identity:Key:Provider Database keeps the key in the identity store; remove Identity:Key:KeyPath and Identity:Key:KeyLabel");
        }
        foreach (var retired in RetiredKeys)
        {
            if (string.IsNullOrWhiteSpace(retired.PublicKeyPath)) throw new ArgumentException("Identity:RetiredKeys[].PublicKeyPath is required");
        }
    }
}

/// <summary>A former signing key kept in the JWKS.</summary>
public sealed class RetiredKeyOptions
{
    /// <summary>PEM <c>PUBLIC KEY</c> file of the former key.</summary>
    public string PublicKeyPath { get; set; } = "";

    /// <summary>Stop publishing it after this time (set it to the retirement time plus <see cref="IdentityProviderOptions.TokenLifetime"/>); null keeps it.</summary>
    public DateTimeOffset? PublishUntil { get; set; }
}
