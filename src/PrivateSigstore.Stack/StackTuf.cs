using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Pkcs11;
using PrivateSigstore.Tuf;
using PrivateSigstore.Tuf.Server;

namespace PrivateSigstore.Stack;

/// <summary>
/// The stack's TUF repository (<c>data/tuf/</c>), through which clients get <c>trusted_root.json</c> and
/// <c>signing_config.v0.2.json</c> verified and follow key rotations. On first start it is created with one key per role:
/// root and targets as development PEM files in <c>data/tuf/keys/</c> (in production they belong offline), snapshot and
/// timestamp in the stack's SoftHSM2 token when the other keys are (else PEM files too); both trust files are staged,
/// signed and published, and the first root is left at <c>data/tuf/root.json</c>. On later starts, trust files that differ
/// from the published targets (new URLs, a rotated key) are published as a targets update when the targets key is here;
/// otherwise the stack says that an operator must sign it. Then the TUF service serves the repository and renews
/// timestamp and snapshot.
/// </summary>
public sealed partial class StackHost
{
    /// <summary>The TUF repository service's base URL: the mirror URL clients are given.</summary>
    public string TufUrl => Url("tuf");

    /// <summary>The TUF repository directory (<c>data/tuf</c>).</summary>
    public string TufDirectory => Path.Combine(DataDirectory, "tuf");

    /// <summary>The first root, which clients bootstrap from (<c>data/tuf/root.json</c>).</summary>
    public string TufRootPath => Path.Combine(TufDirectory, TufRepository.BootstrapRootFile);

    /// <summary>How to point psig, cosign and sigstore-js at the stack's TUF repository (printed with the services).</summary>
    public string TufClientInstructions => $$"""

        TUF repository (clients fetch trusted_root.json and signing_config.v0.2.json through it, verified, and follow rotations):
          psig:        psig initialize --mirror {{TufUrl}} --root {{TufRootPath}}
          cosign:      cosign initialize --mirror {{TufUrl}} --root {{TufRootPath}}
          sigstore-js: { tufMirrorURL: '{{TufUrl}}', tufRootPath: '{{TufRootPath}}' }   (options of sigstore.verify)
        """;

