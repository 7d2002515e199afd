using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Tuf;

/// <summary>How long each role's metadata is valid, and when the online roles are renewed.</summary>
public sealed record TufExpiryPolicy
{
    public TimeSpan Root { get; init; } = TimeSpan.FromDays(365);

    public TimeSpan Targets { get; init; } = TimeSpan.FromDays(180);

    public TimeSpan Snapshot { get; init; } = TimeSpan.FromDays(30);

    public TimeSpan Timestamp { get; init; } = TimeSpan.FromDays(1);

    public TimeSpan For(TufRole role) => role switch
    {
        TufRole.Root => Root,
        TufRole.Targets => Targets,
        TufRole.Snapshot => Snapshot,
        _ => Timestamp,
    };

    internal JsonObject ToJson() => new()
    {
        ["rootDays"] = (long)Root.TotalDays,
        ["targetsDays"] = (long)Targets.TotalDays,
        ["snapshotDays"] = (long)Snapshot.TotalDays,
        ["timestampHours"] = (long)Timestamp.TotalHours,
    };

    internal static TufExpiryPolicy FromJson(JsonObject? o)
    {
        if (o is null) return new();
        var defaults = new TufExpiryPolicy();
        TimeSpan Read(string name, TimeSpan fallback, Func<double, TimeSpan> unit) =>
            o.ContainsKey(name) ? unit(TufJson.Integer(o, name, "repository.json expiry", 1)) : fallback;
        return new TufExpiryPolicy
        {
            Root = Read("rootDays", defaults.Root, TimeSpan.FromDays),
            Targets = Read("targetsDays", defaults.Targets, TimeSpan.FromDays),
            Snapshot = Read("snapshotDays", defaults.Snapshot, TimeSpan.FromDays),
            Timestamp = Read("timestampHours", defaults.Timestamp, TimeSpan.FromHours),
        };
    }
}

/// <summary>The keys and threshold of one role, for <see cref="TufRepository.Create"/> and <see cref="TufRepository.StageRoot"/>.</summary>
public sealed record TufRoleKeys(IReadOnlyList<TufKey> Keys, int Threshold);

/// <summary>One role in <see cref="TufRepository.Status"/>.</summary>
public sealed record TufRoleStatus(TufRole Role, long Version, DateTimeOffset Expires, bool Staged, int ValidSignatures, int Threshold, IReadOnlyList<string> MissingKeyIds)
{
    /// <summary>For a staged root rotation: the row that counts the previous root's keys (a new root needs both thresholds).</summary>
    public long? CheckedAgainstRootVersion { get; init; }
}

/// <summary>
/// A TUF repository on disk, for the Sigstore trust files. Layout under <see cref="Directory"/>:
/// <list type="bullet">
/// <item><c>repository.json</c>: the expiry policy;</item>
/// <item><c>root.json</c>: the first root, the file clients bootstrap from;</item>
/// <item><c>staged/</c>: root and targets metadata (and target files) waiting for signatures;</item>
/// <item><c>published/</c>: what clients read, as static files — <c>N.root.json</c>, <c>timestamp.json</c>,
/// <c>N.snapshot.json</c>, <c>N.targets.json</c>, <c>targets/&lt;sha256&gt;.&lt;name&gt;</c> (consistent snapshots).</item>
/// </list>
/// Root and targets keys can stay offline: changes are staged, signed one signer at a time (<see cref="Sign"/>), and
/// published when every threshold is met. Snapshot and timestamp are signed at publication and renewed before they
/// expire (<see cref="RefreshOnline"/>) with the online keys. Every file is written atomically, in an order that never
/// lets a client see metadata that points at a file not yet written; writers hold <see cref="RepositoryLock"/>.
/// </summary>
public sealed class TufRepository
{
    public const string ConfigFile = "repository.json";
    public const string BootstrapRootFile = "root.json";
    public const string TrustedRootTarget = "trusted_root.json";
    public const string SigningConfigTarget = "signing_config.v0.2.json";

