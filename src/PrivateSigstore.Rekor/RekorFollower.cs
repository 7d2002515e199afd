using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace PrivateSigstore.Rekor;

/// <summary>
/// With PostgreSQL several Rekor instances share one log: each follows the entries the others integrate (the engine's
/// <c>RefreshAsync</c>), so that every front-end serves the same latest checkpoint and proofs within about
/// <see cref="Interval"/>, also when it takes no appends itself.
/// </summary>
internal sealed partial class RekorFollower(RekorLog rekor, ILogger<RekorFollower> logger) : BackgroundService
{
    /// <summary>How often the shared store is read for a newer tree.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Log.TransparencyLog.FollowAsync(() => rekor.Shards.Active.Log, Interval, e => LogRefreshFailed(logger, e.Message), stoppingToken);

    [LoggerMessage(EventId = 30, Level = LogLevel.Warning, Message = "Could not follow the shared log: {Reason}")]
    private static partial void LogRefreshFailed(ILogger logger, string reason);
}
