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

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await rekor.Shards.Active.Log.RefreshAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The store is unreachable for a moment: /readyz reports it; try again on the next tick.
                LogRefreshFailed(logger, e.Message);
            }
        }
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Warning, Message = "Could not follow the shared log: {Reason}")]
    private static partial void LogRefreshFailed(ILogger logger, string reason);
}
