using System.Collections.Concurrent;

namespace PrivateSigstore.Explorer;

/// <summary>
/// The checkpoints the explorer has seen per log (the last 500 distinct sizes, in memory): read every
/// <see cref="ExplorerOptions.CheckpointPollSeconds"/> and whenever a page reads a head. Logs serve only their latest
/// checkpoint, so this history starts when the explorer does.
/// </summary>
internal sealed class CheckpointHistory
{
    private const int Keep = 500;
    private readonly ConcurrentDictionary<string, List<SeenCheckpoint>> _seen = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public CheckpointHistory(TimeProvider time) => _time = time;

    public void Record(ExplorerLog log, LogHead head)
    {
        var list = _seen.GetOrAdd(log.Name, _ => []);
        var root = Convert.ToHexStringLower(head.RootHash);
        lock (list)
        {
            if (list.Count > 0 && list[^1].Size == head.Size && list[^1].RootHashHex == root) return;
            list.Add(new SeenCheckpoint(_time.GetUtcNow(), head.Size, root));
            if (list.Count > Keep) list.RemoveAt(0);
        }
    }

    /// <summary>Newest first.</summary>
    public IReadOnlyList<SeenCheckpoint> For(ExplorerLog log)
    {
        if (!_seen.TryGetValue(log.Name, out var list)) return [];
        lock (list)
        {
            return [.. Enumerable.Reverse(list)];
        }
    }
}

/// <summary>Reads every log's head periodically into <see cref="CheckpointHistory"/>; a log that is down is retried next time.</summary>
internal sealed partial class CheckpointPoller(ExplorerService explorer, ExplorerOptions options, CheckpointHistory history, ILogger<CheckpointPoller> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.CheckpointPollSeconds));
        do
        {
            foreach (var log in explorer.Catalog.Logs)
            {
                try
                {
                    history.Record(log, await explorer.ReadHeadAsync(log, stoppingToken).ConfigureAwait(false));
                }
                catch (LogUnavailableException e)
                {
                    PollFailed(logger, log.Name, e.Message);
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(EventId = 1700, Level = LogLevel.Debug, Message = "Explorer: reading the head of {Log} failed: {Reason}")]
    private static partial void PollFailed(ILogger logger, string log, string reason);
}