    private TufRepository(string directory, TufExpiryPolicy policy)
    {
        Directory = Path.GetFullPath(directory);
        Policy = policy;
    }

    public string Directory { get; }

    /// <summary>The static files clients read; serve this directory, or copy it to a web server or offline media.</summary>
    public string PublishedDirectory => Path.Combine(Directory, "published");

    public string StagedDirectory => Path.Combine(Directory, "staged");

    public TufExpiryPolicy Policy { get; }

    /// <summary>True when <paramref name="directory"/> holds a repository.</summary>
    public static bool Exists(string directory) => File.Exists(Path.Combine(directory, ConfigFile));

    /// <summary>
    /// Creates a repository: stages root version 1 with the given keys and thresholds and an empty targets version 1.
    /// Nothing is published until they are signed to threshold (<see cref="Sign"/>) and <see cref="Publish"/> runs.
    /// </summary>
    public static TufRepository Create(string directory, IReadOnlyDictionary<TufRole, TufRoleKeys> roles, TufExpiryPolicy? policy, DateTimeOffset now)
    {
        if (Exists(directory)) throw new TufException($"{Path.GetFullPath(directory)} already holds a TUF repository ({ConfigFile}); never overwritten");
        policy ??= new TufExpiryPolicy();
        var repository = new TufRepository(directory, policy);
        using var _ = RepositoryLock.Acquire(repository.Directory, TimeSpan.FromSeconds(10));
        var root = TufMetadata.NewRoot(1, now + policy.Root, roles.ToDictionary(r => r.Key, r => (r.Value.Keys, r.Value.Threshold)));
        var targets = TufMetadata.NewTargets(1, now + policy.Targets, new Dictionary<string, TargetFile>());
        repository.WriteStaged(root);
        repository.WriteStaged(targets);
        Core.AtomicFile.Write(Path.Combine(repository.Directory, ConfigFile), System.Text.Encoding.UTF8.GetBytes(new JsonObject { ["expiry"] = policy.ToJson() }.ToJsonString(Indented)));
        return repository;
    }

    /// <summary>Opens an existing repository; a clear error when there is none.</summary>
    public static TufRepository Open(string directory)
    {
        var config = Path.Combine(directory, ConfigFile);
        if (!File.Exists(config)) throw new TufException($"{Path.GetFullPath(directory)} is not a TUF repository (no {ConfigFile}); create one with 'psig tuf init'");
        var json = TufJson.ParseObject(File.ReadAllBytes(config), config);
        return new TufRepository(directory, TufExpiryPolicy.FromJson(json["expiry"] as JsonObject));
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    // ---- reading ---------------------------------------------------------------------------------------------------

    private static TufMetadata? Read(string path, TufRole role) =>
        File.Exists(path) ? TufMetadata.Parse(File.ReadAllBytes(path), role, Path.GetFileName(path)) : null;

    /// <summary>The newest published root, or null before the first publication.</summary>
    public TufMetadata? PublishedRoot
    {
        get
        {
            TufMetadata? latest = null;
            for (var version = 1; ; version++)
            {
                var root = Read(Path.Combine(PublishedDirectory, $"{version}.root.json"), TufRole.Root);
                if (root is null) return latest;
                latest = root;
            }
        }
    }

    public TufMetadata? StagedRoot => Read(Path.Combine(StagedDirectory, "root.json"), TufRole.Root);

    public TufMetadata? StagedTargets => Read(Path.Combine(StagedDirectory, "targets.json"), TufRole.Targets);

    public TufMetadata? Timestamp => Read(Path.Combine(PublishedDirectory, "timestamp.json"), TufRole.Timestamp);

    /// <summary>The published snapshot (the one the timestamp names).</summary>
    public TufMetadata? Snapshot => Timestamp is { } t ? Read(Path.Combine(PublishedDirectory, $"{t.AsTimestamp().Version}.snapshot.json"), TufRole.Snapshot) : null;

    /// <summary>The published targets (the one the snapshot names).</summary>
    public TufMetadata? PublishedTargets => Snapshot is { } s ? Read(Path.Combine(PublishedDirectory, $"{s.AsSnapshot()["targets.json"].Version}.targets.json"), TufRole.Targets) : null;

    /// <summary>The root that governs the next publication: the staged one if any, else the newest published.</summary>
    public TufMetadata CurrentRoot => StagedRoot ?? PublishedRoot ?? throw new TufException($"{Directory}: no root metadata");

    /// <summary>The bytes of a published target, by name.</summary>
    public byte[]? ReadPublishedTarget(string name)
    {
        if (PublishedTargets?.AsTargets().TryGetValue(name, out var file) != true) return null;
        var path = Path.Combine(PublishedDirectory, "targets", $"{file!.Sha256}.{name}");
        return File.Exists(path) ? File.ReadAllBytes(path) : null;
    }

    // ---- staging ---------------------------------------------------------------------------------------------------

    private void WriteStaged(TufMetadata metadata) =>
        Core.AtomicFile.Write(Path.Combine(StagedDirectory, $"{metadata.Role.Name()}.json"), metadata.ToBytes());

    private static void CheckTargetName(string name)
    {
        if (name.Length == 0 || name.Length > 200 || name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal) || name.StartsWith('.') || name.Any(char.IsControl))
        {
            throw new TufException($"target name '{name}' is not allowed (a plain file name, no path separators, not starting with '.')");
        }
    }

