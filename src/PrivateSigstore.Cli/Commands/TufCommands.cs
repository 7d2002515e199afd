using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Client;
using PrivateSigstore.Client.Trust;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Core.Trust;
using PrivateSigstore.Keys;
using PrivateSigstore.Tuf;

namespace PrivateSigstore.Cli.Commands;

/// <summary>
/// <c>psig tuf …</c>: run a private TUF repository for the Sigstore trust files — create it, stage and sign changes
/// one signer at a time (for ceremonies with offline keys), publish, rotate the root, and report versions and expiries.
/// </summary>
internal static class TufCommands
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private const string KeyHelp = "a PEM file (private key: signs; PUBLIC KEY: names a key that signs later) or pkcs11:token=LABEL;object=KEY (PSIG_PKCS11_MODULE, PSIG_PKCS11_PIN)";

    public static Command Create(CliConsole console)
    {
        var tuf = new Command("tuf", "Run a private TUF repository that distributes trusted_root.json and signing_config.v0.2.json to clients (see docs/operations.md)")
        {
            Keygen(console), Init(console), AddTargets(console), Sign(console), Publish(console), RotateRoot(console), Status(console), Export(console),
        };
        return tuf;
    }

    private static Option<DirectoryInfo> RepoOption() => new("--repo") { Description = "The repository directory (the stack's is <data>/tuf)", Required = true };

    private static Option<string[]> KeysOption(string name, string role) => new(name) { Description = $"A {role} key, repeatable: {KeyHelp}", AllowMultipleArgumentsPerToken = false };

    private static Option<int?> ThresholdOption(string name, string role) => new(name) { Description = $"How many {role} keys must sign (default: 1, or the current threshold)" };

    private static List<TufKeySpec> OpenAll(IEnumerable<string>? specs) => [.. (specs ?? []).Select(TufKeySpec.Open)];

    private static void DisposeAll(IEnumerable<TufKeySpec> keys)
    {
        foreach (var k in keys) k.Dispose();
    }

    private static async Task<int> Guard(CliConsole console, Func<Task<int>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (TufException e)
        {
            await console.Error.WriteLineAsync("Error: " + e.Message).ConfigureAwait(false);
            return ExitCodes.NotVerified;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await console.Error.WriteLineAsync("Error: " + e.Message).ConfigureAwait(false);
            return ExitCodes.NotVerified;
        }
    }

    private static Command Keygen(CliConsole console)
    {
        var output = new Option<FileInfo>("--out") { Description = "The new private key file (PEM, PKCS#8, mode 0600; never overwritten); the public key goes beside it as <out>.pub", Required = true };
        var algorithm = new Option<string>("--algorithm") { Description = "ed25519 or ecdsa-p256", DefaultValueFactory = _ => "ed25519" };
        algorithm.AcceptOnlyFromAmong("ed25519", "ecdsa-p256");
        var command = new Command("keygen", "Make a root or targets key as a PEM file, for offline storage (removable media); encrypted when PSIG_KEY_PASSWORD is set") { output, algorithm };
        command.SetAction((parse, ct) => Guard(console, async () =>
        {
            var path = parse.GetValue(output)!.FullName;
            if (File.Exists(path)) throw new UsageException($"--out {path} exists; keys are never overwritten");
            var alg = parse.GetValue(algorithm) == "ecdsa-p256" ? SigningAlgorithm.EcdsaP256Sha256 : SigningAlgorithm.Ed25519;
            using var key = PemSigningKey.LoadOrCreate(path, alg, Environment.GetEnvironmentVariable("PSIG_KEY_PASSWORD"), out _);
            var tufKey = TufKey.FromSigningKey(key);
            await File.WriteAllTextAsync(path + ".pub", GoPem.EncodePublicKey(key.SubjectPublicKeyInfo), ct).ConfigureAwait(false);
            await console.Out.WriteLineAsync($"Wrote {path} ({tufKey.Scheme}) and {path}.pub").ConfigureAwait(false);
            await console.Out.WriteLineAsync($"Key ID {tufKey.KeyId}").ConfigureAwait(false);
            return ExitCodes.Verified;
        }));
        return command;
    }

    private static Command Init(CliConsole console)
    {
        var repo = RepoOption();
        var rootKeys = KeysOption("--root-key", "root");
        var rootThreshold = ThresholdOption("--root-threshold", "root");
        var targetsKeys = KeysOption("--targets-key", "targets");
        var targetsThreshold = ThresholdOption("--targets-threshold", "targets");
        var snapshotKey = KeysOption("--snapshot-key", "snapshot (online)");
        var timestampKey = KeysOption("--timestamp-key", "timestamp (online)");
        var rootDays = new Option<int?>("--root-expires-days") { Description = "Root metadata lifetime (default 365)" };
        var targetsDays = new Option<int?>("--targets-expires-days") { Description = "Targets metadata lifetime (default 180)" };
        var snapshotDays = new Option<int?>("--snapshot-expires-days") { Description = "Snapshot lifetime (default 30; renewed online at half-life)" };
        var timestampHours = new Option<int?>("--timestamp-expires-hours") { Description = "Timestamp lifetime (default 24; renewed online at half-life)" };
        var command = new Command("init", "Create a repository: root version 1 with the given keys and thresholds and an empty targets, signed with every private key given")
        {
            repo, rootKeys, rootThreshold, targetsKeys, targetsThreshold, snapshotKey, timestampKey, rootDays, targetsDays, snapshotDays, timestampHours,
        };
        command.SetAction((parse, ct) => Guard(console, async () =>
        {
            var rk = OpenAll(parse.GetValue(rootKeys));
            var tk = OpenAll(parse.GetValue(targetsKeys));
            var sk = OpenAll(parse.GetValue(snapshotKey));
            var ts = OpenAll(parse.GetValue(timestampKey));
            try
            {
                if (rk.Count == 0 || tk.Count == 0 || sk.Count == 0 || ts.Count == 0)
                {
                    throw new UsageException("init needs at least one --root-key, --targets-key, --snapshot-key and --timestamp-key");
                }
                var defaults = new TufExpiryPolicy();
                var policy = new TufExpiryPolicy
                {
                    Root = parse.GetValue(rootDays) is { } r ? TimeSpan.FromDays(Positive(r, "--root-expires-days")) : defaults.Root,
                    Targets = parse.GetValue(targetsDays) is { } t ? TimeSpan.FromDays(Positive(t, "--targets-expires-days")) : defaults.Targets,
                    Snapshot = parse.GetValue(snapshotDays) is { } s ? TimeSpan.FromDays(Positive(s, "--snapshot-expires-days")) : defaults.Snapshot,
                    Timestamp = parse.GetValue(timestampHours) is { } h ? TimeSpan.FromHours(Positive(h, "--timestamp-expires-hours")) : defaults.Timestamp,
                };
                var roles = new Dictionary<TufRole, TufRoleKeys>
                {
                    [TufRole.Root] = new([.. rk.Select(k => k.Key)], parse.GetValue(rootThreshold) ?? 1),
                    [TufRole.Targets] = new([.. tk.Select(k => k.Key)], parse.GetValue(targetsThreshold) ?? 1),
                    [TufRole.Snapshot] = new([.. sk.Select(k => k.Key)], 1),
                    [TufRole.Timestamp] = new([.. ts.Select(k => k.Key)], 1),
                };
                var directory = parse.GetValue(repo)!.FullName;
                var repository = TufRepository.Create(directory, roles, policy, DateTimeOffset.UtcNow);
                await console.Out.WriteLineAsync($"Created a TUF repository in {directory}").ConfigureAwait(false);
                foreach (var k in rk.Where(k => k.Signer is not null)) repository.Sign(TufRole.Root, k.Signer!);
                foreach (var k in tk.Where(k => k.Signer is not null)) repository.Sign(TufRole.Targets, k.Signer!);
                await WriteStatusAsync(console, repository).ConfigureAwait(false);
                await console.Out.WriteLineAsync("Next: psig tuf add-targets, then psig tuf sign for missing signatures, then psig tuf publish.").ConfigureAwait(false);
                return ExitCodes.Verified;
            }
            finally
            {
                DisposeAll([.. rk, .. tk, .. sk, .. ts]);
            }
        }));
        return command;
    }

    private static int Positive(int value, string name) => value > 0 ? value : throw new UsageException($"{name} must be at least 1");

    private static Command AddTargets(CliConsole console)
    {
        var repo = RepoOption();
        var files = new Argument<string[]>("files") { Description = "Target files, named by their file name or as name=path (trusted_root.json, signing_config.v0.2.json)", Arity = ArgumentArity.ZeroOrMore };
        var fromStack = new Option<DirectoryInfo?>("--from-stack") { Description = "Take trusted_root.json and signing_config.v0.2.json from a stack's data directory" };
        var rekorUrl = new Option<string?>("--rekor-url") { Description = "Build trusted_root.json from running services (with --fulcio-url; trust on first use)" };
        var fulcioUrl = new Option<string?>("--fulcio-url") { Description = "The CA whose trust bundle goes into trusted_root.json (with --rekor-url)" };
        var targetsKeys = KeysOption("--targets-key", "targets signing");
        var replace = new Option<bool>("--replace") { Description = "Publish only these targets (default: keep the other current targets)" };
        var command = new Command("add-targets", "Stage a new targets version with the current trust files, signed with any --targets-key given")
        {
            repo, files, fromStack, rekorUrl, fulcioUrl, targetsKeys, replace,
        };
        command.SetAction((parse, ct) => Guard(console, async () =>
        {
            var content = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            foreach (var item in parse.GetValue(files) ?? [])
            {
                var eq = item.IndexOf('=', StringComparison.Ordinal);
                var (name, path) = eq > 0 ? (item[..eq], item[(eq + 1)..]) : (Path.GetFileName(item), item);
                content[name] = await ReadFileAsync(path, ct).ConfigureAwait(false);
            }
            if (parse.GetValue(fromStack) is { } data)
            {
                content[TufRepository.TrustedRootTarget] = await ReadFileAsync(Path.Combine(data.FullName, TufRepository.TrustedRootTarget), ct).ConfigureAwait(false);
                content[TufRepository.SigningConfigTarget] = await ReadFileAsync(Path.Combine(data.FullName, TufRepository.SigningConfigTarget), ct).ConfigureAwait(false);
            }
            if (parse.GetValue(rekorUrl) is { } rekor)
            {
                var fulcio = parse.GetValue(fulcioUrl) ?? throw new UsageException("--rekor-url needs --fulcio-url");
                try
                {
                    var root = await TrustedRootBuilder.FromServicesAsync(SigningServices.HttpClient, new Uri(rekor), new Uri(fulcio), [], DateTimeOffset.UtcNow.AddMinutes(-1), ct).ConfigureAwait(false);
                    content[TufRepository.TrustedRootTarget] = System.Text.Encoding.UTF8.GetBytes(TrustedRootJson.Serialize(root, indented: true) + "\n");
                }
                catch (Exception e) when (e is ServiceClientException or HttpRequestException or UriFormatException)
                {
                    throw new UsageException("--rekor-url/--fulcio-url", e);
                }
            }
            if (content.Count == 0) throw new UsageException("no targets: give files, --from-stack DATA or --rekor-url/--fulcio-url");
            foreach (var (name, bytes) in content) CheckTrustFile(name, bytes);
            var keys = OpenAll(parse.GetValue(targetsKeys));
            try
            {
                var repository = TufRepository.Open(parse.GetValue(repo)!.FullName);
                var staged = repository.StageTargets(content, parse.GetValue(replace), DateTimeOffset.UtcNow);
                await console.Out.WriteLineAsync($"Staged targets v{staged.Version}: {string.Join(", ", staged.AsTargets().Keys)}").ConfigureAwait(false);
                foreach (var k in keys.Where(k => k.Signer is not null)) repository.Sign(TufRole.Targets, k.Signer!);
                await WriteStatusAsync(console, repository).ConfigureAwait(false);
                return ExitCodes.Verified;
            }
            finally
            {
                DisposeAll(keys);
            }
        }));
        return command;
    }

    private static async Task<byte[]> ReadFileAsync(string path, CancellationToken ct)
    {
        try
        {
            return await File.ReadAllBytesAsync(path, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{path}: {e.Message}");
        }
    }

    // The trust files must parse as what clients expect, so a typo never reaches every client.
    private static void CheckTrustFile(string name, byte[] bytes)
    {
        try
        {
            if (name == TufRepository.TrustedRootTarget) _ = TrustedRootJson.Parse(System.Text.Encoding.UTF8.GetString(bytes));
            else if (name == TufRepository.SigningConfigTarget) _ = SigningConfigJson.Parse(System.Text.Encoding.UTF8.GetString(bytes));
        }
        catch (Exception e) when (e is Core.WireFormatException or JsonException or FormatException)
        {
            throw new UsageException($"{name} is not a valid {name}: {e.Message}");
        }
    }

    private static Command Sign(CliConsole console)
    {
        var repo = RepoOption();
        var role = new Option<string>("--role") { Description = "root or targets", Required = true };
        role.AcceptOnlyFromAmong("root", "targets");
        var key = new Option<string>("--key") { Description = "The signer's private key: " + KeyHelp, Required = true };
        var command = new Command("sign", "Add one signature to the staged root or targets (one signer at a time, for ceremonies)") { repo, role, key };
        command.SetAction((parse, ct) => Guard(console, async () =>
        {
            using var spec = TufKeySpec.Open(parse.GetValue(key)!);
            if (spec.Signer is null) throw new UsageException($"--key {spec.Spec} is a public key; signing needs the private key");
            var repository = TufRepository.Open(parse.GetValue(repo)!.FullName);
            var r = TufRoles.Parse(parse.GetValue(role)!);
            var keyId = repository.Sign(r, spec.Signer);
            await console.Out.WriteLineAsync($"Signed the staged {r.Name()} with key {keyId[..16]}").ConfigureAwait(false);
            await WriteStatusAsync(console, repository).ConfigureAwait(false);
            return ExitCodes.Verified;
        }));
        return command;
    }

    private static Command Publish(CliConsole console)
    {
        var repo = RepoOption();
        var snapshotKey = KeysOption("--snapshot-key", "snapshot (online) private");
        var timestampKey = KeysOption("--timestamp-key", "timestamp (online) private");
        var command = new Command("publish", "Publish what is staged once every threshold is met, with a new snapshot and timestamp signed by the online keys") { repo, snapshotKey, timestampKey };
        command.SetAction((parse, ct) => Guard(console, async () =>
        {
            var sk = OpenAll(parse.GetValue(snapshotKey));
            var ts = OpenAll(parse.GetValue(timestampKey));
            try
            {
                if (sk.Count == 0 || ts.Count == 0) throw new UsageException("publish needs --snapshot-key and --timestamp-key (the online keys)");
                var repository = TufRepository.Open(parse.GetValue(repo)!.FullName);
                var done = repository.Publish([.. sk.Select(k => k.Signer ?? throw new UsageException($"--snapshot-key {k.Spec} is a public key"))],
                    [.. ts.Select(k => k.Signer ?? throw new UsageException($"--timestamp-key {k.Spec} is a public key"))], DateTimeOffset.UtcNow);
                await console.Out.WriteLineAsync($"Published {string.Join(", ", done)} in {repository.PublishedDirectory}").ConfigureAwait(false);
                return ExitCodes.Verified;
            }
            finally
            {
                DisposeAll([.. sk, .. ts]);
            }
        }));
        return command;
    }

    private static Command RotateRoot(CliConsole console)
    {
        var repo = RepoOption();
        var rootKeys = KeysOption("--root-key", "new root");
        var rootThreshold = ThresholdOption("--root-threshold", "new root");
        var targetsKeys = KeysOption("--targets-key", "new targets");
        var targetsThreshold = ThresholdOption("--targets-threshold", "new targets");
        var snapshotKey = KeysOption("--snapshot-key", "new snapshot");
        var timestampKey = KeysOption("--timestamp-key", "new timestamp");
        var signWith = KeysOption("--sign-with", "signing (old or new root)");
        var command = new Command("rotate-root", "Stage the next root version with new keys; it needs the old root threshold AND the new one (psig tuf sign --role root), then psig tuf publish")
        {
            repo, rootKeys, rootThreshold, targetsKeys, targetsThreshold, snapshotKey, timestampKey, signWith,
        };
        command.SetAction((parse, ct) => Guard(console, async () =>
        {
            var opened = new List<TufKeySpec>();
            try
            {
                var repository = TufRepository.Open(parse.GetValue(repo)!.FullName);
                var current = (repository.PublishedRoot ?? throw new TufException("publish root version 1 before rotating")).AsRoot();
                TufRoleKeys Role(TufRole role, Option<string[]> keys, int? threshold)
                {
                    var specs = OpenAll(parse.GetValue(keys));
                    opened.AddRange(specs);
                    return specs.Count == 0
                        ? new TufRoleKeys(current.KeysOf(role), threshold ?? current.Roles[role].Threshold)
                        : new TufRoleKeys([.. specs.Select(s => s.Key)], threshold ?? 1);
                }
                var roles = new Dictionary<TufRole, TufRoleKeys>
                {
                    [TufRole.Root] = Role(TufRole.Root, rootKeys, parse.GetValue(rootThreshold)),
                    [TufRole.Targets] = Role(TufRole.Targets, targetsKeys, parse.GetValue(targetsThreshold)),
                    [TufRole.Snapshot] = Role(TufRole.Snapshot, snapshotKey, null),
                    [TufRole.Timestamp] = Role(TufRole.Timestamp, timestampKey, null),
                };
                var staged = repository.StageRoot(roles, DateTimeOffset.UtcNow);
                await console.Out.WriteLineAsync($"Staged root v{staged.Version}").ConfigureAwait(false);
                foreach (var k in opened.Where(k => k.Signer is not null && roles[TufRole.Root].Keys.Any(r => r.KeyId == k.Key.KeyId))) repository.Sign(TufRole.Root, k.Signer!);
                var signers = OpenAll(parse.GetValue(signWith));
                opened.AddRange(signers);
                foreach (var k in signers)
                {
                    repository.Sign(TufRole.Root, k.Signer ?? throw new UsageException($"--sign-with {k.Spec} is a public key"));
                }
                await WriteStatusAsync(console, repository).ConfigureAwait(false);
                return ExitCodes.Verified;
            }
            finally
            {
                DisposeAll(opened);
            }
        }));
        return command;
    }

    private static Command Status(CliConsole console)
    {
        var repo = RepoOption();
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var warnDays = new Option<int>("--warn-days") { Description = "Warn when root or targets expire within this many days", DefaultValueFactory = _ => 30 };
        var command = new Command("status", "Versions, expiries and signatures of the published and staged metadata; exit 1 when something has expired or a signature is missing") { repo, json, warnDays };
        command.SetAction((parse, ct) => Guard(console, async () =>
        {
            var repository = TufRepository.Open(parse.GetValue(repo)!.FullName);
            var status = repository.Status();
            var now = DateTimeOffset.UtcNow;
            if (parse.GetValue(json))
            {
                var array = new JsonArray([.. status.Select(s => (JsonNode)new JsonObject
                {
                    ["role"] = s.Role.Name(),
                    ["version"] = s.Version,
                    ["expires"] = s.Expires.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                    ["staged"] = s.Staged,
                    ["signatures"] = s.ValidSignatures,
                    ["threshold"] = s.Threshold,
                    ["missingKeyIds"] = new JsonArray([.. s.MissingKeyIds.Select(k => (JsonNode)k)]),
                    ["checkedAgainstRootVersion"] = s.CheckedAgainstRootVersion,
                })]);
                await console.Out.WriteLineAsync(array.ToJsonString(Indented)).ConfigureAwait(false);
            }
            else
            {
                await WriteStatusAsync(console, repository, parse.GetValue(warnDays)).ConfigureAwait(false);
            }
            var bad = status.Any(s => !s.Staged && (s.Expires <= now || s.ValidSignatures < s.Threshold));
            return bad ? ExitCodes.NotVerified : ExitCodes.Verified;
        }));
        return command;
    }

    private static Command Export(CliConsole console)
    {
        var repo = RepoOption();
        var output = new Option<DirectoryInfo>("--out") { Description = "An empty or new directory to copy the published files to (for nginx or offline media)", Required = true };
        var command = new Command("export", "Copy the published repository (static files) to a directory") { repo, output };
        command.SetAction((parse, ct) => Guard(console, async () =>
        {
            var repository = TufRepository.Open(parse.GetValue(repo)!.FullName);
            var target = parse.GetValue(output)!.FullName;
            if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any()) throw new UsageException($"--out {target} is not empty");
            if (repository.Timestamp is null) throw new TufException("nothing is published yet");
            var count = 0;
            foreach (var file in Directory.EnumerateFiles(repository.PublishedDirectory, "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(repository.PublishedDirectory, file);
                if (Path.GetFileName(relative).StartsWith('.')) continue;
                var destination = Path.Combine(target, relative);
                Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
                File.Copy(file, destination);
                count++;
            }
            await console.Out.WriteLineAsync($"Exported {count} files to {target}; serve that directory as the TUF mirror").ConfigureAwait(false);
            return ExitCodes.Verified;
        }));
        return command;
    }

    private static async Task WriteStatusAsync(CliConsole console, TufRepository repository, int warnDays = 30)
    {
        var now = DateTimeOffset.UtcNow;
        // A staged root rotation shows two root rows: its own keys, and "root@vN", the previous root's keys (both thresholds are needed).
        await console.Out.WriteLineAsync($"{"ROLE",-10} {"STATE",-9} {"VERSION",7}  {"EXPIRES",-35} SIGNATURES").ConfigureAwait(false);
        foreach (var s in repository.Status())
        {
            var left = s.Expires - now;
            var expiry = left <= TimeSpan.Zero ? "EXPIRED" : left.TotalDays >= 2 ? $"in {left.TotalDays:F0} days" : $"in {left.TotalHours:F0} hours";
            var warn = s.Role is TufRole.Root or TufRole.Targets && left < TimeSpan.FromDays(warnDays) && !s.Staged ? "  WARNING: renew soon" : "";
            var missing = s.ValidSignatures < s.Threshold ? $"  needs {s.Threshold - s.ValidSignatures} more of: {string.Join(", ", s.MissingKeyIds.Select(k => k[..16]))}" : "";
            await console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"{(s.CheckedAgainstRootVersion is { } v ? $"root@v{v}" : s.Role.Name()),-10} {(s.Staged ? "staged" : "published"),-9} {s.Version,7}  {$"{s.Expires:yyyy-MM-dd HH:mm}Z ({expiry})",-35} {s.ValidSignatures}/{s.Threshold}{missing}{warn}")).ConfigureAwait(false);
        }
    }
}
