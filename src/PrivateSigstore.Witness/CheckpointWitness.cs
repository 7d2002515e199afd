using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Core.Text;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Witness;

/// <summary>The answer to an add-checkpoint request: status, body and content type.</summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="Body">The body: cosignature lines (200), the known size (409) or the reason.</param>
/// <param name="ContentType">The content type of <paramref name="Body"/>.</param>
/// <param name="Outcome">The metric outcome.</param>
public sealed record AddCheckpointResult(int Status, string Body, string ContentType, string Outcome)
{
    internal const string TextPlain = "text/plain; charset=utf-8";

    /// <summary>The content type of a 409 body (tlog-witness).</summary>
    public const string SizeContentType = "text/x.tlog.size";

    internal static AddCheckpointResult Refuse(int status, string outcome, string reason) => new(status, reason + "\n", TextPlain, outcome);
}

/// <summary>
/// The c2sp.org/tlog-witness witness: verifies a log's checkpoint against the keys it knows for the origin, checks it is
/// consistent with the latest checkpoint it cosigned for that origin, persists it, and cosigns it (tlog-cosignature v1).
/// Checking and persisting are atomic per origin. Owns the key and the state store.
/// </summary>
public sealed partial class CheckpointWitness : IDisposable
{
    /// <summary>Most consistency proof lines a client may send (tlog-witness).</summary>
    public const int MaxProofLines = 63;

    private readonly IReadOnlyDictionary<string, IReadOnlyList<INoteVerifier>> _logs;
    private readonly CheckpointStore _store;
    private readonly ISigningKey _key;
    private readonly TimeProvider _time;
    private readonly WitnessMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _locks = new(StringComparer.Ordinal);

    internal CheckpointWitness(WitnessOptions options, ISigningKey key, CheckpointStore store, TimeProvider time, WitnessMetrics metrics, ILogger logger)
    {
        _logs = options.LoadKnownLogs();
        _key = key;
        _store = store;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        Cosigner = new Cosigner(options.Name, key);
        metrics.ObserveTreeSizes(() => _store.All().Select(c => new Measurement<long>(
            (long)Math.Min(c.Checkpoint.Size, long.MaxValue), new KeyValuePair<string, object?>("origin", c.Checkpoint.Origin))));
        LogStarted(logger, Cosigner.VerifierKey, _logs.Count, key.Description);
    }

    /// <summary>The witness's cosigner (name, key ID, verifier key).</summary>
    public Cosigner Cosigner { get; }

    /// <summary>The origins this witness cosigns.</summary>
    public IReadOnlyCollection<string> KnownOrigins => [.. _logs.Keys];

    /// <summary>The latest cosigned checkpoint of <paramref name="origin"/> (log signatures and the witness's cosignature), or null.</summary>
    public SignedCheckpoint? Latest(string origin) => _store.Latest(origin);

    /// <summary>The latest cosigned checkpoint whose origin hashes (lowercase hex SHA-256) to <paramref name="originHash"/>, or null.</summary>
    public SignedCheckpoint? LatestByOriginHash(string originHash)
    {
        foreach (var origin in _logs.Keys)
        {
            if (string.Equals(CheckpointStore.OriginHash(origin), originHash, StringComparison.Ordinal)) return _store.Latest(origin);
        }

        return null;
    }

