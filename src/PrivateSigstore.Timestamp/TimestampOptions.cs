using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Pkcs11;

namespace PrivateSigstore.Timestamp;

/// <summary>Settings of the timestamp authority (configuration section "Timestamp").</summary>
public sealed class TimestampOptions : PrivateSigstore.Hosting.IServiceOptions, PrivateSigstore.Hosting.IDataDirectoryOptions
{
    /// <summary>Secured at start (0700 / 0600): see <see cref="PrivateSigstore.Hosting.IDataDirectoryOptions"/>.</summary>
    string? PrivateSigstore.Hosting.IDataDirectoryOptions.SecuredDataDirectory => DataDirectory;

    /// <summary>The configuration section.</summary>
    public const string Section = "Timestamp";

    /// <summary>Upstream's default (and only accepted) policy OID: <c>--default-policy-oid 1.3.6.1.4.1.57264.2</c>.</summary>
    public const string SigstorePolicyOid = "1.3.6.1.4.1.57264.2";

    /// <summary>Upstream's <c>--max-request-body-size</c> default: 1 MiB.</summary>
    public const long DefaultMaxRequestBytes = 1024 * 1024;

    /// <summary>Directory for the development key and chain (used only when no key is configured).</summary>
    public string DataDirectory { get; set; } = "data/tsa";

    /// <summary>
    /// The TSA signing key: PKCS#11 (the key the <c>ceremony</c> command created), a PEM file, or nothing (a development
    /// key and chain generated in <see cref="DataDirectory"/>, with a loud warning). ECDSA P-256/384/521 or RSA.
    /// </summary>
    public SigningKeyOptions Key { get; set; } = new();

    /// <summary>
    /// PEM chain certifying <see cref="Key"/>: the TSA leaf first, the root last (upstream <c>--certificate-chain-path</c>).
    /// Required whenever <see cref="Key"/> is configured.
    /// </summary>
    public string? CertificateChainPath { get; set; }

    /// <summary>The policy OID written into tokens when the request names none (upstream <c>--default-policy-oid</c>).</summary>
    public string DefaultPolicyOid { get; set; } = SigstorePolicyOid;

    /// <summary>
    /// Policies a request may ask for (upstream <c>--accepted-policy-oids</c>); a request naming another is refused with
    /// 400. Empty means only <see cref="DefaultPolicyOid"/>.
    /// </summary>
    public List<string> AcceptedPolicyOids { get; set; } = [];

    /// <summary>The accuracy written into every token, in milliseconds (upstream writes 1 s). 0 omits the field.</summary>
    public int AccuracyMilliseconds { get; set; } = 1000;

    /// <summary>
    /// With <c>certReq</c>, also put the issuing chain (everything after the leaf) into the token's SignedData
    /// (upstream <c>--include-chain-in-response</c>, default false: the leaf only).
    /// </summary>
    public bool IncludeChainInResponse { get; set; }

    /// <summary>Answer 201 instead of 200 (upstream <c>--use-http-201</c>, for v1 clients).</summary>
    public bool UseHttp201 { get; set; }

    /// <summary>Request body limit in bytes (upstream <c>--max-request-body-size</c>); a larger body gets 400.</summary>
    public long MaxRequestBytes { get; set; } = DefaultMaxRequestBytes;

    /// <summary>The optional NTP clock check (off by default: air-gapped sites have no NTP server).</summary>
    public ClockCheckOptions ClockCheck { get; set; } = new();

    /// <summary>Whether <see cref="Key"/> names a key (provider set, a label or a path); otherwise the development key is used.</summary>
    public bool HasConfiguredKey =>
        !string.IsNullOrEmpty(Key.KeyLabel) || !string.IsNullOrEmpty(Key.KeyPath)
        || !string.Equals((Key.Provider ?? "Auto").Trim(), "Auto", StringComparison.OrdinalIgnoreCase) && !string.IsNullOrWhiteSpace(Key.Provider);

    /// <summary>The policies a request may name: <see cref="DefaultPolicyOid"/> plus <see cref="AcceptedPolicyOids"/>.</summary>
    public IReadOnlyList<string> AllAcceptedPolicies() => [.. AcceptedPolicyOids.Append(DefaultPolicyOid).Distinct(StringComparer.Ordinal)];

