using PrivateSigstore.Keys.Pkcs11;

namespace PrivateSigstore.Tuf.Server;

/// <summary>Settings of the TUF repository service (configuration section "Tuf").</summary>
public sealed class TufOptions : PrivateSigstore.Hosting.IServiceOptions, PrivateSigstore.Hosting.IDataDirectoryOptions
{
    /// <summary>Secured at start (0700 / 0600): see <see cref="PrivateSigstore.Hosting.IDataDirectoryOptions"/>.</summary>
    string? PrivateSigstore.Hosting.IDataDirectoryOptions.SecuredDataDirectory => IsDevelopment ? EffectiveDirectory : null;

    /// <summary>The configuration section.</summary>
    public const string Section = "Tuf";

    /// <summary>Where the development repository lives when <see cref="RepositoryDirectory"/> is not set.</summary>
    public const string DevelopmentDirectory = "data/tuf";

    /// <summary>
    /// The repository (made by <c>psig tuf init</c>, or by the Stack): the service serves its <c>published/</c> directory and
    /// renews its timestamp and snapshot. It must exist. Unset: a development repository in <see cref="DevelopmentDirectory"/>,
    /// created on first start with generated keys (loud warnings; never for production).
    /// </summary>
    public string? RepositoryDirectory { get; set; }

    /// <summary>
    /// The online snapshot key the root lists (a PKCS#11 key in production: <c>Tuf:SnapshotKey:KeyLabel</c> + the
    /// <c>Pkcs11</c> section; or a PEM file). Required with <see cref="RepositoryDirectory"/>.
    /// </summary>
    public SigningKeyOptions SnapshotKey { get; set; } = new();

    /// <summary>The online timestamp key the root lists (as <see cref="SnapshotKey"/>). Required with <see cref="RepositoryDirectory"/>.</summary>
    public SigningKeyOptions TimestampKey { get; set; } = new();

    /// <summary>
    /// Seconds between checks of the online roles (also once at start): timestamp and snapshot are re-signed when less
    /// than half of their lifetime is left.
    /// </summary>
    public int RefreshIntervalSeconds { get; set; } = 300;

    /// <summary>
    /// Targets or root metadata expiring within this many days make readiness Degraded and log a warning: they are signed
    /// offline, so an operator must act in time. 0 turns the early warning off (expired is always Unhealthy).
    /// </summary>
    public int ExpiryWarningDays { get; set; } = 30;

    /// <summary>Whether the development repository is used (no <see cref="RepositoryDirectory"/>).</summary>
    public bool IsDevelopment => RepositoryDirectory is null;

    /// <summary>The repository directory in effect.</summary>
    public string EffectiveDirectory => Path.GetFullPath(RepositoryDirectory ?? DevelopmentDirectory);

    /// <summary>Whether <paramref name="key"/> names a key (a provider, a label or a path) rather than the development default.</summary>
    public static bool IsConfigured(SigningKeyOptions key) =>
        key is not null && (!string.IsNullOrEmpty(key.KeyLabel) || !string.IsNullOrEmpty(key.KeyPath)
            || (!string.IsNullOrWhiteSpace(key.Provider) && !string.Equals(key.Provider.Trim(), "Auto", StringComparison.OrdinalIgnoreCase)));

    /// <summary>Checks the settings; throws <see cref="ArgumentException"/> naming the first bad one (fail closed).</summary>
    public void Validate()
    {
        if (SnapshotKey is null) throw new ArgumentException("Tuf:SnapshotKey must not be null");
        if (TimestampKey is null) throw new ArgumentException("Tuf:TimestampKey must not be null");
        if (RefreshIntervalSeconds is < 1 or > 86_400) throw new ArgumentException("Tuf:RefreshIntervalSeconds must be in 1..86400");
        if (ExpiryWarningDays is < 0 or > 3650) throw new ArgumentException("Tuf:ExpiryWarningDays must be in 0..3650");
        if (RepositoryDirectory is null) return;
        if (string.IsNullOrWhiteSpace(RepositoryDirectory))
        {
            throw new ArgumentException("Tuf:RepositoryDirectory must not be empty (leave it unset for a development repository in data/tuf)");
        }
        // A configured repository is never created here: its root and targets keys belong to a key ceremony.
        if (!TufRepository.Exists(RepositoryDirectory))
        {
            throw new ArgumentException($"Tuf:RepositoryDirectory {Path.GetFullPath(RepositoryDirectory)} holds no TUF repository (no {TufRepository.ConfigFile}); " +
                "create it with 'psig tuf init' (and sign and publish it), or leave Tuf:RepositoryDirectory unset for a development repository");
        }
        if (!IsConfigured(SnapshotKey))
        {
            throw new ArgumentException("Tuf:SnapshotKey is required when Tuf:RepositoryDirectory is set: the online snapshot key its root lists (Tuf:SnapshotKey:KeyLabel with the Pkcs11 section, or Tuf:SnapshotKey:KeyPath)");
        }
        if (!IsConfigured(TimestampKey))
        {
            throw new ArgumentException("Tuf:TimestampKey is required when Tuf:RepositoryDirectory is set: the online timestamp key its root lists (Tuf:TimestampKey:KeyLabel with the Pkcs11 section, or Tuf:TimestampKey:KeyPath)");
        }
    }
}
