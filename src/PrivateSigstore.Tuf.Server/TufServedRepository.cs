using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.FileProviders.Physical;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Pkcs11;

namespace PrivateSigstore.Tuf.Server;

/// <summary>
/// The repository the service serves and renews, with its two online keys, opened once at start-up (a start-up resource:
/// a missing repository, a key that does not open or a key the root does not list fails the build, naming the setting).
/// </summary>
public sealed partial class TufServedRepository : IDisposable
{
    private TufServedRepository(TufRepository repository, ISigningKey snapshotKey, ISigningKey timestampKey)
    {
        Repository = repository;
        SnapshotKey = snapshotKey;
        TimestampKey = timestampKey;
        Directory.CreateDirectory(repository.PublishedDirectory);
        // Dot files (the writer's temporary files, half written) and hidden files are never served.
        Files = new PhysicalFileProvider(repository.PublishedDirectory, ExclusionFilters.Sensitive);
    }

    /// <summary>The repository.</summary>
    public TufRepository Repository { get; }

    /// <summary>The online snapshot key.</summary>
    public ISigningKey SnapshotKey { get; }

    /// <summary>The online timestamp key.</summary>
    public ISigningKey TimestampKey { get; }

    /// <summary>The published directory, as the static file middleware reads it.</summary>
    public PhysicalFileProvider Files { get; }

    /// <summary>
    /// Opens the repository and the online keys of <paramref name="options"/>. With no repository configured: the
    /// development repository, created on first start with generated keys (loud warnings).
    /// </summary>
    public static TufServedRepository Open(TufOptions options, ILogger logger, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        options.Validate();
        var directory = options.EffectiveDirectory;
        var snapshot = OpenKey(options.SnapshotKey, "Tuf:SnapshotKey", TufDevelopmentRepository.KeyPath(directory, TufRole.Snapshot), logger);
        ISigningKey? timestamp = null;
        try
        {
            timestamp = OpenKey(options.TimestampKey, "Tuf:TimestampKey", TufDevelopmentRepository.KeyPath(directory, TufRole.Timestamp), logger);
            if (options.IsDevelopment && !TufRepository.Exists(directory))
            {
                using var root = TufDevelopmentRepository.LoadOrCreateKey(directory, TufRole.Root, out _);
                using var targets = TufDevelopmentRepository.LoadOrCreateKey(directory, TufRole.Targets, out _);
                var published = TufDevelopmentRepository.CreateAndPublish(directory, root, targets, snapshot, timestamp, new Dictionary<string, byte[]>(), null, now);
                LogCreatedDevelopmentRepository(logger, directory, string.Join(", ", published));
            }

            TufRepository repository;
            try
            {
                repository = TufRepository.Open(directory);
            }
            catch (TufException e)
            {
                throw new ArgumentException($"Tuf:RepositoryDirectory: {e.Message}", e);
            }

            // The published root governs renewals (a staged rotation is not in force yet).
            var rootInfo = repository.PublishedRoot ?? repository.CurrentRoot;
            CheckListed(rootInfo, TufRole.Snapshot, snapshot, "Tuf:SnapshotKey", directory);
            CheckListed(rootInfo, TufRole.Timestamp, timestamp, "Tuf:TimestampKey", directory);
            var offline = TufDevelopmentRepository.OfflineKeysPresent(directory);
            if (offline.Count > 0)
            {
                LogOfflineKeysOnline(logger, string.Join(" and ", offline.Select(r => r.Name())), Path.Combine(directory, TufDevelopmentRepository.KeysFolder));
            }

            return new TufServedRepository(repository, snapshot, timestamp);
        }
        catch
        {
            snapshot.Dispose();
            timestamp?.Dispose();
            throw;
        }
    }

    private static ISigningKey OpenKey(SigningKeyOptions options, string setting, string devPath, ILogger logger)
    {
        try
        {
            return SigningKeyFactory.Create(options, devPath, logger);
        }
        catch (KeyConfigurationException e)
        {
            throw new ArgumentException($"{setting}: {e.Message}", e);
        }
    }

    // The online keys must be the ones the root lists for their role, or every renewal would fail its threshold.
    private static void CheckListed(TufMetadata root, TufRole role, ISigningKey key, string setting, string directory)
    {
        TufKey tufKey;
        try
        {
            tufKey = TufKey.FromSigningKey(key);
        }
        catch (TufFormatException e)
        {
            throw new ArgumentException($"{setting}: {e.Message}", e);
        }
        var listed = root.AsRoot().Roles[role].KeyIds;
        if (!listed.Contains(tufKey.KeyId))
        {
            throw new ArgumentException($"{setting} ({key.Description}, TUF key ID {tufKey.KeyId[..16]}…) is not a {role.Name()} key of root v{root.Version} in {directory}; " +
                $"configure the key the root lists ({string.Join(", ", listed.Select(id => id[..16] + "…"))}), or rotate the root to this key");
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Files.Dispose();
        SnapshotKey.Dispose();
        TimestampKey.Dispose();
    }

    [LoggerMessage(EventId = 8101, Level = LogLevel.Warning, Message =
        "CREATED A DEVELOPMENT TUF REPOSITORY in {Directory} ({Published}) with generated keys, root and targets keys included, as PEM files in its keys/ folder. " +
        "Never use it in production: create the repository with 'psig tuf init' in a key ceremony, keep the root and targets keys offline, and set Tuf:RepositoryDirectory (see docs/operations.md)")]
    private static partial void LogCreatedDevelopmentRepository(ILogger logger, string directory, string published);

    [LoggerMessage(EventId = 8102, Level = LogLevel.Warning, Message =
        "THE OFFLINE TUF KEYS ({Roles}) ARE ONLINE, in {KeysDirectory}: anyone who can read them can change what every client trusts. " +
        "This is a development set-up. In production the root and targets keys belong offline (removable media or a separate token used only in key ceremonies); " +
        "only the snapshot and timestamp keys stay with the service, in the HSM. See docs/operations.md")]
    private static partial void LogOfflineKeysOnline(ILogger logger, string roles, string keysDirectory);
}