    /// <summary>Prepares <c>data/tuf</c> from the trust files just written, then builds and starts the TUF service.</summary>
    private async Task StartTufAsync(Func<string, SigningKeyOptions>? hsmKey, Action<WebApplicationBuilder> configure, CancellationToken cancellationToken)
    {
        var files = new Dictionary<string, byte[]>
        {
            [TufRepository.TrustedRootTarget] = await File.ReadAllBytesAsync(TrustedRootPath, cancellationToken).ConfigureAwait(false),
            [TufRepository.SigningConfigTarget] = await File.ReadAllBytesAsync(SigningConfigPath, cancellationToken).ConfigureAwait(false),
        };
        var (options, messages) = PrepareTuf(TufDirectory, hsmKey, files, DateTimeOffset.UtcNow);
        var app = await TufApp.BuildAsync(options, configure: configure, cancellationToken: cancellationToken).ConfigureAwait(false);
        _apps.Add(app);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("PrivateSigstore.Stack.Tuf");
        foreach (var (level, message) in messages)
        {
#pragma warning disable CA2254, CA1848 // A handful of start-up lines, each composed once.
            logger.Log(level, message);
#pragma warning restore CA2254, CA1848
        }
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Creates the repository in <paramref name="directory"/> on first start, or publishes a targets update when
    /// <paramref name="files"/> differ from the published targets. Returns the service's options and what to log.
    /// </summary>
    internal static (TufOptions Options, List<(LogLevel Level, string Message)> Messages) PrepareTuf(
        string directory, Func<string, SigningKeyOptions>? hsmKey, IReadOnlyDictionary<string, byte[]> files, DateTimeOffset now)
    {
        var messages = new List<(LogLevel, string)>();
        var exists = TufRepository.Exists(directory);
        // The online keys stay where the first start put them: PEM files in keys/, or the stack's token.
        var pem = File.Exists(TufDevelopmentRepository.KeyPath(directory, TufRole.Snapshot)) || (hsmKey is null && !exists);
        if (!pem && hsmKey is null)
        {
            throw new StackStartException($"the TUF repository in {directory} keeps its snapshot and timestamp keys in the stack's SoftHSM2 token, which is not in use now (--pem-keys, or SoftHSM2 missing)");
        }

        SigningKeyOptions Online(TufRole role)
        {
            var key = pem ? new SigningKeyOptions { KeyPath = TufDevelopmentRepository.KeyPath(directory, role) } : hsmKey!($"tuf-{role.Name()}");
            key.GenerateIfMissing = !exists;
            return key;
        }

        var options = new TufOptions { RepositoryDirectory = directory, SnapshotKey = Online(TufRole.Snapshot), TimestampKey = Online(TufRole.Timestamp) };
        using var snapshot = SigningKeyFactory.Create(options.SnapshotKey, TufDevelopmentRepository.KeyPath(directory, TufRole.Snapshot), NullLogger.Instance);
        using var timestamp = SigningKeyFactory.Create(options.TimestampKey, TufDevelopmentRepository.KeyPath(directory, TufRole.Timestamp), NullLogger.Instance);
        options.SnapshotKey.GenerateIfMissing = false;
        options.TimestampKey.GenerateIfMissing = false;
        var keys = Path.Combine(directory, TufDevelopmentRepository.KeysFolder);
        if (!exists)
        {
            using var root = TufDevelopmentRepository.LoadOrCreateKey(directory, TufRole.Root, out _);
            using var targets = TufDevelopmentRepository.LoadOrCreateKey(directory, TufRole.Targets, out _);
            var published = TufDevelopmentRepository.CreateAndPublish(directory, root, targets, snapshot, timestamp, files, null, now);
            messages.Add((LogLevel.Warning,
                $"Created the stack's TUF repository in {directory} ({string.Join(", ", published)}); clients bootstrap from {Path.Combine(directory, TufRepository.BootstrapRootFile)}. " +
                $"ITS ROOT AND TARGETS KEYS ARE DEVELOPMENT PEM FILES in {keys}: in production they belong offline (removable media or a separate token used only in key ceremonies), " +
                $"and only the snapshot and timestamp keys stay online ({(pem ? "here PEM files too" : "here in the stack's SoftHSM2 token")}). See docs/operations.md"));
            return (options, messages);
        }

        var repository = TufRepository.Open(directory);
        var changed = TufDevelopmentRepository.ChangedTargets(repository, files);
        if (changed.Count == 0) return (options, messages);
        var targetsKeyPath = TufDevelopmentRepository.KeyPath(directory, TufRole.Targets);
        if (!File.Exists(targetsKeyPath))
        {
            messages.Add((LogLevel.Warning,
                $"The trust files changed ({string.Join(", ", changed)}) but the TUF targets key is not in {keys} (offline, as in production): clients keep the published ones " +
                "until an operator stages, signs and publishes the targets update with the targets key (psig tuf; see docs/operations.md)"));
            return (options, messages);
        }

        try
        {
            using var targetsKey = PemSigningKey.Load(targetsKeyPath);
            var published = TufDevelopmentRepository.PublishTargets(repository, files, targetsKey, snapshot, timestamp, now);
            messages.Add((LogLevel.Information, $"The trust files changed ({string.Join(", ", changed)}): published {string.Join(", ", published)} in {directory}, signed with the development targets key"));
        }
        catch (TufException e)
        {
            messages.Add((LogLevel.Warning, $"The trust files changed ({string.Join(", ", changed)}) but publishing the targets update in {directory} failed: {e.Message}; clients keep the published ones"));
        }

        return (options, messages);
    }
}
