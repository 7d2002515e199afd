using PrivateSigstore.Hosting;

namespace PrivateSigstore.Monitor;

/// <summary>What kind of log a <see cref="MonitoredLogOptions"/> names.</summary>
public enum MonitoredLogKind
{
    /// <summary>A Rekor v1 REST API (<c>/api/v1/log</c>, <c>/api/v1/log/proof</c>, entries by index).</summary>
    RekorV1,

    /// <summary>A Rekor v2 tiled log (<c>/api/v2/checkpoint</c>, tiles, entry bundles).</summary>
    RekorV2,

    /// <summary>An RFC 6962 certificate transparency log (<c>/ct/v1/get-sth</c>, …).</summary>
    Ct,
}

/// <summary>One log to follow, named explicitly (section <c>Monitor:Logs:N</c>).</summary>
public sealed class MonitoredLogOptions
{
    /// <summary>The API kind.</summary>
    public MonitoredLogKind Kind { get; set; } = MonitoredLogKind.RekorV1;

    /// <summary>The log's base URL (Rekor: the host root; CT: the prefix before <c>/ct/v1/</c>).</summary>
    public string Url { get; set; } = "";

    /// <summary>The log's public key: PEM (<c>-----BEGIN PUBLIC KEY-----</c>) or base64 DER SubjectPublicKeyInfo.</summary>
    public string? PublicKey { get; set; }

    /// <summary>A file holding the log's PEM public key (instead of <see cref="PublicKey"/>).</summary>
    public string? PublicKeyPath { get; set; }

    /// <summary>
    /// Rekor v2 only: the checkpoint origin (and note key name) to expect; defaults to the host of <see cref="Url"/>
    /// (what sigstore-go expects).
    /// </summary>
    public string? Origin { get; set; }
}

/// <summary>A webhook that receives every alert as a JSON POST (section <c>Monitor:Webhooks:N</c>).</summary>
public sealed class WebhookOptions
{
    /// <summary>The receiver's URL.</summary>
    public string Url { get; set; } = "";

    /// <summary>A file whose content (trimmed) is the HMAC-SHA256 secret.</summary>
    public string? SecretFile { get; set; }

    /// <summary>The name of an environment variable holding the HMAC-SHA256 secret (instead of <see cref="SecretFile"/>).</summary>
    public string? SecretEnvironmentVariable { get; set; }

    /// <summary>Delivery attempts per alert (exponential backoff between them, from 200 ms, capped at 30 s).</summary>
    public int MaxAttempts { get; set; } = 6;
}

/// <summary>
/// Alerts by email through an SMTP relay (section <c>Monitor:Email</c>; optional): one message per alert, with the alert's
/// JSON, retried like a webhook.
/// </summary>
public sealed class EmailOptions
{
    /// <summary>The relay's host name.</summary>
    public string SmtpHost { get; set; } = "";

    /// <summary>The relay's port (25; 587 for submission with STARTTLS; 465 for implicit TLS).</summary>
    public int SmtpPort { get; set; } = 25;

    /// <summary>
    /// <c>StartTlsWhenAvailable</c> (the default), <c>StartTls</c> (refuse a relay without it), <c>Tls</c> (implicit TLS, port
    /// 465) or <c>None</c> (plain; a relay on the same host or network segment).
    /// </summary>
    public string Security { get; set; } = "StartTlsWhenAvailable";

    /// <summary>The sender address.</summary>
    public string From { get; set; } = "";

    /// <summary>The recipients.</summary>
    public List<string> To { get; set; } = [];

    /// <summary>A user name, when the relay wants authentication (then <see cref="PasswordFile"/> too).</summary>
    public string? UserName { get; set; }

    /// <summary>A file whose content (trimmed) is the relay password.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>Delivery attempts per alert (exponential backoff between them, from 200 ms, capped at 30 s).</summary>
    public int MaxAttempts { get; set; } = 6;
}