    /// <summary>
    /// Stages a new targets version holding <paramref name="files"/> (name → bytes), keeping the other published
    /// targets unless <paramref name="replaceAll"/>. Returns the staged (still unsigned) metadata.
    /// </summary>
    public TufMetadata StageTargets(IReadOnlyDictionary<string, byte[]> files, bool replaceAll, DateTimeOffset now)
    {
        using var _ = RepositoryLock.Acquire(Directory, TimeSpan.FromSeconds(10));
        foreach (var name in files.Keys) CheckTargetName(name);
        var published = PublishedTargets;
        var staged = StagedTargets;
        var basis = staged ?? published;
        var targets = new Dictionary<string, TargetFile>(StringComparer.Ordinal);
        if (!replaceAll && basis is not null)
        {
            foreach (var (name, file) in basis.AsTargets()) targets[name] = file;
        }
        var stagedFiles = Path.Combine(StagedDirectory, "targets");
        foreach (var (name, bytes) in files)
        {
            targets[name] = TargetFile.For(bytes);
            Core.AtomicFile.Write(Path.Combine(stagedFiles, $"{targets[name].Sha256}.{name}"), bytes);
        }
        var version = Math.Max(published?.Version ?? 0, staged is not null ? staged.Version - 1 : 0) + 1;
        var metadata = TufMetadata.NewTargets(version, now + Policy.Targets, targets);
        WriteStaged(metadata);
        return metadata;
    }

    /// <summary>
    /// Stages the next root version with new keys or thresholds (a root rotation, or a change of any role's keys).
    /// It must then be signed by the threshold of the current root's root keys AND of the new ones.
    /// </summary>
    public TufMetadata StageRoot(IReadOnlyDictionary<TufRole, TufRoleKeys> roles, DateTimeOffset now)
    {
        using var _ = RepositoryLock.Acquire(Directory, TimeSpan.FromSeconds(10));
        var published = PublishedRoot ?? throw new TufException("the first root is not published yet: sign and publish version 1 before rotating");
        var metadata = TufMetadata.NewRoot(published.Version + 1, now + Policy.Root, roles.ToDictionary(r => r.Key, r => (r.Value.Keys, r.Value.Threshold)));
        WriteStaged(metadata);
        return metadata;
    }

