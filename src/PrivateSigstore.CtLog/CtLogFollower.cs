namespace PrivateSigstore.CtLog;

/// <summary>
/// With PostgreSQL several CT log replicas share one tree: each follows the entries the others integrate (the engine's
/// <c>RefreshAsync</c>), so that every replica serves the same STH, entries and proofs within about
/// <see cref="CtLogOptions.RefreshIntervalMilliseconds"/>, also when it takes no submissions itself. Appends need no
/// follower: the replica that appends takes the store's writer lock and catches up with the others first.
/// </summary>
internal sealed partial class CtLogFollower(CertificateLog log, TimeSpan interval, ILogger<CtLogFollower> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Log.TransparencyLog.FollowAsync(() => log.Log, interval, e => LogRefreshFailed(logger, e.Message), stoppingToken);

    [LoggerMessage(EventId = 6210, Level = LogLevel.Warning, Message = "CT log: could not follow the shared tree: {Reason}")]
    private static partial void LogRefreshFailed(ILogger logger, string reason);
}