/// <summary>Settings of the monitor (configuration section "Monitor").</summary>
public sealed class MonitorOptions : IServiceOptions, PrivateSigstore.Hosting.IDataDirectoryOptions
{
    /// <summary>Secured at start (0700 / 0600): see <see cref="PrivateSigstore.Hosting.IDataDirectoryOptions"/>.</summary>
    string? PrivateSigstore.Hosting.IDataDirectoryOptions.SecuredDataDirectory => DataDirectory;

    /// <summary>The configuration section.</summary>
    public const string Section = "Monitor";

    /// <summary>Where the verified state of each log and the alert feed are kept.</summary>
    public string DataDirectory { get; set; } = "data/monitor";

    /// <summary>
    /// A trusted_root.json: each <c>tlogs</c> entry becomes a Rekor log (an Ed25519 key means Rekor v2, any other key
    /// Rekor v1) and each <c>ctlogs</c> entry a CT log, at its <c>baseUrl</c> with its key. An entry of
    /// <see cref="Logs"/> with the same URL takes precedence.
    /// </summary>
    public string? TrustedRootPath { get; set; }

    /// <summary>Logs named explicitly.</summary>
    public List<MonitoredLogOptions> Logs { get; set; } = [];

    /// <summary>Time between two polls of a log.</summary>
    public int PollIntervalMilliseconds { get; set; } = 1000;

    /// <summary>
    /// The logs' maximum merge delay: a CT log whose newest signed tree head is older than this is reported as stalled.
    /// 0 turns the check off.
    /// </summary>
    public int MaxMergeDelaySeconds { get; set; } = 86_400;

    /// <summary>Read every new entry and recompute the tree root, alerting on a mismatch.</summary>
    public bool FullAudit { get; set; }

    /// <summary>A rekor-monitor YAML configuration (<c>monitoredValues</c>) of identities to watch for in new entries.</summary>
    public string? IdentityConfigPath { get; set; }

    /// <summary>Receivers of every alert.</summary>
    public List<WebhookOptions> Webhooks { get; set; } = [];

    /// <summary>Alerts by email through an SMTP relay; null (the default) sends none.</summary>
    public EmailOptions? Email { get; set; }

    /// <summary>At most this many entries are read per log per poll (the rest on the next polls).</summary>
    public int MaxEntriesPerPoll { get; set; } = 10_000;

    /// <summary>Timeout of one HTTP request to a log or a webhook.</summary>
    public int HttpTimeoutSeconds { get; set; } = 30;

    /// <summary>
    /// Witnesses (base URLs; c2sp.org/tlog-witness) the monitor shows every verified Rekor checkpoint to. A witness that
    /// refuses it as inconsistent with what it cosigned (422) or badly signed (403) raises a split-view alert.
    /// </summary>
    public List<string> Witnesses { get; set; } = [];

