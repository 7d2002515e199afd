namespace PrivateSigstore.CtLog;

/// <summary>
/// With PostgreSQL several CT log replicas share one tree: each follows the entries the others integrate (the engine's
/// <c>RefreshAsync</c>), so that every replica serves the same STH, entries and proofs within about
/// <see cref="CtLogOptions.RefreshIntervalMilliseconds"/>, also when it takes no submissions itself. Appends need no
/// follower: the replica that appends takes the store's writer lock and catches up with the others first.
/// </summary>
internal sealed partial class CtLogFollower(CertificateLog log, TimeSpan interval, ILogger<CtLogFollower> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(interval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await log.Log.RefreshAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The store is unreachable for a moment: /readyz reports it; try again on the next tick.
                LogRefreshFailed(logger, e.Message);
            }
        }
    }

    [LoggerMessage(EventId = 6210, Level = LogLevel.Warning, Message = "CT log: could not follow the shared tree: {Reason}")]
    private static partial void LogRefreshFailed(ILogger logger, string reason);
}
