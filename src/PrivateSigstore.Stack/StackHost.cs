using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Core.Trust;
using PrivateSigstore.CtLog;
using PrivateSigstore.Fulcio;
using PrivateSigstore.Fulcio.Ca;
using PrivateSigstore.Identity;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Pkcs11;
using PrivateSigstore.Rekor;
using PrivateSigstore.Rekor.V2;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Timestamp;
using PrivateSigstore.Explorer;
using PrivateSigstore.Monitor;
using PrivateSigstore.Log;
using PrivateSigstore.Witness;

namespace PrivateSigstore.Stack;

/// <summary>The demo identities created on first start (kept, 0600, in the data directory so the printed commands keep working).</summary>
/// <param name="Username">The demo person.</param>
/// <param name="Password">Their password.</param>
/// <param name="ClientId">The demo workload client.</param>
/// <param name="ClientSecret">Its secret.</param>
/// <param name="WorkloadEmail">The verified email the workload's tokens carry (its certificate identity).</param>
public sealed record DemoCredentials(string Username, string Password, string ClientId, string ClientSecret, string WorkloadEmail);

/// <summary>One running service of the stack.</summary>
/// <param name="Name">What it is.</param>
/// <param name="Url">Its base URL.</param>
public sealed record StackService(string Name, string Url)
{
    /// <summary>Its name in <c>services.json</c>: identity, fulcio, ctlog, rekor (and, as they are added, rekor-v2, tsa, tuf, monitor, witness, explorer).</summary>
    public string Key { get; init; } = "";
}

/// <summary>
/// Runs the services in one process on loopback, each on its embedded defaults under one data directory: the CT log
/// (trusting the CA's root), Rekor, and the CA (submitting precertificates to the CT log and checking its SCTs). On first
/// start it creates the keys and the CA, and writes <c>trusted_root.json</c> and <c>signing_config.v0.2.json</c>; later
/// starts reuse them.
/// </summary>
public sealed partial class StackHost : IAsyncDisposable
{
    /// <summary>File name of the trusted root clients are given.</summary>
    public const string TrustedRootFile = "trusted_root.json";

    /// <summary>File name of the service registry: a JSON object mapping each service name to its base URL.</summary>
    public const string ServiceRegistryFile = "services.json";

    /// <summary>File name of the signing config clients are given.</summary>
    public const string SigningConfigFile = "signing_config.v0.2.json";

    private readonly List<WebApplication> _apps;
    private bool _stopped;
    private DataDirectoryLock? _lock;

    private StackHost(List<WebApplication> apps, IReadOnlyList<StackService> services, string dataDirectory, string issuer, DemoCredentials? demo)
    {
        _apps = apps;
        Services = services;
        DataDirectory = dataDirectory;
        Issuer = issuer;
        Demo = demo;
    }

    /// <summary>Whether the keys are in the stack's SoftHSM2 token (false: development PEM files).</summary>
    public bool HardwareBacked { get; private init; }

    /// <summary>The identity provider's issuer, exactly as its tokens carry it (the CA trusts this string).</summary>
    public string Issuer { get; }

    /// <summary>The demo identities (null when the CA was given another issuer configuration).</summary>
    public DemoCredentials? Demo { get; }

    /// <summary>The identity provider's services (admin tasks in-process: <c>IdentityAdmin</c> in a scope).</summary>
    public IServiceProvider IdentityServices => _apps[0].Services;

    /// <summary>
    /// The services (dependency injection container) of the running service whose <see cref="StackService.Key"/> is
    /// <paramref name="key"/>: its endpoints, stores and options, for in-process checks.
    /// </summary>
    /// <exception cref="InvalidOperationException">No running service has that key.</exception>
    public IServiceProvider ServicesOf(string key)
    {
        var port = new Uri(Url(key)).Port;
        return _apps.First(a => a.Urls.Any(u => new Uri(u).Port == port)).Services;
    }

    /// <summary>The identity provider's base URL.</summary>
    public string IdentityUrl => Url("identity");

    /// <summary>The running services.</summary>
    public IReadOnlyList<StackService> Services { get; }