    /// <summary>Checks the settings; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDirectory)) throw new ArgumentException("Monitor:DataDirectory must not be empty");
        if (TrustedRootPath is not null && !File.Exists(TrustedRootPath)) throw new ArgumentException($"Monitor:TrustedRootPath {TrustedRootPath} does not exist");
        if (TrustedRootPath is null && (Logs is null || Logs.Count == 0)) throw new ArgumentException("Monitor:TrustedRootPath or Monitor:Logs must name at least one log");
        for (var i = 0; i < (Logs?.Count ?? 0); i++)
        {
            var log = Logs![i];
            var name = $"Monitor:Logs:{i}";
            if (log is null) throw new ArgumentException($"{name} must not be empty");
            if (!Uri.TryCreate(log.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")) throw new ArgumentException($"{name}:Url '{log.Url}' is not an http(s) URL");
            if (!Enum.IsDefined(log.Kind)) throw new ArgumentException($"{name}:Kind must be RekorV1, RekorV2 or Ct");
            if (string.IsNullOrWhiteSpace(log.PublicKey) == string.IsNullOrWhiteSpace(log.PublicKeyPath)) throw new ArgumentException($"{name}: exactly one of PublicKey and PublicKeyPath must be set");
            if (log.PublicKeyPath is not null && !File.Exists(log.PublicKeyPath)) throw new ArgumentException($"{name}:PublicKeyPath {log.PublicKeyPath} does not exist");
        }
        if (PollIntervalMilliseconds is < 10 or > 86_400_000) throw new ArgumentException("Monitor:PollIntervalMilliseconds must be in 10..86400000");
        if (MaxMergeDelaySeconds is < 0) throw new ArgumentException("Monitor:MaxMergeDelaySeconds must not be negative");
        if (IdentityConfigPath is not null && !File.Exists(IdentityConfigPath)) throw new ArgumentException($"Monitor:IdentityConfigPath {IdentityConfigPath} does not exist");
        if (MaxEntriesPerPoll is < 1 or > 1_000_000) throw new ArgumentException("Monitor:MaxEntriesPerPoll must be in 1..1000000");
        if (HttpTimeoutSeconds is < 1 or > 600) throw new ArgumentException("Monitor:HttpTimeoutSeconds must be in 1..600");
        for (var i = 0; i < (Witnesses?.Count ?? 0); i++)
        {
            if (!Uri.TryCreate(Witnesses![i], UriKind.Absolute, out var w) || (w.Scheme != Uri.UriSchemeHttp && w.Scheme != Uri.UriSchemeHttps))
            {
                throw new ArgumentException($"Monitor:Witnesses:{i} must be an absolute http(s) URL, got \"{Witnesses[i]}\"");
            }
        }
        for (var i = 0; i < (Webhooks?.Count ?? 0); i++)
        {
            var hook = Webhooks![i];
            var name = $"Monitor:Webhooks:{i}";
            if (hook is null) throw new ArgumentException($"{name} must not be empty");
            if (!Uri.TryCreate(hook.Url, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https")) throw new ArgumentException($"{name}:Url '{hook.Url}' is not an http(s) URL");
            if (string.IsNullOrWhiteSpace(hook.SecretFile) == string.IsNullOrWhiteSpace(hook.SecretEnvironmentVariable)) throw new ArgumentException($"{name}: exactly one of SecretFile and SecretEnvironmentVariable must be set");
            if (hook.SecretFile is not null && !File.Exists(hook.SecretFile)) throw new ArgumentException($"{name}:SecretFile {hook.SecretFile} does not exist");
            if (hook.SecretEnvironmentVariable is not null && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(hook.SecretEnvironmentVariable))) throw new ArgumentException($"{name}:SecretEnvironmentVariable: {hook.SecretEnvironmentVariable} is not set");
            if (hook.MaxAttempts is < 1 or > 20) throw new ArgumentException($"{name}:MaxAttempts must be in 1..20");
        }
        if (Email is { } email)
        {
            if (string.IsNullOrWhiteSpace(email.SmtpHost)) throw new ArgumentException("Monitor:Email:SmtpHost must be set (or remove Monitor:Email)");
            if (email.SmtpPort is < 1 or > 65535) throw new ArgumentException("Monitor:Email:SmtpPort must be in 1..65535");
            if (!Enum.TryParse<MailKit.Security.SecureSocketOptions>(email.Security, ignoreCase: true, out var security) || security == MailKit.Security.SecureSocketOptions.Auto)
            {
                throw new ArgumentException($"Monitor:Email:Security must be StartTlsWhenAvailable, StartTls, Tls or None, got \"{email.Security}\"");
            }
            if (!MimeKit.MailboxAddress.TryParse(email.From, out _)) throw new ArgumentException($"Monitor:Email:From \"{email.From}\" is not an email address");
            if (email.To is not { Count: > 0 }) throw new ArgumentException("Monitor:Email:To must list at least one recipient");
            for (var i = 0; i < email.To.Count; i++)
            {
                if (!MimeKit.MailboxAddress.TryParse(email.To[i], out _)) throw new ArgumentException($"Monitor:Email:To:{i} \"{email.To[i]}\" is not an email address");
            }
            if (email.UserName is not null && (email.PasswordFile is null || !File.Exists(email.PasswordFile))) throw new ArgumentException("Monitor:Email:UserName needs Monitor:Email:PasswordFile, an existing file");
            if (email.MaxAttempts is < 1 or > 20) throw new ArgumentException("Monitor:Email:MaxAttempts must be in 1..20");
        }
    }
}
