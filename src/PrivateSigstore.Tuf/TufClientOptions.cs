namespace PrivateSigstore.Tuf;

/// <summary>Where a <see cref="TufClient"/> reads a repository from, where it keeps its cache, and its limits.</summary>
public sealed class TufClientOptions
{
    /// <summary>The repository (mirror) base URL: metadata at <c>&lt;mirror&gt;/N.root.json</c>, <c>timestamp.json</c>, ….</summary>
    public required Uri MetadataBaseUrl { get; init; }

    /// <summary>Where targets are served; default <c>&lt;mirror&gt;/targets/</c>.</summary>
    public Uri? TargetBaseUrl { get; init; }

    /// <summary>
    /// The local cache: <c>root.json</c> (the trusted root, required before the client starts), <c>timestamp.json</c>,
    /// <c>snapshot.json</c>, <c>targets.json</c> and <c>targets/&lt;escaped name&gt;</c>.
    /// </summary>
    public required string CacheDirectory { get; init; }

    /// <summary>The most root versions one refresh walks (python-tuf, go-tuf and tuf-js use 32).</summary>
    public int MaxRootRotations { get; init; } = 32;

    /// <summary>The largest root, snapshot or targets metadata file downloaded when its length is not known.</summary>
    public long MaxMetadataBytes { get; init; } = TufMetadata.MaxBytes;

    /// <summary>The largest timestamp metadata file downloaded (python-tuf's default: 16 KiB).</summary>
    public long MaxTimestampBytes { get; init; } = 16 * 1024;

    /// <summary>The clock expiry is checked against (tests replace it).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
