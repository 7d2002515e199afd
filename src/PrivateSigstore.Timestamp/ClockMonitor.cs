using Microsoft.Extensions.Hosting;

namespace PrivateSigstore.Timestamp;

/// <summary>
/// The clock check (<see cref="ClockCheckOptions"/>): when enabled, queries the NTP server at start-up and then every
/// interval, and holds the verdict the issuance path reads. Issuance is refused while the verdict is a refusal: no check
/// yet, the last check failed, the offset exceeds the threshold, or the last good check is older than three intervals.
/// When disabled, it always allows.
/// </summary>
public sealed partial class ClockMonitor : BackgroundService
{
    private readonly ClockCheckOptions _options;
    private readonly TimeProvider _clock;
    private readonly ILogger<ClockMonitor> _logger;
    private volatile Verdict _verdict;

    /// <summary>Creates the monitor; nothing is queried before the host starts it.</summary>
    public ClockMonitor(ClockCheckOptions options, TimeProvider clock, ILogger<ClockMonitor> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _clock = clock;
        _logger = logger;
        _verdict = options.Enabled ? new Verdict(false, "the clock has not been checked against NTP yet", DateTimeOffset.MinValue) : Verdict.Disabled;
    }

    /// <summary>The last check's outcome.</summary>
    public sealed record Verdict(bool Allows, string Reason, DateTimeOffset CheckedAt)
    {
        internal static readonly Verdict Disabled = new(true, "clock check disabled", DateTimeOffset.MinValue);
    }

    /// <summary>Whether the check is enabled.</summary>
    public bool Enabled => _options.Enabled;

    /// <summary>
    /// <c>null</c> when issuance may proceed; otherwise why not (for the 503 body). A good verdict older than three
    /// intervals counts as a failure (the checker itself may be stuck).
    /// </summary>
    public string? RefusalReason()
    {
        var v = _verdict;
        if (!_options.Enabled) return null;
        if (!v.Allows) return v.Reason;
        var age = _clock.GetUtcNow() - v.CheckedAt;
        return age > TimeSpan.FromSeconds(3L * _options.IntervalSeconds)
            ? $"the last successful NTP clock check is {age.TotalSeconds:F0} s old (more than 3 × Timestamp:ClockCheck:IntervalSeconds)"
            : null;
    }

    /// <summary>The current verdict (for /readyz and tests).</summary>
    public Verdict Current => _verdict;

    /// <summary>Runs the first check before the service takes requests, then keeps checking in the background.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_options.Enabled) await CheckOnceAsync(cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>One check: queries the server and records the verdict.</summary>
    public async Task<Verdict> CheckOnceAsync(CancellationToken cancellationToken)
    {
        Verdict verdict;
        try
        {
            var result = await SntpClient.QueryAsync(_options.Server!, TimeSpan.FromMilliseconds(_options.TimeoutMilliseconds), _clock, cancellationToken).ConfigureAwait(false);
            var offsetMs = result.Offset.TotalMilliseconds;
            verdict = Math.Abs(offsetMs) > _options.MaxOffsetMilliseconds
                ? new Verdict(false, $"the local clock is off by {offsetMs:F0} ms from NTP server {_options.Server} (limit {_options.MaxOffsetMilliseconds} ms, Timestamp:ClockCheck:MaxOffsetMilliseconds)", _clock.GetUtcNow())
                : new Verdict(true, $"offset {offsetMs:F1} ms from {_options.Server} (stratum {result.Stratum})", _clock.GetUtcNow());
        }
        catch (SntpException e)
        {
            verdict = new Verdict(false, $"the NTP clock check failed: {e.Message}", _clock.GetUtcNow());
        }

        var previous = _verdict;
        _verdict = verdict;
        if (!verdict.Allows) LogRefusing(_logger, verdict.Reason);
        else if (!previous.Allows) LogClockGood(_logger, verdict.Reason);
        return verdict;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_options.Enabled) return;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(_options.IntervalSeconds), _clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                await CheckOnceAsync(stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // shutting down
        }
    }

    [LoggerMessage(EventId = 6401, Level = LogLevel.Error, Message = "TSA clock check: REFUSING TO ISSUE TIMESTAMPS: {Reason}")]
    private static partial void LogRefusing(ILogger logger, string reason);

    [LoggerMessage(EventId = 6402, Level = LogLevel.Information, Message = "TSA clock check passes again: {Reason}")]
    private static partial void LogClockGood(ILogger logger, string reason);
}