    /// <summary>
    /// Adds <paramref name="signer"/>'s signature to the staged <paramref name="role"/> (root or targets), refusing a key
    /// the role does not list. Returns the key ID. One signer at a time, for ceremonies.
    /// </summary>
    public string Sign(TufRole role, ISigningKey signer)
    {
        using var _ = RepositoryLock.Acquire(Directory, TimeSpan.FromSeconds(10));
        var staged = role switch
        {
            TufRole.Root => StagedRoot,
            TufRole.Targets => StagedTargets,
            _ => throw new TufException($"{role.Name()} is signed online at publication; only root and targets are signed by hand"),
        } ?? throw new TufException($"nothing staged for {role.Name()}: {(role == TufRole.Root ? "run 'psig tuf init' or 'psig tuf rotate-root'" : "run 'psig tuf add-targets'")} first");
        var key = TufKey.FromSigningKey(signer);
        var allowed = AllowedSigners(role, staged);
        if (!allowed.Contains(key.KeyId))
        {
            throw new TufException($"key {key.KeyId[..16]} ({signer.Description}) is not a {role.Name()} key of {(role == TufRole.Root ? "the current or the new root" : "the root")}; nothing signed");
        }
        staged.Sign(signer);
        WriteStaged(staged);
        return key.KeyId;
    }

