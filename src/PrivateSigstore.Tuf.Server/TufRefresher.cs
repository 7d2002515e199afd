namespace PrivateSigstore.Tuf.Server;

/// <summary>
/// Keeps the online roles fresh: once at start, then every <see cref="TufOptions.RefreshIntervalSeconds"/>, re-signs
/// timestamp (and snapshot) with the online keys when less than half of their lifetime is left
/// (<see cref="TufRepository.RefreshOnline"/>, under the repository's writer lock), logs what it renewed, and has the
/// monitor judge the result (expiry warnings, readiness, the expiry gauge).
/// </summary>
public sealed partial class TufRefresher(
    TufServedRepository served,
    TufRepositoryMonitor monitor,
    TufMetrics metrics,
    TufOptions options,
    TimeProvider time,
    ILogger<TufRefresher> logger) : BackgroundService
{
    private PeriodicTimer? timer;

    /// <summary>
    /// Renews once before the service accepts requests (so a restarted service never serves stale metadata), then starts
    /// the loop. The interval timer starts here, not in <see cref="ExecuteAsync"/>: .NET 10 runs ExecuteAsync on the thread
    /// pool, so a timer made there could start late and miss time that passed after the host reported it had started.
    /// </summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        RefreshOnce();
        timer ??= new PeriodicTimer(TimeSpan.FromSeconds(options.RefreshIntervalSeconds), time);
        return base.StartAsync(cancellationToken);
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        timer?.Dispose();
        base.Dispose();
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var ticks = timer ?? throw new InvalidOperationException("StartAsync starts the timer");
        try
        {
            while (await ticks.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                // On the thread pool, never inline on the thread that fired the timer: a pass blocks (file lock, HSM).
                await Task.Run(RefreshOnce, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>One renewal pass; returns what was renewed (empty when nothing was due or it failed).</summary>
    public IReadOnlyList<string> RefreshOnce()
    {
        IReadOnlyList<string> renewed = [];
        try
        {
            renewed = served.Repository.RefreshOnline([served.SnapshotKey], [served.TimestampKey], time.GetUtcNow());
            monitor.RenewalOutcome(null);
            foreach (var item in renewed) metrics.Renewal(item.Split(' ')[0], "renewed");
            if (renewed.Count > 0)
            {
                var what = string.Join(", ", renewed);
                LogRenewed(logger, what, served.Repository.Directory);
            }
        }
#pragma warning disable CA1031 // A failed renewal (HSM unreachable, lock held, disk full) must not stop the service: it is retried, reported by readiness and the log.
        catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
        {
            monitor.RenewalOutcome(e.Message);
            metrics.Renewal("online", "failed");
            var directory = served.Repository.Directory;
            LogRenewalFailed(logger, e, directory);
        }

        monitor.Evaluate();
        return renewed;
    }

    [LoggerMessage(EventId = 8120, Level = LogLevel.Information, Message = "TUF: renewed {Renewed} in {Directory}")]
    private static partial void LogRenewed(ILogger logger, string renewed, string directory);

    [LoggerMessage(EventId = 8121, Level = LogLevel.Error, Message = "TUF: renewing timestamp/snapshot in {Directory} failed; retrying at the next interval")]
    private static partial void LogRenewalFailed(ILogger logger, Exception exception, string directory);
}
