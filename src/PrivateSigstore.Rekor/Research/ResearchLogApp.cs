using PrivateSigstore.Hosting;
using PrivateSigstore.Keys.Pkcs11;
using PrivateSigstore.Rekor.V2;

namespace PrivateSigstore.Rekor.Research;

/// <summary>
/// The research log: a Rekor v2 test log that misbehaves on command (issue 16, "for researchers"), so that monitors,
/// witnesses and clients — ours or anyone's — can be tested against each fault. Never the default (it is its own command,
/// <c>research-log serve</c>), refused with a key in an HSM, and marked in its checkpoint origin (<see cref="OriginPrefix"/>).
/// Uploads are acknowledged by an ordinary Rekor v2 log in its own data directory; reads are answered from the view the
/// fault plan gives each client; the admin API (<c>/research/v1</c>, loopback clients only) sets the faults.
/// </summary>
public static class ResearchLogApp
{
    /// <summary>The default listen address (loopback).</summary>
    public const string DefaultUrl = "http://127.0.0.1:3002";

    /// <summary>Every research log's checkpoint origin starts with this DNS label (added when the configured origin lacks it).</summary>
    public const string OriginPrefix = "research.";

    /// <summary>The request header that selects a client for the forked view (besides its address).</summary>
    public const string ClientHeader = "X-Research-Client";

    /// <summary>Defaults that keep a research log away from a real one: its own data directory, log id and origin.</summary>
    public static readonly IReadOnlyList<string> DefaultArguments =
    [
        "--RekorV2:DataDirectory", "data/research-log", "--RekorV2:LogId", "research-log", "--RekorV2:Origin", "research.localhost",
    ];

    /// <summary>The service (configuration section RekorV2, as the Rekor v2 personality).</summary>
    public static readonly ServiceDescription Service = new(RekorV2Options.Section, DefaultUrl)
    {
        Meters = ["PrivateSigstore.Log"],
        RateLimitedGroups = ["write", "read"],
    };

    /// <summary>Builds the research log from configuration (section RekorV2; the research defaults come first, so any setting overrides them).</summary>
    public static Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default) =>
        BuildAsync([.. DefaultArguments, .. args], null, configure, cancellationToken);

    /// <summary>Builds the research log from typed options (tests); its origin is marked in place.</summary>
    public static Task<WebApplication> BuildAsync(RekorV2Options options, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default) =>
        BuildAsync([], options ?? throw new ArgumentNullException(nameof(options)), configure, cancellationToken);

    private static Task<WebApplication> BuildAsync(string[] args, RekorV2Options? typed, Action<WebApplicationBuilder>? configure, CancellationToken cancellationToken) =>
        ServiceApp.BuildAsync(Service, args, typed, configure, o => o.MaxRequestBytes, (b, o) =>
        {
            RefuseHsmKey(o.Key);
            o.Origin = MarkOrigin(o.Origin);
            b.Services.AddRekorV2(o);
            b.Services.AddSingleton<ResearchLog>();
        }, (app, _) =>
        {
            app.UseResearchReads();
            app.MapRekorV2();
            app.MapResearchAdmin();
            return Task.CompletedTask;
        }, cancellationToken);

    /// <summary>The marked origin: <paramref name="origin"/> with <see cref="OriginPrefix"/> in front unless it starts with it.</summary>
    public static string MarkOrigin(string origin)
    {
        ArgumentNullException.ThrowIfNull(origin);
        return origin.StartsWith(OriginPrefix, StringComparison.OrdinalIgnoreCase) ? origin : OriginPrefix + origin;
    }

    /// <summary>Refuses a checkpoint key in an HSM (PKCS#11): a log that lies on purpose must not sign with a key anyone trusts.</summary>
    /// <exception cref="ArgumentException">The key is (or would be chosen) in a PKCS#11 token.</exception>
    public static void RefuseHsmKey(SigningKeyOptions key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var provider = (key.Provider ?? "Auto").Trim();
        var auto = provider.Length == 0 || provider.Equals("Auto", StringComparison.OrdinalIgnoreCase);
        if (provider.Equals("Pkcs11", StringComparison.OrdinalIgnoreCase) || (auto && !string.IsNullOrEmpty(key.KeyLabel)))
        {
            throw new ArgumentException(
                "research mode refuses a checkpoint key in an HSM (RekorV2:Key:Provider Pkcs11 / KeyLabel): a log that misbehaves on purpose " +
                "must never sign with a key that real logs or clients trust; give a PEM file (RekorV2:Key:KeyPath) or let it generate a development key");
        }
    }
}
