using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PrivateSigstore.Rekor.V2;

/// <summary>
/// With PostgreSQL several Rekor v2 instances share one log: each follows the entries the others integrate (the engine's
/// <c>RefreshAsync</c>), so that every front-end serves the same checkpoint and tiles within about <see cref="Interval"/>.
/// </summary>
internal sealed partial class RekorV2Follower(RekorV2Log rekor, ILogger<RekorV2Follower> logger) : BackgroundService
{
    /// <summary>How often the shared store is read for a newer tree.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Log.TransparencyLog.FollowAsync(() => rekor.Log, Interval, e => LogRefreshFailed(logger, e.Message), stoppingToken);

    [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "Could not follow the shared Rekor v2 log: {Reason}")]
    private static partial void LogRefreshFailed(ILogger logger, string reason);
}