    /// <summary>Handles a tlog-witness add-checkpoint request body; never throws for bad input (only for a failing key or disk).</summary>
    public async Task<AddCheckpointResult> AddCheckpointAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        var result = await AddCoreAsync(body, cancellationToken).ConfigureAwait(false);
        _metrics.AddCheckpoint(result.Outcome, result.Status);
        return result;
    }

    private async Task<AddCheckpointResult> AddCoreAsync(ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        if (!TryParse(body.Span, out var oldSize, out var proof, out var submitted, out var malformed))
        {
            LogRefused(_logger, 400, "-", malformed);
            return AddCheckpointResult.Refuse(400, "malformed", malformed);
        }

        var checkpoint = submitted.Checkpoint;
        var origin = checkpoint.Origin;
        if (oldSize > checkpoint.Size)
        {
            var reason = Invariant($"old size {oldSize} is larger than the checkpoint size {checkpoint.Size}");
            LogRefused(_logger, 400, origin, reason);
            return AddCheckpointResult.Refuse(400, "malformed", reason);
        }

        if (!_logs.TryGetValue(origin, out var verifiers))
        {
            LogRefused(_logger, 404, origin, "unknown origin");
            return AddCheckpointResult.Refuse(404, "unknown_origin", $"unknown log origin \"{origin}\"");
        }

        IReadOnlyList<INoteVerifier> verified;
        try
        {
            verified = submitted.Note.Verify(verifiers);
        }
        catch (NoteVerificationException e)
        {
            LogRefused(_logger, 403, origin, e.Message);
            return AddCheckpointResult.Refuse(403, "forbidden", e.Message);
        }

        var gate = _locks.GetOrAdd(origin, static _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var latest = _store.Latest(origin);
            var latestSize = latest?.Checkpoint.Size ?? 0;
            if (oldSize != latestSize)
            {
                LogConflict(_logger, origin, oldSize, latestSize);
                return new AddCheckpointResult(409, latestSize.ToString(CultureInfo.InvariantCulture) + "\n", AddCheckpointResult.SizeContentType, "conflict");
            }

            if (CheckConsistency(oldSize, proof, latest?.Checkpoint, checkpoint) is { } inconsistent)
            {
                // A validly signed checkpoint that does not extend what we cosigned may be evidence of a split view: keep it in the log.
                LogInconsistent(_logger, origin, checkpoint.Size, inconsistent, submitted.Serialize());
                return AddCheckpointResult.Refuse(422, "inconsistent", inconsistent);
            }

            var timestamp = (ulong)Math.Max(1, _time.GetUtcNow().ToUnixTimeSeconds());
            var cosignature = Cosigner.Cosign(submitted.Note.TextUtf8.Span, timestamp);
            var keep = new List<NoteSignature>();
            foreach (var signature in submitted.Note.Signatures)
            {
                if (verified.Any(v => v.Name == signature.Name && v.KeyHash == signature.KeyHash)
                    && !keep.Any(k => k.Name == signature.Name && k.KeyHash == signature.KeyHash))
                {
                    keep.Add(signature);
                }
            }

            keep.Add(cosignature);
            _store.Save(new SignedCheckpoint(new SignedNote(submitted.Note.Text, keep)));
            LogCosigned(_logger, origin, checkpoint.Size, oldSize, timestamp);
            return new AddCheckpointResult(200, SignatureLine(cosignature), AddCheckpointResult.TextPlain, "cosigned");
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The tlog-witness consistency rules; null when the checkpoint may be cosigned, else the reason (422).</summary>
    private static string? CheckConsistency(ulong oldSize, List<byte[]> proof, Checkpoint? latest, Checkpoint checkpoint)
    {
        if (checkpoint.Size == 0 && !checkpoint.RootHash.AsSpan().SequenceEqual(Rfc6962.EmptyRoot))
        {
            return "a checkpoint of size 0 must have the root hash of the empty tree";
        }

        if (oldSize == 0)
        {
            return proof.Count == 0 ? null : "old size is 0, so the consistency proof must be empty";
        }

        // oldSize == latest size > 0, so latest is set.
        var known = latest!;
        if (oldSize == checkpoint.Size)
        {
            if (proof.Count != 0) return "old size equals the checkpoint size, so the consistency proof must be empty";
            return known.RootHash.AsSpan().SequenceEqual(checkpoint.RootHash)
                ? null
                : Invariant($"the root hash at size {oldSize} differs from the one this witness cosigned (split view)");
        }

        return ProofVerifier.TryVerifyConsistency(oldSize, checkpoint.Size, proof, known.RootHash, checkpoint.RootHash, out var reason)
            ? null
            : Invariant($"the consistency proof from size {oldSize} to {checkpoint.Size} does not verify: {reason}");
    }

    /// <summary>Parses <c>old N\n</c>, up to 63 base64 proof lines, a blank line, and the signed checkpoint.</summary>
    internal static bool TryParse(ReadOnlySpan<byte> body, out ulong oldSize, out List<byte[]> proof, out SignedCheckpoint checkpoint, out string reason)
    {
        oldSize = 0;
        proof = [];
        checkpoint = null!;
        var newline = body.IndexOf((byte)'\n');
        if (newline < 0 || !body.StartsWith("old "u8))
        {
            reason = "the body must start with an old size line \"old <size>\\n\"";
            return false;
        }

        var digits = body[4..newline];
        if (digits.IsEmpty || digits.Length > 20 || (digits[0] == (byte)'0' && digits.Length > 1)
            || digits.IndexOfAnyExceptInRange((byte)'0', (byte)'9') >= 0
            || !ulong.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out oldSize))
        {
            reason = "the old size is not a canonical decimal number";
            return false;
        }

        body = body[(newline + 1)..];
        while (true)
        {
            newline = body.IndexOf((byte)'\n');
            if (newline < 0)
            {
                reason = "no blank line between the consistency proof and the checkpoint";
                return false;
            }

            var line = body[..newline];
            body = body[(newline + 1)..];
            if (line.IsEmpty) break;
            if (proof.Count == MaxProofLines)
            {
                reason = Invariant($"more than {MaxProofLines} consistency proof lines");
                return false;
            }

            if (line.IndexOfAnyExceptInRange((byte)0x21, (byte)0x7e) >= 0 || !StrictBase64.TryDecode(Encoding.ASCII.GetString(line), out var hash))
            {
                reason = Invariant($"consistency proof line {proof.Count + 1} is not standard base64");
                return false;
            }

            if (hash.Length != Rfc6962.HashSize)
            {
                reason = Invariant($"consistency proof line {proof.Count + 1} is not a {Rfc6962.HashSize}-byte hash");
                return false;
            }

            proof.Add(hash);
        }

        try
        {
            checkpoint = SignedCheckpoint.Parse(body);
        }
        catch (WireFormatException e)
        {
            reason = "the checkpoint is malformed: " + e.Message;
            return false;
        }

        reason = "";
        return true;
    }

    /// <summary>A note signature line, <c>— name base64(key ID || signature)\n</c>.</summary>
    internal static string SignatureLine(NoteSignature signature)
    {
        var raw = new byte[4 + signature.Signature.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(raw, signature.KeyHash);
        signature.Signature.CopyTo(raw, 4);
        return "\u2014 " + signature.Name + " " + Convert.ToBase64String(raw) + "\n";
    }

    /// <summary>Cosigns a fixed probe checkpoint and verifies the cosignature (readiness: the key signs).</summary>
    internal void Probe()
    {
        var text = Encoding.UTF8.GetBytes("witness.readiness.probe\n0\n" + Convert.ToBase64String(Rfc6962.EmptyRoot) + "\n");
        _ = Cosigner.Cosign(text, (ulong)Math.Max(1, _time.GetUtcNow().ToUnixTimeSeconds()));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _store.Dispose();
        _key.Dispose();
        foreach (var gate in _locks.Values) gate.Dispose();
    }

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    [LoggerMessage(EventId = 8300, Level = LogLevel.Information, Message = "Witness started: verifier key {VerifierKey}, {Logs} known log(s), key {Key}")]
    private static partial void LogStarted(ILogger logger, string verifierKey, int logs, string key);

    [LoggerMessage(EventId = 8301, Level = LogLevel.Information, Message = "Cosigned {Origin} at size {Size} (old size {OldSize}, time {Timestamp})")]
    private static partial void LogCosigned(ILogger logger, string origin, ulong size, ulong oldSize, ulong timestamp);

    [LoggerMessage(EventId = 8302, Level = LogLevel.Warning, Message = "add-checkpoint refused with {Status} (origin {Origin}): {Reason}")]
    private static partial void LogRefused(ILogger logger, int status, string origin, string reason);

    [LoggerMessage(EventId = 8303, Level = LogLevel.Information, Message = "add-checkpoint conflict for {Origin}: old size {OldSize}, the witness has {KnownSize}")]
    private static partial void LogConflict(ILogger logger, string origin, ulong oldSize, ulong knownSize);

    [LoggerMessage(EventId = 8304, Level = LogLevel.Error, Message = "INCONSISTENT validly signed checkpoint from {Origin} at size {Size}, not cosigned (possible log misbehaviour): {Reason}. Checkpoint: {Checkpoint}")]
    private static partial void LogInconsistent(ILogger logger, string origin, ulong size, string reason, string checkpoint);
}