    private HashSet<string> AllowedSigners(TufRole role, TufMetadata staged)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        if (role == TufRole.Root)
        {
            ids.UnionWith(staged.AsRoot().Roles[TufRole.Root].KeyIds);
            if (PublishedRoot is { } old) ids.UnionWith(old.AsRoot().Roles[TufRole.Root].KeyIds);
        }
        else
        {
            ids.UnionWith(CurrentRoot.AsRoot().Roles[TufRole.Targets].KeyIds);
        }
        return ids;
    }

    // ---- publishing ------------------------------------------------------------------------------------------------

    /// <summary>
    /// Publishes what is staged, after checking every threshold: a staged root against the previous root's root keys
    /// and its own; staged targets against the (new) root's targets keys. Then signs a new snapshot and timestamp with
    /// the online keys. Files are written targets first, timestamp last, each atomically; staged files are removed only
    /// after. Returns a description of what was published.
    /// </summary>
    public IReadOnlyList<string> Publish(IReadOnlyList<ISigningKey> snapshotSigners, IReadOnlyList<ISigningKey> timestampSigners, DateTimeOffset now)
    {
        using var _ = RepositoryLock.Acquire(Directory, TimeSpan.FromSeconds(10));
        var done = new List<string>();
        var previousRoot = PublishedRoot;
        var stagedRoot = StagedRoot;
        var root = stagedRoot ?? previousRoot ?? throw new TufException("no root metadata staged or published");
        var rootInfo = root.AsRoot();

        if (stagedRoot is not null)
        {
            var expected = (previousRoot?.Version ?? 0) + 1;
            if (stagedRoot.Version != expected) throw new TufException($"staged root is version {stagedRoot.Version}, the next version is {expected}; stage it again");
            if (previousRoot is not null)
            {
                var old = previousRoot.AsRoot();
                stagedRoot.VerifyThreshold(old.Roles[TufRole.Root], old.Keys, $"root v{stagedRoot.Version} (checked against the keys of root v{previousRoot.Version})");
            }
            stagedRoot.VerifyThreshold(rootInfo.Roles[TufRole.Root], rootInfo.Keys, $"root v{stagedRoot.Version} (checked against its own root keys)");
            CheckExpires(stagedRoot, now);
        }

        var stagedTargets = StagedTargets;
        var targets = stagedTargets ?? PublishedTargets;
        if (targets is null) throw new TufException("no targets metadata staged or published");
        targets.VerifyThreshold(rootInfo.Roles[TufRole.Targets], rootInfo.Keys,
            stagedTargets is null ? $"published targets v{targets.Version} under the new root (its targets keys changed: stage and sign targets again with 'psig tuf add-targets')" : $"targets v{targets.Version}");
        if (stagedTargets is not null) CheckExpires(stagedTargets, now);
        var previousTargets = PublishedTargets;
        if (stagedTargets is not null && previousTargets is not null && stagedTargets.Version <= previousTargets.Version)
        {
            throw new TufException($"staged targets is version {stagedTargets.Version}, not newer than the published {previousTargets.Version}; stage it again");
        }

        // 1. target files and targets metadata (nothing points at them yet).
        if (stagedTargets is not null)
        {
            foreach (var (name, file) in stagedTargets.AsTargets())
            {
                var published = Path.Combine(PublishedDirectory, "targets", $"{file.Sha256}.{name}");
                if (File.Exists(published)) continue;
                var source = Path.Combine(StagedDirectory, "targets", $"{file.Sha256}.{name}");
                if (!File.Exists(source)) throw new TufException($"target {name}: its file {source} is missing; stage it again");
                var bytes = File.ReadAllBytes(source);
                file.Check(bytes, $"staged target {name}");
                Core.AtomicFile.Write(published, bytes);
            }
            Core.AtomicFile.Write(Path.Combine(PublishedDirectory, $"{stagedTargets.Version}.targets.json"), stagedTargets.ToBytes());
            done.Add($"targets v{stagedTargets.Version} ({string.Join(", ", stagedTargets.AsTargets().Keys)})");
        }

        // 2. root (clients walk to it before reading the timestamp).
        if (stagedRoot is not null)
        {
            var bytes = stagedRoot.ToBytes();
            Core.AtomicFile.Write(Path.Combine(PublishedDirectory, $"{stagedRoot.Version}.root.json"), bytes);
            if (stagedRoot.Version == 1) Core.AtomicFile.Write(Path.Combine(Directory, BootstrapRootFile), bytes);
            done.Add($"root v{stagedRoot.Version}");
        }

        // 3. snapshot and timestamp, with the online keys.
        done.AddRange(WriteSnapshotAndTimestamp(rootInfo, targets, snapshotSigners, timestampSigners, now));

        if (stagedTargets is not null)
        {
            File.Delete(Path.Combine(StagedDirectory, "targets.json"));
            var stagedFiles = Path.Combine(StagedDirectory, "targets");
            if (System.IO.Directory.Exists(stagedFiles)) System.IO.Directory.Delete(stagedFiles, recursive: true);
        }
        if (stagedRoot is not null) File.Delete(Path.Combine(StagedDirectory, "root.json"));
        return done;
    }

    private static void CheckExpires(TufMetadata metadata, DateTimeOffset now)
    {
        if (metadata.Expires <= now) throw new TufException($"{metadata.Role.Name()} v{metadata.Version} expired at {metadata.Expires:u}; stage it again");
    }

    private IEnumerable<string> WriteSnapshotAndTimestamp(RootInfo root, TufMetadata targets, IReadOnlyList<ISigningKey> snapshotSigners, IReadOnlyList<ISigningKey> timestampSigners, DateTimeOffset now)
    {
        var oldTimestamp = Timestamp;
        var oldSnapshotVersion = oldTimestamp?.AsTimestamp().Version ?? 0;
        var snapshot = TufMetadata.NewSnapshot(oldSnapshotVersion + 1, now + Policy.Snapshot, MetaFile.For(targets.Version, targets.ToBytes()));
        SignOnline(snapshot, root, snapshotSigners);
        var snapshotBytes = snapshot.ToBytes();
        Core.AtomicFile.Write(Path.Combine(PublishedDirectory, $"{snapshot.Version}.snapshot.json"), snapshotBytes);
        yield return $"snapshot v{snapshot.Version}";
        var timestamp = TufMetadata.NewTimestamp((oldTimestamp?.Version ?? 0) + 1, now + Policy.Timestamp, MetaFile.For(snapshot.Version, snapshotBytes));
        SignOnline(timestamp, root, timestampSigners);
        Core.AtomicFile.Write(Path.Combine(PublishedDirectory, "timestamp.json"), timestamp.ToBytes());
        yield return $"timestamp v{timestamp.Version}";
    }

    private static void SignOnline(TufMetadata metadata, RootInfo root, IReadOnlyList<ISigningKey> signers)
    {
        var role = root.Roles[metadata.Role];
        foreach (var signer in signers)
        {
            if (role.KeyIds.Contains(TufKey.FromSigningKey(signer).KeyId)) metadata.Sign(signer);
        }
        metadata.VerifyThreshold(role, root.Keys, $"{metadata.Role.Name()} v{metadata.Version} (online keys)");
    }

    /// <summary>
    /// Renews the online roles before they expire: a new timestamp when less than half of its lifetime is left, a new
    /// snapshot (and timestamp) likewise. Returns what was renewed (empty when nothing was due). Nothing happens before
    /// the first publication.
    /// </summary>
    public IReadOnlyList<string> RefreshOnline(IReadOnlyList<ISigningKey> snapshotSigners, IReadOnlyList<ISigningKey> timestampSigners, DateTimeOffset now)
    {
        using var _ = RepositoryLock.Acquire(Directory, TimeSpan.FromSeconds(10));
        var timestamp = Timestamp;
        var snapshot = Snapshot;
        var targets = PublishedTargets;
        var root = PublishedRoot;
        if (timestamp is null || snapshot is null || targets is null || root is null) return [];
        var rootInfo = root.AsRoot();
        bool Due(TufMetadata m) => m.Expires - now < Policy.For(m.Role) / 2;
        if (Due(snapshot)) return [.. WriteSnapshotAndTimestamp(rootInfo, targets, snapshotSigners, timestampSigners, now)];
        if (!Due(timestamp)) return [];
        var renewed = TufMetadata.NewTimestamp(timestamp.Version + 1, now + Policy.Timestamp, timestamp.AsTimestamp());
        SignOnline(renewed, rootInfo, timestampSigners);
        Core.AtomicFile.Write(Path.Combine(PublishedDirectory, "timestamp.json"), renewed.ToBytes());
        return [$"timestamp v{renewed.Version}"];
    }

    /// <summary>Versions, expiries and signature counts of the published and staged roles.</summary>
    public IReadOnlyList<TufRoleStatus> Status()
    {
        var result = new List<TufRoleStatus>();
        var published = PublishedRoot;
        var current = CurrentRoot.AsRoot();
        void Add(TufMetadata? m, bool staged, RootInfo governing)
        {
            if (m is null) return;
            var role = governing.Roles[m.Role];
            var valid = m.ValidSigners(role, governing.Keys);
            var missing = role.KeyIds.Except(valid, StringComparer.Ordinal).ToList();
            result.Add(new TufRoleStatus(m.Role, m.Version, m.Expires, staged, valid.Count, role.Threshold, missing));
        }
        var stagedRoot = StagedRoot;
        if (stagedRoot is not null)
        {
            Add(stagedRoot, true, stagedRoot.AsRoot());
            if (published is not null)
            {
                var old = published.AsRoot();
                var validOld = stagedRoot.ValidSigners(old.Roles[TufRole.Root], old.Keys);
                result.Add(new TufRoleStatus(TufRole.Root, stagedRoot.Version, stagedRoot.Expires, true, validOld.Count, old.Roles[TufRole.Root].Threshold,
                    [.. old.Roles[TufRole.Root].KeyIds.Except(validOld, StringComparer.Ordinal)]) { CheckedAgainstRootVersion = published.Version });
            }
        }
        if (published is not null) Add(published, false, published.AsRoot());
        Add(StagedTargets, true, current);
        Add(PublishedTargets, false, published?.AsRoot() ?? current);
        Add(Snapshot, false, published?.AsRoot() ?? current);
        Add(Timestamp, false, published?.AsRoot() ?? current);
        return result;
    }
}
