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

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await rekor.Log.RefreshAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The store is unreachable for a moment: /readyz reports it; try again on the next tick.
                LogRefreshFailed(logger, e.Message);
            }
        }
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "Could not follow the shared Rekor v2 log: {Reason}")]
    private static partial void LogRefreshFailed(ILogger logger, string reason);
}
