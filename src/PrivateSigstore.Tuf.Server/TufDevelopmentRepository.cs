using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Tuf.Server;

/// <summary>
/// A repository made in one go on one machine — the development default of the service and the Stack's embedded one:
/// every key present at once (root and targets as PEM files in <c>keys/</c>), root and targets signed and published at
/// creation. In production root and targets keys stay offline and the ceremony is <c>psig tuf</c>'s, one signer at a time.
/// </summary>
public static class TufDevelopmentRepository
{
    /// <summary>The folder of the development keys inside the repository directory.</summary>
    public const string KeysFolder = "keys";

    /// <summary>Where the development PEM key of <paramref name="role"/> lives: <c>&lt;repository&gt;/keys/&lt;role&gt;-key.pem</c>.</summary>
    public static string KeyPath(string repositoryDirectory, TufRole role) =>
        Path.Combine(Path.GetFullPath(repositoryDirectory), KeysFolder, $"{role.Name()}-key.pem");

    /// <summary>Loads the development PEM key of <paramref name="role"/>, creating it (ECDSA P-256) if missing.</summary>
    public static ISigningKey LoadOrCreateKey(string repositoryDirectory, TufRole role, out bool created) =>
        PemSigningKey.LoadOrCreate(KeyPath(repositoryDirectory, role), SigningAlgorithm.EcdsaP256Sha256, out created);

    /// <summary>The offline roles (root, targets) whose private keys lie in <c>keys/</c> of the repository: a development set-up.</summary>
    public static IReadOnlyList<TufRole> OfflineKeysPresent(string repositoryDirectory) =>
        [.. new[] { TufRole.Root, TufRole.Targets }.Where(r => File.Exists(KeyPath(repositoryDirectory, r)))];

    /// <summary>
    /// Creates the repository with one key per role (threshold 1), stages <paramref name="targetFiles"/>, signs root and
    /// targets, and publishes (root v1 also at <c>root.json</c>, the file clients bootstrap from). Returns what was published.
    /// </summary>
    public static IReadOnlyList<string> CreateAndPublish(
        string directory,
        ISigningKey root,
        ISigningKey targets,
        ISigningKey snapshot,
        ISigningKey timestamp,
        IReadOnlyDictionary<string, byte[]> targetFiles,
        TufExpiryPolicy? policy,
        DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(targetFiles);
        var roles = new Dictionary<TufRole, TufRoleKeys>
        {
            [TufRole.Root] = new([TufKey.FromSigningKey(root)], 1),
            [TufRole.Targets] = new([TufKey.FromSigningKey(targets)], 1),
            [TufRole.Snapshot] = new([TufKey.FromSigningKey(snapshot)], 1),
            [TufRole.Timestamp] = new([TufKey.FromSigningKey(timestamp)], 1),
        };
        var repository = TufRepository.Create(directory, roles, policy, now);
        if (targetFiles.Count > 0) repository.StageTargets(targetFiles, replaceAll: true, now);
        repository.Sign(TufRole.Root, root);
        repository.Sign(TufRole.Targets, targets);
        return repository.Publish([snapshot], [timestamp], now);
    }

    /// <summary>The names among <paramref name="files"/> whose bytes differ from the published targets (or are not published).</summary>
    public static IReadOnlyList<string> ChangedTargets(TufRepository repository, IReadOnlyDictionary<string, byte[]> files)
    {
        ArgumentNullException.ThrowIfNull(repository);
        ArgumentNullException.ThrowIfNull(files);
        return [.. files.Where(f => repository.ReadPublishedTarget(f.Key) is not { } published || !published.AsSpan().SequenceEqual(f.Value)).Select(f => f.Key).Order(StringComparer.Ordinal)];
    }

    /// <summary>
    /// Publishes a targets update holding <paramref name="files"/> (other published targets kept): stage, sign with
    /// <paramref name="targetsKey"/>, publish with the online keys. Returns what was published.
    /// </summary>
    public static IReadOnlyList<string> PublishTargets(TufRepository repository, IReadOnlyDictionary<string, byte[]> files, ISigningKey targetsKey, ISigningKey snapshot, ISigningKey timestamp, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(repository);
        repository.StageTargets(files, replaceAll: false, now);
        repository.Sign(TufRole.Targets, targetsKey);
        return repository.Publish([snapshot], [timestamp], now);
    }
}
