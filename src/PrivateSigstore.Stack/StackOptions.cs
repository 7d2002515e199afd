namespace PrivateSigstore.Stack;

/// <summary>Where the embedded stack keeps its data and listens (DESIGN: loopback, one data directory).</summary>
public sealed class StackOptions
{
    /// <summary>The data directory: <c>fulcio/</c>, <c>ctlog/</c>, <c>rekor/</c>, <c>identity/</c> and the trust files.</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>The loopback address every service binds.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>Rekor's port (0: a free one).</summary>
    public int RekorPort { get; set; } = 3000;

    /// <summary>The CA's port (0: a free one).</summary>
    public int FulcioPort { get; set; } = 5555;

    /// <summary>The CT log's port (0: a free one).</summary>
    public int CtLogPort { get; set; } = 6962;

    /// <summary>The identity provider's port (0: a free one).</summary>
    public int IdentityPort { get; set; } = 5556;

    /// <summary>Rekor v2's port (0: a free one).</summary>
    public int RekorV2Port { get; set; } = 3001;

    /// <summary>The timestamp authority's port (0: a free one).</summary>
    public int TsaPort { get; set; } = 3004;

    /// <summary>The TUF repository service's port (0: a free one).</summary>
    public int TufPort { get; set; } = 8081;

    /// <summary>The witness's port (0: a free one).</summary>
    public int WitnessPort { get; set; } = 8083;

    /// <summary>The log monitor's port (0: a free one).</summary>
    public int MonitorPort { get; set; } = 8082;

    /// <summary>The log explorer's port (0: a free one).</summary>
    public int ExplorerPort { get; set; } = 8080;

    /// <summary>Identities the monitor watches for, in rekor-monitor's YAML; null: it checks the logs' consistency only.</summary>
    public string? MonitorConfigPath { get; set; }

    /// <summary>A URL that receives every monitor alert as a JSON POST; null: the feed only.</summary>
    public string? MonitorWebhookUrl { get; set; }

    /// <summary>A file holding the webhook's HMAC-SHA256 secret; null: unsigned.</summary>
    public string? MonitorWebhookSecretPath { get; set; }

    /// <summary>An issuer configuration for the CA instead of the local identity provider (tests, sites with their own IdP).</summary>
    public string? FulcioConfigPath { get; set; }

    /// <summary>Lets the CA fetch discovery over plain HTTP (loopback IdPs).</summary>
    public bool AllowHttpIssuers { get; set; } = true;

    /// <summary>
    /// Keep the keys in a SoftHSM2 token of the stack's own when SoftHSM2 is installed (default); otherwise, or when false,
    /// PEM files with a loud warning. SoftHSM2 is configured once per process, so only one stack per process can use it.
    /// </summary>
    public bool UseSoftHsm { get; set; } = true;

    /// <summary>Minimum log level of the services' own messages.</summary>
    public string LogLevel { get; set; } = "Information";
}