    /// <summary>Checks the settings; throws <see cref="ArgumentException"/> naming the first bad one (fail closed).</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(DataDirectory)) throw new ArgumentException("Timestamp:DataDirectory must not be empty");
        if (Key is null) throw new ArgumentException("Timestamp:Key must not be null");
        if (HasConfiguredKey && string.IsNullOrWhiteSpace(CertificateChainPath))
        {
            throw new ArgumentException("Timestamp:CertificateChainPath is required when Timestamp:Key is configured (the chain the ceremony command wrote: TSA leaf first, root last)");
        }
        if (CertificateChainPath is not null && !HasConfiguredKey)
        {
            throw new ArgumentException("Timestamp:CertificateChainPath is set but Timestamp:Key is not; configure the key the chain certifies (Timestamp:Key:KeyLabel for PKCS#11 or Timestamp:Key:KeyPath)");
        }
        if (CertificateChainPath is not null && !File.Exists(CertificateChainPath)) throw new ArgumentException($"Timestamp:CertificateChainPath {CertificateChainPath} does not exist");
        if (!IsOid(DefaultPolicyOid)) throw new ArgumentException($"Timestamp:DefaultPolicyOid '{DefaultPolicyOid}' is not a dotted OID");
        foreach (var oid in AcceptedPolicyOids)
        {
            if (!IsOid(oid)) throw new ArgumentException($"Timestamp:AcceptedPolicyOids: '{oid}' is not a dotted OID");
        }
        if (AccuracyMilliseconds is < 0 or > 3_600_000) throw new ArgumentException("Timestamp:AccuracyMilliseconds must be in 0..3600000");
        if (MaxRequestBytes is < 1024 or > 16 * 1024 * 1024) throw new ArgumentException("Timestamp:MaxRequestBytes must be in 1 KiB..16 MiB");
        ClockCheck.Validate();
    }

    /// <summary>A dotted OID as ASN.1 allows it: at least two arcs, decimal, the first 0..2 (second below 40 unless the first is 2).</summary>
    internal static bool IsOid(string? value)
    {
        if (string.IsNullOrEmpty(value) || value.Length > 512) return false;
        var arcs = value.Split('.');
        if (arcs.Length < 2 || arcs.Length > 128) return false;
        foreach (var arc in arcs)
        {
            if (arc.Length == 0 || arc.Length > 20 || !arc.All(char.IsAsciiDigit) || (arc.Length > 1 && arc[0] == '0')) return false;
        }
        if (arcs[0] is not ("0" or "1" or "2")) return false;
        return arcs[0] == "2" || (arcs[1].Length <= 2 && int.Parse(arcs[1], System.Globalization.CultureInfo.InvariantCulture) < 40);
    }
}

/// <summary>
/// The optional clock check (section "Timestamp:ClockCheck"): an SNTP (RFC 4330) query to <see cref="Server"/> every
/// <see cref="IntervalSeconds"/>; while the last answer is missing, failed, stale or off by more than
/// <see cref="MaxOffsetMilliseconds"/>, the authority refuses to issue (503 with the reason).
/// </summary>
public sealed class ClockCheckOptions
{
    /// <summary>Off by default (air-gapped sites have no NTP server).</summary>
    public bool Enabled { get; set; }

    /// <summary>The NTP server: a host name or address, optionally with <c>:port</c> (default port 123).</summary>
    public string? Server { get; set; }

    /// <summary>The largest tolerated offset between the local clock and the server, in milliseconds.</summary>
    public int MaxOffsetMilliseconds { get; set; } = 1000;

    /// <summary>Seconds between checks.</summary>
    public int IntervalSeconds { get; set; } = 60;

    /// <summary>How long one query waits for the answer, in milliseconds.</summary>
    public int TimeoutMilliseconds { get; set; } = 2000;

    /// <summary>Checks the settings; throws naming the first bad one.</summary>
    public void Validate()
    {
        if (!Enabled) return;
        if (string.IsNullOrWhiteSpace(Server)) throw new ArgumentException("Timestamp:ClockCheck:Server is required when Timestamp:ClockCheck:Enabled is true (an NTP server inside the site, e.g. ntp.internal:123)");
        _ = SntpClient.ParseServer(Server);
        if (MaxOffsetMilliseconds is < 1 or > 3_600_000) throw new ArgumentException("Timestamp:ClockCheck:MaxOffsetMilliseconds must be in 1..3600000");
        if (IntervalSeconds is < 1 or > 86_400) throw new ArgumentException("Timestamp:ClockCheck:IntervalSeconds must be in 1..86400");
        if (TimeoutMilliseconds is < 10 or > 60_000) throw new ArgumentException("Timestamp:ClockCheck:TimeoutMilliseconds must be in 10..60000");
    }
}
