using System.Security.Cryptography;
using System.Text;
using PrivateSigstore.Core.Merkle;

namespace PrivateSigstore.Monitor;

/// <summary>
/// Follows one log: every poll it fetches the newest head (signature verified by the source), checks it against the last
/// verified one (smaller → <see cref="AlertKinds.LogShrunk"/>, same size and another root →
/// <see cref="AlertKinds.RootChanged"/>, larger → a consistency proof that must verify), stores it durably, and reads
/// the new entries for the identity watch and the full audit. Every failure becomes an alert or a log line, never a crash;
/// a problem that persists is alerted once (remembered in the state, across restarts).
/// </summary>
internal sealed partial class LogFollower(
    ILogSource source,
    LogStateStore states,
    AlertStore alerts,
    IdentityWatch? identities,
    MonitorOptions options,
    MonitorMetrics metrics,
    TimeProvider time,
    ILogger<LogFollower> logger) : BackgroundService
{
    private LogState? _state;
    private string? _lastProblemWithoutState;

    /// <summary>Witnesses shown each newly verified checkpoint (note-format logs only), or null.</summary>
    internal WitnessFeed? Witnesses { get; init; }

    /// <summary>The last verified state (tests, health).</summary>
    internal LogState? State => _state;

    /// <summary>Polls completed (tests wait on it).</summary>
    internal long Polls => Interlocked.Read(ref _polls);

    private long _polls;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _state = states.Load(source.Name);
        if (_state is not null) metrics.TreeSize(source.Name, _state.Size);
        while (!stoppingToken.IsCancellationRequested)
        {
            var before = _state?.NextEntry;
            await PollOnceAsync(stoppingToken).ConfigureAwait(false);
            Interlocked.Increment(ref _polls);
            // Catching up (entries left to read and this poll made progress): poll again at once, not after the interval.
            if (_state is { } caught && caught.NextEntry < caught.Size && before is { } b && caught.NextEntry > b) continue;
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(options.PollIntervalMilliseconds), time, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>One poll; never throws except on cancellation.</summary>
    internal async Task PollOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            await PollAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (MalformedLogResponseException e)
        {
            Problem(AlertKinds.MalformedResponse, $"the log answered something malformed: {e.Message}", new() { ["detail"] = e.Message });
        }
        catch (BadLogSignatureException e)
        {
            Problem(AlertKinds.InvalidSignature, e.Message, Evidence(e.Evidence));
        }
        catch (HttpRequestException e)
        {
            LogUnreachable(logger, source.Name, e.Message);
        }
        catch (TaskCanceledException e)
        {
            LogUnreachable(logger, source.Name, "timed out: " + e.Message);
        }
#pragma warning disable CA1031 // the follower must survive anything a log serves
        catch (Exception e)
#pragma warning restore CA1031
        {
            Problem(AlertKinds.MalformedResponse, $"the log's answer could not be processed: {e.GetType().Name}: {e.Message}", new() { ["detail"] = e.ToString() });
        }
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        var head = await source.GetHeadAsync(cancellationToken).ConfigureAwait(false);
        var now = time.GetUtcNow();
        var state = _state;
        if (state is null)
        {
            // Trust on first use: the first verified head is the starting point; entries before it are not read.
            state = new LogState { Log = source.Name, Size = head.Size, RootHash = Convert.ToHexStringLower(head.RootHash), Checkpoint = head.Evidence, LastGrowth = now, NextEntry = head.Size };
            if (options.FullAudit && head.Size > 0)
            {
                // Auditing starts at 0 when the log is new to us, so the whole tree is recomputed.
                state.NextEntry = 0;
                state.AuditRange = [];
            }
            Save(state);
            metrics.CheckpointVerified(source.Name, head.Size);
            LogFirstCheckpoint(logger, source.Name, head.Size);
            _state = state;
            await FeedWitnessesAsync(head, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            var root = Convert.FromHexString(state.RootHash);
            if (head.Size < state.Size)
            {
                Problem(AlertKinds.LogShrunk, $"the log went backwards: size {head.Size} after a verified {state.Size}", Evidence(head.Evidence), HeadIdentity(head));
                return;
            }
            if (head.Size == state.Size)
            {
                if (!CryptographicOperations.FixedTimeEquals(head.RootHash, root))
                {
                    Problem(AlertKinds.RootChanged, $"the root at size {head.Size} changed: a fork", Evidence(head.Evidence), HeadIdentity(head));
                    return;
                }
                CheckStall(state, head, now);
            }
            else
            {
                if (state.Size > 0)
                {
                    IReadOnlyList<byte[]> proof;
                    try
                    {
                        proof = await source.GetConsistencyProofAsync(state.Size, head, cancellationToken).ConfigureAwait(false);
                    }
                    catch (MalformedLogResponseException e)
                    {
                        Problem(AlertKinds.ConsistencyFailed, $"no consistency proof from {state.Size} to {head.Size}: {e.Message}", Evidence(head.Evidence), HeadIdentity(head));
                        return;
                    }
                    if (!ProofVerifier.TryVerifyConsistency((ulong)state.Size, (ulong)head.Size, proof, root, head.RootHash, out var error))
                    {
                        Problem(AlertKinds.ConsistencyFailed, $"the consistency proof from {state.Size} to {head.Size} does not verify: {error}", Evidence(head.Evidence), HeadIdentity(head));
                        return;
                    }
                }
                state.Size = head.Size;
                state.RootHash = Convert.ToHexStringLower(head.RootHash);
                state.Checkpoint = head.Evidence;
                state.LastGrowth = now;
                state.LastProblem = null;
                Save(state);
                metrics.CheckpointVerified(source.Name, head.Size);
                LogVerified(logger, source.Name, head.Size);
                _state = state;
                await FeedWitnessesAsync(head, cancellationToken).ConfigureAwait(false);
            }
        }
        _state = state;
        await ReadEntriesAsync(state, head, cancellationToken).ConfigureAwait(false);
    }

    private void CheckStall(LogState state, LogHead head, DateTimeOffset now)
    {
        // Only CT heads carry a timestamp (RFC 6962 §3.5: a fresh STH at least every MMD). Rekor v1 and v2 integrate an
        // entry before answering its upload, so there is nothing pending to see: no stall check for them.
        if (options.MaxMergeDelaySeconds <= 0 || head.Timestamp is not { } stamp) return;
        var age = now - stamp;
        if (age > TimeSpan.FromSeconds(options.MaxMergeDelaySeconds))
        {
            Problem(AlertKinds.Stalled, $"the newest signed tree head is {age.TotalSeconds:F0} s old, beyond the maximum merge delay of {options.MaxMergeDelaySeconds} s", Evidence(head.Evidence), HeadIdentity(head));
        }
        else if (state.LastProblem?.StartsWith(AlertKinds.Stalled, StringComparison.Ordinal) == true)
        {
            state.LastProblem = null;
            Save(state);
        }
    }

    private async Task ReadEntriesAsync(LogState state, LogHead head, CancellationToken cancellationToken)
    {
        var audit = options.FullAudit;
        if (!audit && (identities is null || identities.IsEmpty))
        {
            if (state.NextEntry != state.Size)
            {
                state.NextEntry = state.Size;
                Save(state);
            }
            return;
        }
        if (state.NextEntry >= state.Size) return;
        CompactRange? range = null;
        if (audit)
        {
            range = state.AuditRange is { } hashes && (hashes.Count > 0 || state.NextEntry == 0)
                ? new CompactRange((ulong)state.NextEntry, [.. hashes.Select(Convert.FromHexString)])
                : null;
            if (range is null)
            {
                // Audit turned on over existing state: recompute from the start.
                state.NextEntry = 0;
                range = CompactRange.Empty();
            }
        }
        var end = Math.Min(state.Size, state.NextEntry + options.MaxEntriesPerPoll);
        var read = 0L;
        // A tiled log is read several entry bundles at a time: each is fetched, its leaves hashed and its entries matched
        // on the thread pool, and the results are taken in log order (the tree and the state advance strictly in order).
        var window = new Queue<Task<ReadBatch>>();
        var scheduled = state.NextEntry;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            while (state.NextEntry < end)
            {
                if (window.Count == 0) scheduled = state.NextEntry;
                while (scheduled < end && (window.Count == 0 || (window.Count < PrefetchBundles && source.ChunkEnd(scheduled, end) is not null)))
                {
                    var from = scheduled;
                    var to = source.ChunkEnd(from, end) ?? end;
                    window.Enqueue(Task.Run(() => ReadBatchAsync(from, to, head, stop.Token), stop.Token));
                    scheduled = to;
                }
                var batch = await window.Dequeue().ConfigureAwait(false);
                for (var i = 0; i < batch.Entries.Count; i++)
                {
                    var entry = batch.Entries[i];
                    if (entry.Index != state.NextEntry) throw new MalformedLogResponseException($"expected entry {state.NextEntry}, got {entry.Index}");
                    range?.Append(batch.LeafHashes[i]);
                    // An entry read again after a crash (the position is saved per batch) is not alerted twice.
                    if (batch.Matches?[i] is { } match && !alerts.HasIdentityMatch(source.Name, entry.Index))
                    {
                        var alert = alerts.Add(new MonitorAlert
                        {
                            Kind = AlertKinds.IdentityMatch,
                            Log = source.Name,
                            LogKind = source.Kind.ToString(),
                            Message = $"entry {entry.Index} matches a watched identity: {match.Identity}",
                            LogIndex = entry.Index,
                            EntryUuid = entry.Uuid ?? Convert.ToHexStringLower(batch.LeafHashes[i]),
                            Identity = match.Identity,
                            Issuer = match.Issuer,
                            EntryTime = entry.Time,
                            Evidence = new()
                            {
                                ["rules"] = string.Join("; ", match.Rules),
                                ["certificateSha256"] = match.Fingerprint,
                                ["leafHash"] = Convert.ToHexStringLower(batch.LeafHashes[i]),
                            },
                        });
                        LogAlert(logger, alert.Kind, source.Name, alert.Message);
                    }
                    state.NextEntry++;
                    read++;
                    if (state.NextEntry >= end) break;
                }
            }
        }
        finally
        {
            // A failed read (or the end of this poll's range) leaves reads in flight: stop them, and observe their outcome.
            await stop.CancelAsync().ConfigureAwait(false);
            foreach (var pending in window)
            {
                try
                {
                    await pending.ConfigureAwait(false);
                }
                catch (Exception) when (pending.IsCanceled || pending.IsFaulted)
                {
                    // already failed or stopped: the first failure in log order is the one reported
                }
            }
        }
        metrics.EntriesRead(source.Name, read);
        if (range is not null)
        {
            state.AuditRange = [.. range.Hashes.Select(Convert.ToHexStringLower)];
            if (state.NextEntry == state.Size)
            {
                var computed = range.GetRootHash();
                if (!CryptographicOperations.FixedTimeEquals(computed, Convert.FromHexString(state.RootHash)))
                {
                    Problem(AlertKinds.AuditMismatch, $"the root recomputed from entries 0..{state.Size - 1} is {Convert.ToHexStringLower(computed)}, the checkpoint says {state.RootHash}", Evidence(head.Evidence), HeadIdentity(head));
                }
            }
        }
        Save(state);
    }

    /// <summary>Shows the verified checkpoint to the witnesses; a refusal is another view of the log: a split-view alert.</summary>
    private async Task FeedWitnessesAsync(LogHead head, CancellationToken cancellationToken)
    {
        if (Witnesses is null) return;
        var refusals = await Witnesses.SubmitAsync(head.Evidence, (ulong)head.Size,
            async (old, ct) => await source.GetConsistencyProofAsync((long)old, head, ct).ConfigureAwait(false),
            (witness, reason) => LogWitnessProblem(logger, witness, source.Name, reason), cancellationToken).ConfigureAwait(false);
        foreach (var refusal in refusals)
        {
            Problem(AlertKinds.SplitView,
                $"witness {refusal.Witness} refused the checkpoint at size {head.Size} (HTTP {refusal.Status}: {refusal.Reason}): it has cosigned another view of this log",
                new Dictionary<string, string>
                {
                    ["current"] = head.Evidence,
                    ["witness"] = refusal.Witness.ToString(),
                    ["witnessCheckpoint"] = refusal.WitnessCheckpoint ?? "",
                    ["witnessReason"] = refusal.Reason,
                },
                "witness:" + refusal.Witness + ":" + HeadIdentity(head));
        }
    }

    private Dictionary<string, string> Evidence(string current) => new()
    {
        ["previous"] = _state?.Checkpoint ?? "",
        ["current"] = current,
    };

    /// <summary>
    /// Alerts <paramref name="kind"/> unless the same problem (<paramref name="identity"/>: the offending tree head's
    /// size and root, or the message; not the note's bytes, whose ECDSA signature may differ on every answer) was the
    /// last one alerted for this log.
    /// </summary>
    private void Problem(string kind, string message, Dictionary<string, string> evidence, string? identity = null)
    {
        var key = kind + ":" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity ?? message)));
        if ((_state?.LastProblem ?? _lastProblemWithoutState) == key) return;
        _lastProblemWithoutState = key;
        var alert = alerts.Add(new MonitorAlert { Kind = kind, Log = source.Name, LogKind = source.Kind.ToString(), Message = message, Evidence = evidence });
        LogAlert(logger, alert.Kind, source.Name, alert.Message);
        if (_state is not null)
        {
            _state.LastProblem = key;
            Save(_state);
        }
    }

    /// <summary>How many entry bundles of a tiled log are read at once.</summary>
    private const int PrefetchBundles = 8;

    /// <summary>Entries read, with their leaf hashes and (under an identity watch) their matches, index for index.</summary>
    private sealed record ReadBatch(IReadOnlyList<LogEntryRead> Entries, byte[][] LeafHashes, IdentityMatch?[]? Matches);

    private async Task<ReadBatch> ReadBatchAsync(long start, long end, LogHead head, CancellationToken cancellationToken)
    {
        var entries = await source.GetEntriesAsync(start, end, head, cancellationToken).ConfigureAwait(false);
        // All leaves at once: multi-buffer SHA-256 where the CPU has it, several times faster than one by one.
        var leaves = new byte[entries.Count][];
        for (var i = 0; i < entries.Count; i++) leaves[i] = entries[i].Leaf;
        var all = new byte[entries.Count * Rfc6962.HashSize];
        Rfc6962.HashLeaves(leaves, all);
        var hashes = new byte[entries.Count][];
        var matches = identities is null ? null : new IdentityMatch?[entries.Count];
        for (var i = 0; i < entries.Count; i++)
        {
            hashes[i] = all.AsSpan(i * Rfc6962.HashSize, Rfc6962.HashSize).ToArray();
            if (matches is not null) matches[i] = identities!.Match(entries[i].GetMaterial());
        }
        return new ReadBatch(entries, hashes, matches);
    }

    private static string HeadIdentity(LogHead head) =>
        head.Size.ToString(System.Globalization.CultureInfo.InvariantCulture) + ":" + Convert.ToHexStringLower(head.RootHash);

    private void Save(LogState state) => states.Save(state);

    [LoggerMessage(EventId = 8201, Level = LogLevel.Error, Message = "Monitor alert {Kind} on {Log}: {Message}")]
    private static partial void LogAlert(ILogger logger, string kind, string log, string message);

    [LoggerMessage(EventId = 8202, Level = LogLevel.Warning, Message = "Monitor: {Log} is unreachable: {Reason}")]
    private static partial void LogUnreachable(ILogger logger, string log, string reason);

    [LoggerMessage(EventId = 8205, Level = LogLevel.Warning, Message = "Monitor: witness {Witness} did not cosign the checkpoint of {Log}: {Reason}")]
    private static partial void LogWitnessProblem(ILogger logger, Uri witness, string log, string reason);

    [LoggerMessage(EventId = 8203, Level = LogLevel.Information, Message = "Monitor: first verified checkpoint of {Log} at size {Size} (trusted on first use)")]
    private static partial void LogFirstCheckpoint(ILogger logger, string log, long size);

    [LoggerMessage(EventId = 8204, Level = LogLevel.Information, Message = "Monitor: {Log} verified consistent at size {Size}")]
    private static partial void LogVerified(ILogger logger, string log, long size);
}
