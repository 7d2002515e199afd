using System.Net;

namespace PrivateSigstore.Tuf;

/// <summary>
/// The TUF 1.0 client workflow (specification §5.3–5.7, as python-tuf, go-tuf and tuf-js implement it) over a
/// local cache: the trusted root is updated one version at a time (each new root signed by the old root's threshold
/// and its own), then timestamp, snapshot and targets are updated with rollback, freeze and mix-and-match checks, and
/// targets are downloaded (consistent snapshot: <c>targets/&lt;sha256&gt;.&lt;name&gt;</c>) and checked against their
/// length and hashes. Every refusal is a <see cref="TufSecurityException"/>, <see cref="TufThresholdException"/> or
/// <see cref="TufFormatException"/> whose message names the file and the reason; the cache then keeps the last
/// trusted state.
/// </summary>
/// <remarks>
/// The constructor loads the cache (root.json must exist: see <see cref="Initialize"/>); what it holds is usable
/// offline through <see cref="IsFresh"/> and <see cref="GetTargetAsync"/> until the cached timestamp expires, and
/// <see cref="RefreshAsync"/> brings it up to date. An instance is not thread-safe; several processes may share a
/// cache directory (every write is a temporary file renamed into place).
/// </remarks>
public sealed class TufClient
{
    private const string RootFile = "root.json";
    private const string TimestampFile = "timestamp.json";
    private const string SnapshotFile = "snapshot.json";
    private const string TargetsFile = "targets.json";

    private readonly HttpClient _http;
    private readonly TufClientOptions _options;
    private readonly Uri _metadataBase;
    private readonly Uri _targetBase;
    private TufMetadata _root;
    private TufMetadata? _timestamp;
    private TufMetadata? _snapshot;
    private TufMetadata? _targets;

