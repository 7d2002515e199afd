using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Pkcs11;

namespace PrivateSigstore.Fulcio;

/// <summary>How the CA gets SCTs for the certificates it issues (reference/fulcio.md §5).</summary>
public enum CtMode
{
    /// <summary>Precertificate → add-pre-chain → final certificate with the SCT list embedded (what clients need).</summary>
    Embedded,

    /// <summary>add-chain on the final certificate; the SCT is returned beside it (deprecated upstream; few clients verify it).</summary>
    Detached,
}

/// <summary>The CT log the CA submits to (section <c>Fulcio:CtLog</c>).</summary>
public sealed class CtLogSettings
{
    /// <summary>Base URL of the RFC 6962 log, e.g. <c>http://127.0.0.1:6962/test</c>. Empty disables CT (loud warning).</summary>
    public string? Url { get; set; }

    /// <summary>PEM public key of the log; when set, every returned SCT is verified with it before a certificate is issued.</summary>
    public string? PublicKeyPath { get; set; }

    /// <summary>Embedded (default) or Detached.</summary>
    public CtMode Mode { get; set; } = CtMode.Embedded;

    /// <summary>Timeout of one submission (upstream: 30 s).</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Options of the Fulcio-compatible CA (section <c>Fulcio</c>), validated at start-up.</summary>
public sealed class FulcioOptions : PrivateSigstore.Hosting.IServiceOptions, PrivateSigstore.Hosting.IDataDirectoryOptions
{
    /// <summary>Secured at start (0700 / 0600): see <see cref="PrivateSigstore.Hosting.IDataDirectoryOptions"/>.</summary>
    string? PrivateSigstore.Hosting.IDataDirectoryOptions.SecuredDataDirectory => DataDirectory;

    /// <summary>Configuration section name.</summary>
    public const string Section = "Fulcio";

    /// <summary>Where dev keys and the dev chain live (DESIGN: <c>data/fulcio</c>).</summary>
    public string DataDirectory { get; set; } = Path.Combine("data", "fulcio");

    /// <summary>
    /// The OIDC issuer configuration in upstream's format (JSON or YAML: <c>OIDCIssuers</c>, <c>MetaIssuers</c>,
    /// <c>CIIssuerMetadata</c>). Empty: trust only the local identity provider at <see cref="DefaultIssuerUrl"/> (type email).
    /// </summary>
    public string? ConfigPath { get; set; }

    /// <summary>The issuer trusted when <see cref="ConfigPath"/> is empty: PrivateSigstore's own identity provider on loopback.</summary>
    public string DefaultIssuerUrl { get; set; } = "http://127.0.0.1:5556";

    /// <summary>Fetch discovery and JWKS over plain HTTP (loopback or lab set-ups). Off by default; on for the default loopback issuer.</summary>
    public bool AllowHttpIssuers { get; set; }

    /// <summary>
    /// The issuing CA key. Default algorithm ECDSA P-256: every client verifies it (sigstore-python rejects Ed25519
    /// issuers), and it signs several times faster than P-384, which matters because each certificate costs two signatures.
    /// </summary>
    public SigningKeyOptions Key { get; set; } = new() { Algorithm = SigningAlgorithm.EcdsaP256Sha256 };

    /// <summary>PEM chain of the issuing CA: issuing certificate first, root last. Required unless the dev CA is in use.</summary>
    public string? ChainPath { get; set; }

    /// <summary>Leaf lifetime (upstream: fixed 10 minutes).</summary>
    public TimeSpan CertificateValidity { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The CT log.</summary>
    public CtLogSettings CtLog { get; set; } = new();

    /// <summary>Largest request body (upstream <c>maxMsgSize</c>: 4 MiB).</summary>
    public long MaxRequestBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Largest identity token (GHSA-f83f-xpx7-ffpw).</summary>
    public int MaxTokenBytes { get; set; } = 16 * 1024;

    /// <summary>
    /// Origins a browser may call the API from (CORS), e.g. <c>https://app.example.com</c>; <c>*</c> allows every origin.
    /// Empty (the default) sends no CORS headers, as upstream Fulcio's HTTP server (cmd/app/http.go) does not: clients that
    /// are not browsers (cosign, sigstore-go, sigstore-js under Node, psig) never need them.
    /// </summary>
    public IList<string> CorsAllowedOrigins { get; set; } = [];

    /// <summary>Whether no key was configured, so the development CA is used.</summary>
    public bool UsesDevelopmentCa =>
        string.Equals((Key.Provider ?? "Auto").Trim(), "Auto", StringComparison.OrdinalIgnoreCase)
        && string.IsNullOrEmpty(Key.KeyPath) && string.IsNullOrEmpty(Key.KeyLabel);

    /// <summary>Fails closed on inconsistent options.</summary>
    /// <exception cref="ArgumentException">Which option is wrong (as Fulcio:Name) and why.</exception>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok)
            {
                throw new ArgumentException($"Fulcio:{message}");
            }
        }

        Require(!string.IsNullOrWhiteSpace(DataDirectory), "DataDirectory must be set");
        Require(CertificateValidity > TimeSpan.Zero && CertificateValidity <= TimeSpan.FromDays(1), "CertificateValidity must be positive and at most one day (Sigstore certificates are short-lived)");
        Require(MaxRequestBytes is >= 1024 and <= 64L * 1024 * 1024, "MaxRequestBytes must be between 1 KiB and 64 MiB");
        Require(MaxTokenBytes is >= 1024 and <= 1024 * 1024, "MaxTokenBytes must be between 1 KiB and 1 MiB");
        Require(UsesDevelopmentCa || !string.IsNullOrEmpty(ChainPath), "ChainPath (PEM chain: issuing certificate first, root last) is required when Key is configured; run the 'ca ceremony' command to create one");
        Require(ConfigPath is null || File.Exists(ConfigPath), $"ConfigPath '{ConfigPath}' does not exist");
        Require(string.IsNullOrEmpty(CtLog.Url) || Uri.TryCreate(CtLog.Url, UriKind.Absolute, out var u) && u.Scheme is "http" or "https", $"CtLog:Url '{CtLog.Url}' is not an http(s) URL");
        Require(CtLog.PublicKeyPath is null || File.Exists(CtLog.PublicKeyPath), $"CtLog:PublicKeyPath '{CtLog.PublicKeyPath}' does not exist");
        Require(CtLog.Timeout > TimeSpan.Zero, "CtLog:Timeout must be positive");
        Require(Enum.IsDefined(CtLog.Mode), $"CtLog:Mode must be Embedded or Detached");
        foreach (var origin in CorsAllowedOrigins)
        {
            Require(origin == "*" || (Uri.TryCreate(origin, UriKind.Absolute, out var o) && o.Scheme is "http" or "https" && o.AbsolutePath == "/" && !origin.EndsWith('/')),
                $"CorsAllowedOrigins: '{origin}' is not '*' or an origin such as https://app.example.com (scheme, host, optional port; no path)");
        }
    }
}
