using PrivateSigstore.Hosting;

namespace PrivateSigstore.Explorer;

/// <summary>Settings of the log explorer (configuration section "Explorer").</summary>
public sealed class ExplorerOptions : IServiceOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Explorer";

    /// <summary>
    /// The trusted_root.json naming the logs (each <c>tlogs</c> entry with an Ed25519 key is a Rekor v2 log, any other a
    /// Rekor v1 log; each <c>ctlogs</c> entry a CT log) with their keys. Served to browsers at <c>/trusted_root.json</c>,
    /// where the page's script checks proofs and checkpoints against it.
    /// </summary>
    public string TrustedRootPath { get; set; } = "";

    /// <summary>Rekor v2 only: the checkpoint origin (note key name); defaults to the host of the log's URL.</summary>
    public string? RekorV2Origin { get; set; }

    /// <summary>The monitor's base URL (its <c>GET /api/v1/alerts</c> feed); null: no alerts page.</summary>
    public string? MonitorUrl { get; set; }

    /// <summary>The longest query accepted (characters); longer ones get a 400 page.</summary>
    public int MaxQueryLength { get; set; } = 512;

    /// <summary>Timeout of one request to a log or the monitor; a log that does not answer in time is shown as down (503).</summary>
    public int HttpTimeoutSeconds { get; set; } = 10;

    /// <summary>How often the explorer reads each log's checkpoint for the history shown on log pages.</summary>
    public int CheckpointPollSeconds { get; set; } = 10;

    /// <summary>Checks the settings; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(TrustedRootPath)) throw new ArgumentException("Explorer:TrustedRootPath must name a trusted_root.json");
        if (!File.Exists(TrustedRootPath)) throw new ArgumentException($"Explorer:TrustedRootPath {TrustedRootPath} does not exist");
        if (MonitorUrl is not null && (!Uri.TryCreate(MonitorUrl, UriKind.Absolute, out var m) || m.Scheme is not ("http" or "https")))
        {
            throw new ArgumentException($"Explorer:MonitorUrl '{MonitorUrl}' is not an http(s) URL");
        }
        if (MaxQueryLength is < 16 or > 4096) throw new ArgumentException("Explorer:MaxQueryLength must be in 16..4096");
        if (HttpTimeoutSeconds is < 1 or > 120) throw new ArgumentException("Explorer:HttpTimeoutSeconds must be in 1..120");
        if (CheckpointPollSeconds is < 1 or > 3600) throw new ArgumentException("Explorer:CheckpointPollSeconds must be in 1..3600");
    }
}
