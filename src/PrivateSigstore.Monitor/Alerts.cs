using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;

namespace PrivateSigstore.Monitor;

/// <summary>The kinds of alert.</summary>
public static class AlertKinds
{
    /// <summary>The log's new checkpoint is smaller than the last verified one.</summary>
    public const string LogShrunk = "log-shrunk";

    /// <summary>Same size as the last verified checkpoint, different root: a fork.</summary>
    public const string RootChanged = "root-changed";

    /// <summary>The consistency proof between the last verified checkpoint and the new one does not verify (or cannot be had).</summary>
    public const string ConsistencyFailed = "consistency-failed";

    /// <summary>The checkpoint / signed tree head is not signed by the trusted key.</summary>
    public const string InvalidSignature = "invalid-signature";

    /// <summary>The log answered something malformed (JSON, note, proof, entry).</summary>
    public const string MalformedResponse = "malformed-response";

    /// <summary>No fresh signed tree head within the maximum merge delay.</summary>
    public const string Stalled = "stalled";

    /// <summary>Full audit: the root recomputed from the entries differs from the checkpoint's.</summary>
    public const string AuditMismatch = "audit-mismatch";

    /// <summary>A witness refused the log's checkpoint: it does not extend what the witness cosigned (another view of the log).</summary>
    public const string SplitView = "split-view";

    /// <summary>A new entry matches a watched identity.</summary>
    public const string IdentityMatch = "identity-match";
}

/// <summary>One alert, as the feed and webhooks carry it.</summary>
public sealed record MonitorAlert
{
    /// <summary>Increasing identifier (the feed's <c>since</c> cursor).</summary>
    public long Id { get; init; }

    /// <summary>One of <see cref="AlertKinds"/>.</summary>
    public string Kind { get; init; } = "";

    /// <summary>The log's URL.</summary>
    public string Log { get; init; } = "";

    /// <summary>The log's kind (RekorV1, RekorV2, Ct).</summary>
    public string LogKind { get; init; } = "";

    /// <summary>When the monitor raised it.</summary>
    public DateTimeOffset Time { get; init; }

    /// <summary>What happened, for humans.</summary>
    public string Message { get; init; } = "";

    /// <summary>The entry's index (identity and audit alerts).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? LogIndex { get; init; }

    /// <summary>The entry's UUID (Rekor v1) or leaf hash (hex).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? EntryUuid { get; init; }

    /// <summary>The matched identity (SAN, subject or fingerprint).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Identity { get; init; }

    /// <summary>The certificate's OIDC issuer, when it has one.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Issuer { get; init; }

    /// <summary>When the log recorded the entry (when it says so).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? EntryTime { get; init; }

    /// <summary>
    /// Evidence: for checkpoint alerts <c>previous</c> (the last verified checkpoint) and <c>current</c> (what the log
    /// served); for identity alerts the matched rules and the certificate's SHA-256.
    /// </summary>
    public Dictionary<string, string> Evidence { get; init; } = [];
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(MonitorAlert))]
[JsonSerializable(typeof(List<MonitorAlert>))]
[JsonSerializable(typeof(LogState))]
internal sealed partial class MonitorJson : JsonSerializerContext;

/// <summary>
/// The alert feed, kept durably: one JSON line per alert in <c>alerts.jsonl</c> under the data directory, flushed to
/// disk before the alert is announced. Loaded at start-up; identifiers continue from the last one. The outbox (webhooks,
/// email) is durable too: <see cref="DeliveredFile"/> holds the id of the last alert whose deliveries finished, and the
/// alerts after it are delivered again after a restart.
/// </summary>
public sealed class AlertStore : IDisposable
{
    private readonly Lock _gate = new();
    private readonly List<MonitorAlert> _alerts = [];
    private readonly HashSet<(string Log, long Index)> _identityMatches = [];
    private readonly FileStream _file;
    private readonly Channel<MonitorAlert> _outbox = Channel.CreateUnbounded<MonitorAlert>(new UnboundedChannelOptions { SingleReader = true });
    private readonly MonitorMetrics _metrics;
    private readonly TimeProvider _time;
    private long _nextId = 1;
    private readonly string _deliveredPath;
    private readonly Lock _deliveredGate = new();
    private long _delivered;

    /// <summary>The file (in the data directory) with the id of the last alert whose webhook and email deliveries finished.</summary>
    public const string DeliveredFile = "alerts.delivered";