    /// <summary>The data directory (absolute).</summary>
    public string DataDirectory { get; }

    /// <summary>Rekor's base URL.</summary>
    public string RekorUrl => Url("rekor");

    /// <summary>The CA's base URL.</summary>
    public string FulcioUrl => Url("fulcio");

    /// <summary>Rekor v2's base URL (tlog-tiles under <c>/api/v2</c>).</summary>
    public string RekorV2Url => Url("rekor-v2");

    /// <summary>The timestamp authority's base URL (clients post to <c>/api/v1/timestamp</c>).</summary>
    public string TsaUrl => Url("tsa");

    /// <summary>The log explorer's base URL (web UI).</summary>
    public string ExplorerUrl => Url("explorer");

    /// <summary>The log monitor's base URL.</summary>
    public string MonitorUrl => Url("monitor");

    /// <summary>The CT log's base URL.</summary>
    public string CtLogUrl => Url("ctlog");

    /// <summary>Path of the trusted root.</summary>
    public string TrustedRootPath => Path.Combine(DataDirectory, TrustedRootFile);

    /// <summary>Path of the service registry (<c>services.json</c>).</summary>
    public string ServiceRegistryPath => Path.Combine(DataDirectory, ServiceRegistryFile);

    /// <summary>Writes <c>services.json</c>: <c>{"identity": "http://…", "fulcio": …}</c>, the same URLs as the trust files, atomically.</summary>
    private void WriteServiceRegistry()
    {
        var registry = new JsonObject();
        foreach (var service in Services) registry[service.Key] = service.Url;
        string tmp = ServiceRegistryPath + ".tmp";
        File.WriteAllText(tmp, registry.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        File.Move(tmp, ServiceRegistryPath, overwrite: true);
    }

    /// <summary>Path of the signing config.</summary>
    public string SigningConfigPath => Path.Combine(DataDirectory, SigningConfigFile);

    private string Url(string key) => Services.First(s => s.Key == key).Url;

    /// <summary>Creates what is missing, starts every service, and writes the trust files.</summary>
    public static async Task<StackHost> StartAsync(StackOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var data = Path.GetFullPath(options.DataDirectory);
        var dataLock = DataDirectoryLock.Acquire(data);
        try
        {
            // A port left at 0 is picked free, released, and bound moments later by Kestrel: another process may take it in
            // between. Only then (every port the caller named is theirs to fix) the start is tried again on fresh ports.
            for (int attempt = 1; ; attempt++)
            {
                try
                {
                    var host = await StartLockedAsync(options, data, cancellationToken).ConfigureAwait(false);
                    host._lock = dataLock;
                    return host;
                }
                catch (IOException e) when (attempt < 4 && e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException && HasAutomaticPort(options))
                {
                }
            }
        }
        catch
        {
            dataLock.Dispose();
            throw;
        }
    }

    private static async Task<StackHost> StartLockedAsync(StackOptions options, string data, CancellationToken cancellationToken)
    {
        string fulcioDir = Directory.CreateDirectory(Path.Combine(data, "fulcio")).FullName;
        string ctDir = Directory.CreateDirectory(Path.Combine(data, "ctlog")).FullName;
        string rekorDir = Directory.CreateDirectory(Path.Combine(data, "rekor")).FullName;
        string identityDir = Directory.CreateDirectory(Path.Combine(data, "identity")).FullName;
        string tsaDir = Directory.CreateDirectory(Path.Combine(data, "tsa")).FullName;
        string rekorV2Dir = Directory.CreateDirectory(Path.Combine(data, "rekor-v2")).FullName;
        string witnessDir = Directory.CreateDirectory(Path.Combine(data, "witness")).FullName;

        int ctPort = Port(options.CtLogPort);
        int rekorPort = Port(options.RekorPort);
        int fulcioPort = Port(options.FulcioPort);
        int identityPort = Port(options.IdentityPort);
        string identityUrl = $"http://{options.Host}:{identityPort}";
        string issuer = IdentityApp.CanonicalIssuer(identityUrl);
        string ctUrl = $"http://{options.Host}:{ctPort}";
        string rekorUrl = $"http://{options.Host}:{rekorPort}";
        int tsaPort = Port(options.TsaPort);
        int rekorV2Port = Port(options.RekorV2Port);
        string rekorV2Url = $"http://{options.Host}:{rekorV2Port}";
        string tsaUrl = $"http://{options.Host}:{tsaPort}";
        string fulcioUrl = $"http://{options.Host}:{fulcioPort}";
        string tufUrl = $"http://{options.Host}:{Port(options.TufPort)}";
        string witnessUrl = $"http://{options.Host}:{Port(options.WitnessPort)}";
        string monitorUrl = $"http://{options.Host}:{Port(options.MonitorPort)}";
        string explorerUrl = $"http://{options.Host}:{Port(options.ExplorerPort)}";
        void Configure(WebApplicationBuilder b, string url)
        {
            b.WebHost.UseUrls(url);
            b.Logging.AddFilter(level => level >= LogLevel.Warning);
            // A failed start (a port in use) is reported by the stack in one line, not as the host's stack trace.
            b.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
            b.Logging.AddFilter("PrivateSigstore", Enum.Parse<LogLevel>(options.LogLevel, ignoreCase: true));
        }

        // 1. Keys: in the stack's SoftHSM2 token when available (created on first start), else development PEM files.
        byte[] ctSpki;
        byte[] rekorSpki;
        StackKeys? hsm = null;
        string ctPublicPath = Path.Combine(ctDir, "ctlog-public.pem");
        if (options.UseSoftHsm && StackKeys.SoftHsmAvailable)
        {
            hsm = StackKeys.Prepare(
                data, fulcioDir, StackKeyRotation.CurrentLabel(data, RotatableService.CtLog), StackKeyRotation.CurrentLabel(data, RotatableService.Rekor), out ctSpki, out rekorSpki);
        }
        else
        {
            // The same files the services' SigningKeyFactory opens as development keys (created here on first start), or
            // the PEM files of rotated keys.
            ctSpki = PublicKeyOf(StackKeyRotation.CurrentKeyPath(data, RotatableService.CtLog));
            rekorSpki = PublicKeyOf(StackKeyRotation.CurrentKeyPath(data, RotatableService.Rekor));
        }

        File.WriteAllText(ctPublicPath, GoPem.EncodePublicKey(ctSpki));
        SigningKeyOptions KeyOptions(string label) => hsm?.KeyOptions(label) ?? new SigningKeyOptions();
        // The rotatable keys: the current generation of each (StackKeyRotation; 1 until a rotate-key).
        SigningKeyOptions CurrentKey(RotatableService service) => StackKeyRotation.KeyOptions(data, service, hsm);
        string? caChainPath = StackKeyRotation.CurrentChainPath(data, RotatableService.FulcioIntermediate, hsm is not null);

        // 2. The CA before the CT log starts: the log must trust its root before the CA submits anything.
        var fulcioOptions = new FulcioOptions { DataDirectory = fulcioDir };
        X509Certificate2[] chain;
        if (caChainPath is null)
        {
            using var ca = CaLoader.Load(fulcioOptions, NullLogger.Instance);
            chain = [.. ca.Chain.Select(c => X509CertificateLoader.LoadCertificate(c.RawData))];
        }
        else
        {
            chain = Fulcio.Ca.CertificateAuthority.ReadChain(caChainPath);
        }

        string rootsPath = Path.Combine(fulcioDir, "ca-root.pem");
        File.WriteAllText(rootsPath, GoPem.Encode("CERTIFICATE", chain[^1].RawData));

        // The CA trusts the local identity provider (type email: people and the demo workload have verified emails),
        // unless another issuer configuration is given.
        string fulcioConfig = options.FulcioConfigPath is { } given ? Path.GetFullPath(given) : WriteIssuerConfig(fulcioDir, issuer);

        var apps = new List<WebApplication>();
        DemoCredentials? demo = null;
        byte[][] tsaChain = [];
        RekorV2TrustInfo? rekorV2Trust = null;
        try
        {
            var identity = await IdentityApp.BuildAsync(
                new IdentityProviderOptions { DataDirectory = identityDir, Key = KeyOptions("identity") },
                b => Configure(b, identityUrl), cancellationToken).ConfigureAwait(false);
            apps.Add(identity);
            apps.Add(await CtLogApp.BuildAsync(
                new CtLogOptions { DataDirectory = ctDir, RootsPemFile = rootsPath, Key = CurrentKey(RotatableService.CtLog) },
                b => Configure(b, ctUrl), cancellationToken).ConfigureAwait(false));
            var rekorHostname = RekorHostname(rekorDir, options.Host, rekorPort);
            var rekorTreeId = StackKeyRotation.RekorTreeId(rekorDir, rekorSpki);
            apps.Add(await RekorApp.BuildAsync(
                new RekorOptions
                {
                    DataDirectory = rekorDir,
                    Hostname = rekorHostname,
                    Key = CurrentKey(RotatableService.Rekor),
                    // The tree outlives key rotations: its id is the one the first key derived, kept in rekor/tree-id.
                    TreeId = rekorTreeId,
                },
                b => Configure(b, rekorUrl), cancellationToken).ConfigureAwait(false));
            var caOptions = new FulcioOptions
            {
                DataDirectory = fulcioDir,
                CtLog = new CtLogSettings { Url = ctUrl, PublicKeyPath = ctPublicPath },
                AllowHttpIssuers = options.AllowHttpIssuers,
                ConfigPath = fulcioConfig,
                Key = CurrentKey(RotatableService.FulcioIntermediate),
                ChainPath = caChainPath,
            };
            apps.Add(await FulcioApp.BuildAsync(caOptions, b => Configure(b, fulcioUrl), cancellationToken: cancellationToken).ConfigureAwait(false));
            // Rekor v2 (tiles): its own log and Ed25519 checkpoint key; the origin is the host name, which occurs in its URL
            // on any port (sigstore-js and psig require it).
            // The witness's key first: the v2 log asks the witness to cosign each checkpoint (1 of 1) and fails open, so a
            // witness that disagrees (a data directory restored from an older backup) shows up as warnings and monitor alerts,
            // not as a stack that refuses every signing.
            var witnessKey = hsm?.KeyOptions("witness", SigningAlgorithm.Ed25519) ?? new SigningKeyOptions { Algorithm = SigningAlgorithm.Ed25519 };
            witnessKey.GenerateIfMissing = hsm is not null;
            var witnessOptions = new WitnessOptions { DataDirectory = witnessDir, Key = witnessKey };
            var witnessVerifierKey = WitnessApp.VerifierKey(witnessOptions);
            var rekorV2 = await RekorV2App.BuildAsync(
                new RekorV2Options
                {
                    DataDirectory = rekorV2Dir,
                    Origin = options.Host,
                    Key = CurrentKey(RotatableService.RekorV2),
                    Witnessing = new CheckpointWitnessOptions { Witnesses = [new WitnessTarget { Url = witnessUrl, VerifierKey = witnessVerifierKey }], FailOpen = true },
                },
                b => Configure(b, rekorV2Url), cancellationToken).ConfigureAwait(false);
            apps.Add(rekorV2);
            rekorV2Trust = rekorV2.Services.GetRekorV2TrustInfo();
            // The timestamp authority (Rekor v2 entries have no SET: a v2 signing needs an RFC 3161 timestamp).
            var tsa = await TimestampApp.BuildAsync(new TimestampOptions
            {
                DataDirectory = tsaDir,
                Key = CurrentKey(RotatableService.Tsa),
                CertificateChainPath = StackKeyRotation.CurrentChainPath(data, RotatableService.Tsa, hsm is not null),
            }, configure: b => Configure(b, tsaUrl), cancellationToken: cancellationToken).ConfigureAwait(false);
            apps.Add(tsa);
            tsaChain = [.. tsa.Services.GetRequiredService<TimestampAuthority>().Credentials.Chain.Select(c => c.RawData)];
            // The witness (C2SP tlog-witness): knows the Rekor v2 log; its Ed25519 cosigning key in the token when HSM-backed.
            // It knows Rekor v2 (which asks it to cosign) and Rekor v1 (whose checkpoints the monitor shows it).
            witnessOptions.Logs =
            [
                new WitnessLogOptions { Origin = rekorV2Trust.Origin, VerifierKey = Ed25519NoteVerifier.FromSubjectPublicKeyInfo(rekorV2Trust.Origin, rekorV2Trust.SubjectPublicKeyInfo).VerifierKey },
                new WitnessLogOptions
                {
                    Origin = string.Create(CultureInfo.InvariantCulture, $"{rekorHostname} - {rekorTreeId}"),
                    VerifierKey = NoteVerifierKeys.FormatEcdsa(rekorHostname, rekorSpki),
                },
            ];
            apps.Add(await WitnessApp.BuildAsync(witnessOptions, configure: b => Configure(b, witnessUrl), cancellationToken: cancellationToken).ConfigureAwait(false));
            foreach (var app in apps)
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }

            demo = await EnsureDemoAsync(identity, identityDir, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            foreach (var app in apps)
            {
                await app.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }

        var host = new StackHost(apps, [
            new StackService("Identity provider (OIDC)", identityUrl) { Key = "identity" },
            new StackService("Fulcio-compatible CA", fulcioUrl) { Key = "fulcio" },
            new StackService("CT log (RFC 6962)", ctUrl) { Key = "ctlog" },
            new StackService("Rekor (transparency log, Rekor v1 API)", rekorUrl) { Key = "rekor" },
            new StackService("Rekor v2 (tile-based log)", rekorV2Url) { Key = "rekor-v2" },
            new StackService("Timestamp authority (RFC 3161)", tsaUrl) { Key = "tsa" },
            new StackService("TUF repository (trust root for clients)", tufUrl) { Key = "tuf" },
            new StackService("Witness (C2SP tlog-witness, cosigns checkpoints)", witnessUrl) { Key = "witness" },
            new StackService("Log monitor (consistency, identity alerts)", monitorUrl) { Key = "monitor" },
            new StackService("Log explorer (web UI: search, entries, proofs)", explorerUrl) { Key = "explorer" },
        ], data, issuer, options.FulcioConfigPath is null ? demo : null) { HardwareBacked = hsm is not null };
        try
        {
            host.WriteTrustFiles(chain, ctSpki, rekorSpki, rekorV2Trust!, tsaChain);
            // The TUF service last: it publishes the trust files just written (StackTuf.cs).
            await host.StartTufAsync(hsm is null ? null : hsm.KeyOptions, b => Configure(b, tufUrl), cancellationToken).ConfigureAwait(false);
            // The monitor follows every log in the trusted root just written (Rekor v1 and v2, the CT log).
            var monitor = await MonitorApp.BuildAsync(new MonitorOptions
            {
                DataDirectory = Directory.CreateDirectory(Path.Combine(data, "monitor")).FullName,
                TrustedRootPath = host.TrustedRootPath,
                IdentityConfigPath = options.MonitorConfigPath,
                // Every verified Rekor checkpoint is shown to the stack's witness: a refusal is a split-view alert.
                Witnesses = [witnessUrl],
                Webhooks = options.MonitorWebhookUrl is { } hook ? [new WebhookOptions { Url = hook, SecretFile = options.MonitorWebhookSecretPath }] : [],
            }, configure: b => Configure(b, monitorUrl), cancellationToken: cancellationToken).ConfigureAwait(false);
            host._apps.Add(monitor);
            await monitor.StartAsync(cancellationToken).ConfigureAwait(false);
            // The explorer reads every log of the trusted root (and the monitor's alerts) through their public APIs.
            var explorer = await ExplorerApp.BuildAsync(new ExplorerOptions
            {
                TrustedRootPath = host.TrustedRootPath,
                MonitorUrl = monitorUrl,
            }, configure: b => Configure(b, explorerUrl), cancellationToken: cancellationToken).ConfigureAwait(false);
            host._apps.Add(explorer);
            await explorer.StartAsync(cancellationToken).ConfigureAwait(false);
            host.WriteServiceRegistry();
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return host;
    }

    /// <summary>
    /// Writes trusted_root.json and signing_config.v0.2.json. The trusted root is merged into the one written before
    /// (<see cref="TrustedRootHistory"/>): a key keeps the start it was first published with, so a restart keeps old
    /// bundles verifiable and rewrites nothing when nothing changed; a rotated-out key stays with an end (now), and its
    /// successor starts now.
    /// </summary>
    private void WriteTrustFiles(X509Certificate2[] chain, byte[] ctSpki, byte[] rekorSpki, RekorV2TrustInfo rekorV2, byte[][] tsaChain)
    {
        // Whole seconds: clients compare validity with second-precision times (integrated time, genTime, notBefore).
        var now = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        bool Rotated(RotatableService service) => StackKeyRotation.CurrentGeneration(DataDirectory, service) > 1;
        // Start of a key seen for the first time: the first key's creation (as before rotations existed), a rotated one's now.
        DateTimeOffset Since(RotatableService service, string path) =>
            Rotated(service) ? now : File.Exists(path) ? new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero).AddMinutes(-1) : now;
        var current = TrustMaterialBuilder.TrustedRoot(
            [new TrustedAuthority(FulcioUrl, [.. chain.Select(c => c.RawData)], Rotated(RotatableService.FulcioIntermediate) ? now : NotBefore(chain[0].RawData))],
            [
                new TrustedLog(RekorUrl, rekorSpki, Since(RotatableService.Rekor, KeyFile("rekor", "rekor-key.pem"))),
                new TrustedLog(RekorV2Url, rekorV2.SubjectPublicKeyInfo, Since(RotatableService.RekorV2, KeyFile("rekor-v2", "checkpoint-key.pem")), CheckpointOrigin: rekorV2.Origin),
            ],
            [new TrustedLog(CtLogUrl, ctSpki, Since(RotatableService.CtLog, KeyFile("ctlog", "ctlog-key.pem")))],
            tsaChain.Length == 0 ? [] : [new TrustedAuthority(TsaUrl, tsaChain, Rotated(RotatableService.Tsa) ? now : NotBefore(tsaChain[0]))]);
        TrustedRoot? previous = null;
        if (File.Exists(TrustedRootPath))
        {
            try
            {
                previous = TrustedRootJson.Parse(File.ReadAllBytes(TrustedRootPath));
            }
            catch (Core.WireFormatException e)
            {
                // Fail closed: overwriting it would drop rotated-out keys, and with them every bundle they verify.
                throw new StackStartException($"{TrustedRootPath} is not a trusted root ({e.Message}); restore it from a backup, or move it away to have it written afresh from the current keys (keys rotated out before would no longer be listed)");
            }
        }

        string json = TrustedRootJson.Serialize(TrustedRootHistory.Merge(previous, current, now), indented: true);
        if (!File.Exists(TrustedRootPath) || File.ReadAllText(TrustedRootPath) != json)
        {
            File.WriteAllText(TrustedRootPath + ".tmp", json);
            File.Move(TrustedRootPath + ".tmp", TrustedRootPath, overwrite: true);
        }

        string signing = SigningConfigJson.Serialize(TrustMaterialBuilder.SigningConfig(
            // Rekor v2 first: psig (and sigstore-go) take the highest API version; sigstore-js takes the newest start and,
            // among equal starts, the first listed — so every client signs with v2 + the TSA, and v1 stays for older ones.
            FulcioUrl, Issuer, [(RekorV2Url, 2), (RekorUrl, 1)], [TsaUrl + "/api/v1/timestamp"], new DateTimeOffset(chain[0].NotBefore.ToUniversalTime(), TimeSpan.Zero)), indented: true);
        if (!File.Exists(SigningConfigPath) || File.ReadAllText(SigningConfigPath) != signing)
        {
            File.WriteAllText(SigningConfigPath, signing);
        }
    }

    private static DateTimeOffset NotBefore(byte[] der)
    {
        using var certificate = X509CertificateLoader.LoadCertificate(der);
        return new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);
    }

    // When a key appeared: its PEM file, or (keys in SoftHSM2) the token's PIN file, both written once at first start.
    private string KeyFile(string service, string pemName) =>
        HardwareBacked ? Path.Combine(DataDirectory, "softhsm", "pin") : Path.Combine(DataDirectory, service, pemName);

    private static string WriteIssuerConfig(string fulcioDir, string issuer)
    {
        string path = Path.Combine(fulcioDir, "issuers.json");
        var config = new JsonObject
        {
            ["OIDCIssuers"] = new JsonObject
            {
                [issuer] = new JsonObject { ["IssuerURL"] = issuer, ["ClientID"] = "sigstore", ["Type"] = "email", ["Description"] = "PrivateSigstore identity provider (embedded stack)" },
            },
        };
        File.WriteAllText(path, config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    /// <summary>Creates the demo person and workload on an empty identity store; keeps their secrets in a 0600 file.</summary>
    private static async Task<DemoCredentials?> EnsureDemoAsync(WebApplication identity, string identityDir, CancellationToken cancellationToken)
    {
        string path = Path.Combine(identityDir, "demo-credentials.json");
        const string workloadEmail = "demo-workload@privatesigstore.local";
        using (var scope = identity.Services.CreateScope())
        {
            var admin = scope.ServiceProvider.GetRequiredService<IdentityAdmin>();
            var created = await admin.EnsureDemoIdentitiesAsync(
                "demo",
                "privatesigstore.local",
                new WorkloadClientSpec("demo-workload", "demo-workload") { Email = workloadEmail, EmailVerified = true },
                cancellationToken).ConfigureAwait(false);
            if (created is not null)
            {
                var demo = new DemoCredentials(created.Username, created.Password, created.ClientId, created.ClientSecret, workloadEmail);
                using (File.Create(path))
                {
                }

                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }

                File.WriteAllText(path, JsonSerializer.Serialize(demo));
                return demo;
            }
        }

        return File.Exists(path) ? JsonSerializer.Deserialize<DemoCredentials>(File.ReadAllText(path)) : null;
    }

    /// <summary>
    /// The Rekor log's host name (its checkpoint origin "&lt;host&gt; - &lt;treeID&gt;"), fixed at the data directory's first
    /// start and kept in <c>rekor/hostname</c>, so that a restart on another port keeps the log. New data directories use
    /// the bare host (sigstore-js requires the name to occur in the log's URL, which it does on every port); data
    /// directories made before the file existed used "host:port" with the port of that time.
    /// </summary>
    private static string RekorHostname(string rekorDir, string host, int port)
    {
        string path = Path.Combine(rekorDir, "hostname");
        if (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }

        bool existingLog = Directory.EnumerateFiles(rekorDir, "rekor-*.db").Any();
        string name = existingLog ? $"{host}:{port}" : host;
        File.WriteAllText(path, name + "\n");
        return name;
    }

    private static byte[] PublicKeyOf(string devKeyPath)
    {
        // The same file the service's SigningKeyFactory opens as its development key (created here on first start).
        using var key = PemSigningKey.LoadOrCreate(devKeyPath, SigningAlgorithm.EcdsaP256Sha256, out _);
        return key.SubjectPublicKeyInfo;
    }

    private static bool HasAutomaticPort(StackOptions options) =>
        options.RekorPort == 0 || options.FulcioPort == 0 || options.CtLogPort == 0 || options.IdentityPort == 0 || options.TsaPort == 0
        || options.RekorV2Port == 0 || options.TufPort == 0 || options.WitnessPort == 0 || options.MonitorPort == 0 || options.ExplorerPort == 0;

    private static int Port(int configured)
    {
        if (configured != 0)
        {
            return configured;
        }

        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    /// <summary>Stops the services in reverse order (the CA before the logs it writes to), flushing queued log batches.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        _stopped = true;
        for (int i = _apps.Count - 1; i >= 0; i--)
        {
            await _apps[i].StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            await StopAsync().ConfigureAwait(false);
        }

        for (int i = _apps.Count - 1; i >= 0; i--)
        {
            await _apps[i].DisposeAsync().ConfigureAwait(false);
        }

        _lock?.Dispose();
    }
}