    /// <summary>Opens the cache in <see cref="TufClientOptions.CacheDirectory"/>; its root.json must be signed by its own root threshold.</summary>
    /// <exception cref="TufException">No trusted root in the cache, or one that does not verify.</exception>
    public TufClient(HttpClient http, TufClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        _http = http;
        _options = options;
        _metadataBase = WithSlash(options.MetadataBaseUrl);
        _targetBase = WithSlash(options.TargetBaseUrl ?? new Uri(_metadataBase, "targets/"));
        var rootPath = Path.Combine(options.CacheDirectory, RootFile);
        byte[] rootBytes;
        try
        {
            rootBytes = File.ReadAllBytes(rootPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TufException($"{rootPath}: no trusted root in the TUF cache ({e.Message})", e);
        }
        _root = VerifySelfSigned(rootBytes, rootPath);
        LoadCachedRoles();
    }

    /// <summary>The trusted root (after a refresh, the newest one the repository published).</summary>
    public TufMetadata Root => _root;

    /// <summary>The trusted timestamp metadata, if any.</summary>
    public TufMetadata? Timestamp => _timestamp;

    /// <summary>The trusted snapshot metadata, if any.</summary>
    public TufMetadata? Snapshot => _snapshot;

    /// <summary>The trusted targets metadata, if any.</summary>
    public TufMetadata? Targets => _targets;

    /// <summary>The cache directory.</summary>
    public string CacheDirectory => _options.CacheDirectory;

    /// <summary>
    /// True when the cache holds a trusted root, timestamp, snapshot and targets that chain up (versions and hashes)
    /// and none of them has expired: callers may then use the cached targets offline and refresh only when this is false.
    /// </summary>
    public bool IsFresh
    {
        get
        {
            var now = _options.TimeProvider.GetUtcNow();
            return _timestamp is not null && _snapshot is not null && _targets is not null
                && !Expired(_root, now) && !Expired(_timestamp, now) && !Expired(_snapshot, now) && !Expired(_targets, now);
        }
    }

    /// <summary>
    /// Starts a cache from <paramref name="rootBytes"/> (the root the operator trusts: it must be signed by its own
    /// root threshold; it may be expired, since a refresh walks to a newer one). Any cached metadata and targets are removed.
    /// </summary>
    /// <returns>The root metadata.</returns>
    public static TufMetadata Initialize(string cacheDirectory, byte[] rootBytes, string source = "root.json")
    {
        ArgumentNullException.ThrowIfNull(rootBytes);
        var root = VerifySelfSigned(rootBytes, source);
        Directory.CreateDirectory(cacheDirectory);
        foreach (var name in new[] { TimestampFile, SnapshotFile, TargetsFile })
        {
            File.Delete(Path.Combine(cacheDirectory, name));
        }
        var targets = Path.Combine(cacheDirectory, "targets");
        if (Directory.Exists(targets))
        {
            Directory.Delete(targets, recursive: true);
        }
        WriteAtomic(Path.Combine(cacheDirectory, RootFile), rootBytes);
        return root;
    }

    /// <summary>Refreshes when the cache is not <see cref="IsFresh"/>; returns true when it refreshed.</summary>
    public async Task<bool> EnsureFreshAsync(CancellationToken cancellationToken = default)
    {
        if (IsFresh)
        {
            return false;
        }
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// The TUF update: root (walking N+1.root.json), timestamp, snapshot, targets. On success the cache holds the
    /// new trusted metadata; on a refusal the exception names the file and the reason.
    /// </summary>
    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        _timestamp = _snapshot = _targets = null;
        await UpdateRootAsync(cancellationToken).ConfigureAwait(false);
        await UpdateTimestampAsync(cancellationToken).ConfigureAwait(false);
        await UpdateSnapshotAsync(cancellationToken).ConfigureAwait(false);
        await UpdateTargetsAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The trusted targets metadata's entry for <paramref name="name"/>, or null when it lists no such target.</summary>
    public TargetFile? GetTargetInfo(string name)
    {
        var targets = _targets ?? throw new TufException("no trusted targets metadata: refresh first");
        return targets.AsTargets().TryGetValue(name, out var info) ? info : null;
    }

    /// <summary>
    /// The bytes of target <paramref name="name"/>: from the cache when they match the trusted targets metadata,
    /// otherwise downloaded (at most its length), checked and cached.
    /// </summary>
    public async Task<byte[]> GetTargetAsync(string name, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Split('/').Any(s => s is "" or "." or ".."))
        {
            throw new TufFormatException($"target '{name}': not a usable target path");
        }
        var info = GetTargetInfo(name) ?? throw new TufException($"targets.json v{_targets!.Version} lists no target '{name}'");
        var local = TargetCachePath(name);
        if (File.Exists(local))
        {
            var cached = await File.ReadAllBytesAsync(local, cancellationToken).ConfigureAwait(false);
            try
            {
                info.Check(cached, name);
                return cached;
            }
            catch (TufSecurityException)
            {
                // A stale or damaged cached copy: download it again.
            }
        }
        var slash = name.LastIndexOf('/');
        var (directory, file) = slash < 0 ? ("", name) : (name[..(slash + 1)], name[(slash + 1)..]);
        var remote = _root.AsRoot().ConsistentSnapshot ? $"{directory}{info.Sha256}.{file}" : name;
        var relative = string.Join('/', remote.Split('/').Select(Uri.EscapeDataString));
        var bytes = await FetchAsync(new Uri(_targetBase, relative), info.Length, $"target {name}", notFoundIsNull: false, cancellationToken).ConfigureAwait(false);
        info.Check(bytes!, $"target {name} ({remote})");
        WriteAtomic(local, bytes!);
        return bytes!;
    }

    private string TargetCachePath(string name) => Path.Combine(_options.CacheDirectory, "targets", Uri.EscapeDataString(name));

    private static Uri WithSlash(Uri uri) => uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");

    private static bool Expired(TufMetadata metadata, DateTimeOffset now) => now >= metadata.Expires;

    private static string At(DateTimeOffset t) => TufJson.FormatExpires(t);

    private static TufMetadata VerifySelfSigned(byte[] bytes, string source)
    {
        var root = TufMetadata.Parse(bytes, TufRole.Root, source);
        var info = root.AsRoot();
        root.VerifyThreshold(info.Roles[TufRole.Root], info.Keys, $"{source} (root v{root.Version}, by its own root keys)");
        return root;
    }

    /// <summary>Loads the cached timestamp, snapshot and targets that verify against the trusted root; expired ones are kept (they still guard against rollback).</summary>
    private void LoadCachedRoles()
    {
        _timestamp = _snapshot = _targets = null;
        if (ReadLocal(TimestampFile) is not { } timestamp)
        {
            return;
        }
        TryLocal(() => ApplyTimestamp(timestamp, TimestampFile));
        if (_timestamp is null || ReadLocal(SnapshotFile) is not { } snapshot)
        {
            return;
        }
        TryLocal(() => ApplySnapshot(snapshot, SnapshotFile, trusted: true, checkFinal: false));
        if (_snapshot is null || ReadLocal(TargetsFile) is not { } targets)
        {
            return;
        }
        TryLocal(() => ApplyTargets(targets, TargetsFile, checkExpiry: false));
    }

    private static void TryLocal(Action load)
    {
        try
        {
            load();
        }
        catch (TufException)
        {
            // A cached file that no longer verifies is ignored (and replaced by the next refresh).
        }
    }

    private byte[]? ReadLocal(string name)
    {
        try
        {
            return File.ReadAllBytes(Path.Combine(_options.CacheDirectory, name));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private void Persist(string name, byte[] bytes) => WriteAtomic(Path.Combine(_options.CacheDirectory, name), bytes);

    private static void WriteAtomic(string path, byte[] bytes) => Core.AtomicFile.Write(path, bytes);

    // §5.3: root.
    private async Task UpdateRootAsync(CancellationToken cancellationToken)
    {
        var initial = _root.AsRoot();
        for (var step = 0; step < _options.MaxRootRotations; step++)
        {
            var next = _root.Version + 1;
            var name = $"{next}.root.json";
            var bytes = await FetchAsync(new Uri(_metadataBase, name), _options.MaxMetadataBytes, name, notFoundIsNull: true, cancellationToken).ConfigureAwait(false);
            if (bytes is null)
            {
                break;
            }
            var trusted = _root.AsRoot();
            var candidate = TufMetadata.Parse(bytes, TufRole.Root, name);
            candidate.VerifyThreshold(trusted.Roles[TufRole.Root], trusted.Keys, $"{name} (by the root keys of the trusted root v{_root.Version})");
            if (candidate.Version != next)
            {
                throw new TufSecurityException($"{name}: version {candidate.Version} is not the expected {next} (rollback or a skipped version)");
            }
            var info = candidate.AsRoot();
            candidate.VerifyThreshold(info.Roles[TufRole.Root], info.Keys, $"{name} (by its own root keys)");
            _root = candidate;
            Persist(RootFile, bytes);
        }
        var now = _options.TimeProvider.GetUtcNow();
        if (Expired(_root, now))
        {
            throw new TufSecurityException($"root.json v{_root.Version} expired at {At(_root.Expires)} (freeze)");
        }
        var final = _root.AsRoot();
        if (!SameKeys(initial, final, TufRole.Timestamp) || !SameKeys(initial, final, TufRole.Snapshot))
        {
            // §5.3.11: after a timestamp or snapshot key rotation, forget their metadata (fast-forward recovery).
            File.Delete(Path.Combine(_options.CacheDirectory, TimestampFile));
            File.Delete(Path.Combine(_options.CacheDirectory, SnapshotFile));
        }
    }

    private static bool SameKeys(RootInfo a, RootInfo b, TufRole role) =>
        a.Roles[role].Threshold == b.Roles[role].Threshold
        && a.Roles[role].KeyIds.ToHashSet(StringComparer.Ordinal).SetEquals(b.Roles[role].KeyIds);

    // §5.4: timestamp.
    private async Task UpdateTimestampAsync(CancellationToken cancellationToken)
    {
        if (ReadLocal(TimestampFile) is { } local)
        {
            TryLocal(() => ApplyTimestamp(local, TimestampFile));
        }
        var bytes = await FetchAsync(new Uri(_metadataBase, TimestampFile), _options.MaxTimestampBytes, TimestampFile, notFoundIsNull: false, cancellationToken).ConfigureAwait(false);
        if (ApplyTimestamp(bytes!, TimestampFile))
        {
            Persist(TimestampFile, bytes!);
        }
    }

    /// <summary>Verifies and trusts timestamp metadata; false when it is the version already trusted (kept).</summary>
    private bool ApplyTimestamp(byte[] bytes, string name)
    {
        var now = _options.TimeProvider.GetUtcNow();
        if (Expired(_root, now))
        {
            throw new TufSecurityException($"root.json v{_root.Version} expired at {At(_root.Expires)} (freeze)");
        }
        var root = _root.AsRoot();
        var candidate = TufMetadata.Parse(bytes, TufRole.Timestamp, name);
        candidate.VerifyThreshold(root.Roles[TufRole.Timestamp], root.Keys, $"{name} v{candidate.Version} (by the timestamp keys of root v{_root.Version})");
        var snapshot = candidate.AsTimestamp();
        if (_timestamp is { } old)
        {
            if (candidate.Version < old.Version)
            {
                throw new TufSecurityException($"{name}: version {candidate.Version} is older than the trusted version {old.Version} (rollback)");
            }
            if (candidate.Version == old.Version)
            {
                return false;
            }
            var oldSnapshot = old.AsTimestamp();
            if (snapshot.Version < oldSnapshot.Version)
            {
                throw new TufSecurityException($"{name}: v{candidate.Version} names snapshot version {snapshot.Version}, older than the trusted snapshot version {oldSnapshot.Version} (rollback)");
            }
        }
        _timestamp = candidate;
        CheckNotExpired(candidate, name, now);
        return true;
    }

    private static void CheckNotExpired(TufMetadata metadata, string name, DateTimeOffset now)
    {
        if (Expired(metadata, now))
        {
            throw new TufSecurityException($"{name} v{metadata.Version} expired at {At(metadata.Expires)} (freeze)");
        }
    }

    // §5.5: snapshot.
    private async Task UpdateSnapshotAsync(CancellationToken cancellationToken)
    {
        if (ReadLocal(SnapshotFile) is { } local)
        {
            try
            {
                ApplySnapshot(local, SnapshotFile, trusted: true, checkFinal: true);
                return; // the cached snapshot is the one the timestamp names: nothing to download
            }
            catch (TufException)
            {
                // Missing, outdated or invalid: download the one the timestamp names (an old one stays for the rollback check).
            }
        }
        var meta = _timestamp!.AsTimestamp();
        var name = _root.AsRoot().ConsistentSnapshot ? $"{meta.Version}.{SnapshotFile}" : SnapshotFile;
        var bytes = await FetchAsync(new Uri(_metadataBase, name), meta.Length ?? _options.MaxMetadataBytes, name, notFoundIsNull: false, cancellationToken).ConfigureAwait(false);
        ApplySnapshot(bytes!, name, trusted: false, checkFinal: true);
        Persist(SnapshotFile, bytes!);
    }

    private void ApplySnapshot(byte[] bytes, string name, bool trusted, bool checkFinal)
    {
        var timestamp = _timestamp ?? throw new InvalidOperationException("no trusted timestamp");
        var now = _options.TimeProvider.GetUtcNow();
        if (checkFinal)
        {
            CheckNotExpired(timestamp, TimestampFile, now);
        }
        var meta = timestamp.AsTimestamp();
        if (!trusted)
        {
            CheckMeta(meta, bytes, name, "timestamp");
        }
        var root = _root.AsRoot();
        var candidate = TufMetadata.Parse(bytes, TufRole.Snapshot, name);
        candidate.VerifyThreshold(root.Roles[TufRole.Snapshot], root.Keys, $"{name} v{candidate.Version} (by the snapshot keys of root v{_root.Version})");
        var files = candidate.AsSnapshot();
        if (_snapshot is { } old)
        {
            foreach (var (file, oldMeta) in old.AsSnapshot())
            {
                if (!files.TryGetValue(file, out var newMeta))
                {
                    throw new TufSecurityException($"{name}: v{candidate.Version} no longer lists {file}, which the trusted snapshot v{old.Version} lists (rollback)");
                }
                if (newMeta.Version < oldMeta.Version)
                {
                    throw new TufSecurityException($"{name}: v{candidate.Version} names {file} version {newMeta.Version}, older than the trusted version {oldMeta.Version} (rollback)");
                }
            }
        }
        _snapshot = candidate;
        if (candidate.Version != meta.Version)
        {
            if (checkFinal || !trusted)
            {
                throw new TufSecurityException($"{name}: version {candidate.Version} is not the version {meta.Version} timestamp.json v{timestamp.Version} names (mix-and-match)");
            }
            _snapshot = null; // a cached snapshot the timestamp does not name cannot serve targets offline
            return;
        }
        if (checkFinal)
        {
            CheckNotExpired(candidate, name, now);
        }
    }

    /// <summary>Length and hashes of a metadata file against the entry that names it.</summary>
    private static void CheckMeta(MetaFile meta, byte[] bytes, string name, string namedBy)
    {
        try
        {
            meta.Check(bytes, name);
        }
        catch (TufSecurityException e)
        {
            throw new TufSecurityException($"{e.Message} (the {namedBy} metadata names other bytes: mix-and-match or tampering)", e);
        }
    }

    // §5.6: targets.
    private async Task UpdateTargetsAsync(CancellationToken cancellationToken)
    {
        if (ReadLocal(TargetsFile) is { } local)
        {
            try
            {
                ApplyTargets(local, TargetsFile, checkExpiry: true);
                return;
            }
            catch (TufException)
            {
                // Download the one the snapshot names.
            }
        }
        var meta = _snapshot!.AsSnapshot()[TargetsFile];
        var name = _root.AsRoot().ConsistentSnapshot ? $"{meta.Version}.{TargetsFile}" : TargetsFile;
        var bytes = await FetchAsync(new Uri(_metadataBase, name), meta.Length ?? _options.MaxMetadataBytes, name, notFoundIsNull: false, cancellationToken).ConfigureAwait(false);
        ApplyTargets(bytes!, name, checkExpiry: true);
        Persist(TargetsFile, bytes!);
    }

    private void ApplyTargets(byte[] bytes, string name, bool checkExpiry)
    {
        var snapshot = _snapshot ?? throw new InvalidOperationException("no trusted snapshot");
        var now = _options.TimeProvider.GetUtcNow();
        if (checkExpiry)
        {
            CheckNotExpired(snapshot, SnapshotFile, now);
        }
        if (!snapshot.AsSnapshot().TryGetValue(TargetsFile, out var meta))
        {
            throw new TufSecurityException($"snapshot.json v{snapshot.Version} does not list targets.json");
        }
        CheckMeta(meta, bytes, name, $"snapshot v{snapshot.Version}");
        var root = _root.AsRoot();
        var candidate = TufMetadata.Parse(bytes, TufRole.Targets, name);
        candidate.VerifyThreshold(root.Roles[TufRole.Targets], root.Keys, $"{name} v{candidate.Version} (by the targets keys of root v{_root.Version})");
        if (candidate.Version != meta.Version)
        {
            throw new TufSecurityException($"{name}: version {candidate.Version} is not the version {meta.Version} snapshot.json v{snapshot.Version} names (mix-and-match)");
        }
        if (checkExpiry)
        {
            CheckNotExpired(candidate, name, now);
        }
        _targets = candidate;
    }

    /// <summary>GETs <paramref name="url"/>, reading at most <paramref name="maxBytes"/>; null for 404/403 when <paramref name="notFoundIsNull"/>.</summary>
    private async Task<byte[]?> FetchAsync(Uri url, long maxBytes, string what, bool notFoundIsNull, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (notFoundIsNull && response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
            {
                return null;
            }
            if (!response.IsSuccessStatusCode)
            {
                throw new TufException($"{what}: HTTP {(int)response.StatusCode} {response.ReasonPhrase} from {url}");
            }
            if (response.Content.Headers.ContentLength is { } announced && announced > maxBytes)
            {
                throw new TufSecurityException($"{what}: {announced} bytes is more than the {maxBytes} allowed (endless data)");
            }
            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                using var buffer = new MemoryStream();
                var chunk = new byte[81920];
                int n;
                while ((n = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    if (buffer.Length + n > maxBytes)
                    {
                        throw new TufSecurityException($"{what}: more than the {maxBytes} bytes allowed (endless data)");
                    }
                    buffer.Write(chunk, 0, n);
                }
                return buffer.ToArray();
            }
        }
        catch (HttpRequestException e)
        {
            throw new TufException($"{what}: cannot fetch {url}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TufException($"{what}: {url} timed out", e);
        }
    }
}