    /// <summary>Opens (or creates) the feed in <paramref name="dataDirectory"/>.</summary>
    public AlertStore(string dataDirectory, MonitorMetrics metrics, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(dataDirectory);
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        Directory.CreateDirectory(dataDirectory);
        var path = Path.Combine(dataDirectory, "alerts.jsonl");
        if (File.Exists(path))
        {
            DropTornTail(path);
            foreach (var line in File.ReadLines(path))
            {
                if (string.IsNullOrWhiteSpace(line)) continue;
                try
                {
                    if (JsonSerializer.Deserialize(line, MonitorJson.Default.MonitorAlert) is { } alert)
                    {
                        _alerts.Add(alert);
                        if (alert.Kind == AlertKinds.IdentityMatch && alert.LogIndex is { } index) _identityMatches.Add((alert.Log, index));
                        _nextId = Math.Max(_nextId, alert.Id + 1);
                    }
                }
                catch (JsonException)
                {
                    // a damaged line: skipped (a torn last line was cut off above)
                }
            }
        }
        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);

        // Deliveries resume after the last alert whose deliveries finished. No such file (a new feed, or one kept by an
        // earlier version): everything recorded so far counts as delivered, so that history is not sent again.
        _deliveredPath = Path.Combine(dataDirectory, DeliveredFile);
        if (File.Exists(_deliveredPath)
            && long.TryParse(File.ReadAllText(_deliveredPath).Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var delivered))
        {
            _delivered = delivered;
        }
        else
        {
            _delivered = _nextId - 1;
            WriteDelivered(_delivered);
        }
        foreach (var pending in _alerts.Where(a => a.Id > _delivered))
        {
            _outbox.Writer.TryWrite(pending);
        }
    }

    /// <summary>
    /// Records that the deliveries of alert <paramref name="id"/> (and of every alert before it: the outbox is delivered in
    /// order) finished, delivered or given up, so that a restart does not send them again.
    /// </summary>
    internal void MarkDelivered(long id)
    {
        lock (_deliveredGate)
        {
            if (id <= _delivered) return;
            WriteDelivered(id);
            _delivered = id;
        }
    }

    /// <summary>Replaces the delivered mark atomically (<see cref="Core.AtomicFile"/>: a temporary file flushed to disk, then renamed over it).</summary>
    private void WriteDelivered(long id) =>
        Core.AtomicFile.Write(_deliveredPath, System.Text.Encoding.ASCII.GetBytes(id.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n"));

    /// <summary>Alerts to deliver to webhooks (in order).</summary>
    internal ChannelReader<MonitorAlert> Outbox => _outbox.Reader;

    /// <summary>Records <paramref name="alert"/> (its id and time assigned here) durably, then announces it; returns it.</summary>
    public MonitorAlert Add(MonitorAlert alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        MonitorAlert stored;
        lock (_gate)
        {
            stored = alert with { Id = _nextId++, Time = _time.GetUtcNow() };
            var bytes = JsonSerializer.SerializeToUtf8Bytes(stored, MonitorJson.Default.MonitorAlert);
            _file.Write(bytes);
            _file.WriteByte((byte)'\n');
            _file.Flush(flushToDisk: true);
            _alerts.Add(stored);
            if (stored.Kind == AlertKinds.IdentityMatch && stored.LogIndex is { } index) _identityMatches.Add((stored.Log, index));
        }
        _metrics.Alert(stored.Kind, stored.Log);
        _outbox.Writer.TryWrite(stored);
        return stored;
    }

    /// <summary>
    /// Whether an identity-match alert for entry <paramref name="index"/> of <paramref name="log"/> is already recorded: the
    /// follower saves its position after a batch of entries, so after a crash it reads some entries again, and must not
    /// alert twice for one entry.
    /// </summary>
    public bool HasIdentityMatch(string log, long index)
    {
        lock (_gate)
        {
            return _identityMatches.Contains((log, index));
        }
    }

    /// <summary>
    /// Cuts a last line that a crash left without its newline (the alert was never announced: it is flushed before), so
    /// that the next alert does not land on the same line and become unreadable with it.
    /// </summary>
    private static void DropTornTail(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        var length = file.Length;
        if (length == 0) return;
        var one = new byte[1];
        file.Position = length - 1;
        if (file.Read(one) == 1 && one[0] == (byte)'\n') return;
        var keep = 0L;
        var buffer = new byte[64 * 1024];
        for (var end = length; end > 0 && keep == 0;)
        {
            var start = Math.Max(0, end - buffer.Length);
            file.Position = start;
            file.ReadExactly(buffer, 0, (int)(end - start));
            var at = Array.LastIndexOf(buffer, (byte)'\n', (int)(end - start) - 1);
            if (at >= 0) keep = start + at + 1;
            end = start;
        }
        file.SetLength(keep);
        file.Flush(flushToDisk: true);
    }

    /// <summary>Alerts with an id above <paramref name="since"/>, newest first, at most <paramref name="limit"/>.</summary>
    public List<MonitorAlert> List(long since = 0, int limit = 1000)
    {
        lock (_gate)
        {
            return [.. _alerts.Where(a => a.Id > since).Reverse().Take(limit)];
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _outbox.Writer.TryComplete();
        _file.Dispose();
    }
}
