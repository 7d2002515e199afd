using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Extensions.Logging;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Log;

/// <summary>One witness a log asks to cosign its checkpoints (c2sp.org/tlog-witness).</summary>
public sealed class WitnessTarget
{
    /// <summary>The witness's base URL; the log posts to <c>&lt;Url&gt;/add-checkpoint</c>.</summary>
    public string Url { get; set; } = "";

    /// <summary>
    /// The witness's verifier key (<c>name+hex8+base64(0x04 ‖ Ed25519 key)</c>, as its <c>/api/v1/witness</c> shows):
    /// a returned cosignature counts only if it verifies under this key.
    /// </summary>
    public string VerifierKey { get; set; } = "";
}

/// <summary>
/// The witness policy of a log (section "&lt;Service&gt;:Witnessing"), like Tessera's: which witnesses to ask, how many
/// cosignatures a checkpoint needs before it is published (N of M), and what happens when fewer answer.
/// </summary>
public sealed class CheckpointWitnessOptions
{
    /// <summary>The witnesses (M). Empty: witnessing is off and checkpoints are published as the log signs them.</summary>
    public List<WitnessTarget> Witnesses { get; set; } = [];

    /// <summary>Cosignatures needed (N); 0 means all of <see cref="Witnesses"/>.</summary>
    public int Threshold { get; set; }

    /// <summary>
    /// False (default, fail closed): a checkpoint with fewer than N cosignatures is not published; appends that need it
    /// get 503 + Retry-After and the served checkpoint stays at the last one that met the policy. True (fail open): it is
    /// published with the cosignatures it got, and a warning and a metric say so.
    /// </summary>
    public bool FailOpen { get; set; }

    /// <summary>How long one round of asking the witnesses may take.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>True when at least one witness is configured.</summary>
    public bool Enabled => Witnesses.Count > 0;

    /// <summary>N: the cosignatures a checkpoint needs.</summary>
    public int RequiredCosignatures => Threshold == 0 ? Witnesses.Count : Threshold;

    /// <summary>Throws naming the first bad setting.</summary>
    public void Validate(string section)
    {
        for (var i = 0; i < Witnesses.Count; i++)
        {
            var w = Witnesses[i];
            if (!Uri.TryCreate(w.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                throw new ArgumentException($"{section}:Witnessing:Witnesses:{i}:Url must be an absolute http(s) URL, got \"{w.Url}\"");
            }
            try
            {
                Cosignature.ParseVerifierKey(w.VerifierKey);
            }
            catch (Core.WireFormatException e)
            {
                throw new ArgumentException($"{section}:Witnessing:Witnesses:{i}:VerifierKey is not a witness verifier key (name+hex8+base64): {e.Reason}", e);
            }
        }
        if (Threshold < 0 || Threshold > Witnesses.Count)
        {
            throw new ArgumentException($"{section}:Witnessing:Threshold must be in 0..{Witnesses.Count} (the number of witnesses; 0 = all)");
        }
        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromMinutes(1)) throw new ArgumentException($"{section}:Witnessing:Timeout must be in (0, 1 min]");
    }
}

/// <summary>A checkpoint as published: the log's signed note plus the witnesses' cosignature lines.</summary>
/// <param name="Size">Tree size.</param>
/// <param name="RootHash">Root hash.</param>
/// <param name="SignedNote">The note with the log's signature and the cosignatures.</param>
/// <param name="Cosignatures">How many verified cosignatures it carries.</param>
/// <param name="MeetsPolicy">Whether it has the N cosignatures the policy asks for (false only when failing open).</param>
public sealed record WitnessedCheckpoint(ulong Size, byte[] RootHash, string SignedNote, int Cosignatures, bool MeetsPolicy);

/// <summary>
/// Asks a log's witnesses to cosign its checkpoints (c2sp.org/tlog-witness <c>add-checkpoint</c>, with a consistency
/// proof from the size each witness last cosigned) and keeps the newest checkpoint that may be published under the
/// policy. Rounds are serialized and coalesced: a caller that needs size ≥ s reuses a published checkpoint that covers
/// it, so under load one round serves many appends.
/// </summary>
public sealed partial class CheckpointWitnessing : IDisposable
{
    private readonly CheckpointWitnessOptions _options;
    private readonly HttpClient _http;
    private readonly ILogger _logger;
    private readonly Witness[] _witnesses;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Meter _meter = new("PrivateSigstore.Log");
    private readonly Counter<long> _rounds;
    private readonly Counter<long> _refusals;
    private WitnessedCheckpoint? _latest;

    /// <summary>Creates the witnessing for one log; <paramref name="http"/> is used for every witness.</summary>
    public CheckpointWitnessing(CheckpointWitnessOptions options, HttpClient http, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _http = http ?? throw new ArgumentNullException(nameof(http));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _witnesses = [.. options.Witnesses.Select(w =>
        {
            var (name, key) = Cosignature.ParseVerifierKey(w.VerifierKey);
            return new Witness(new Uri(w.Url.TrimEnd('/') + "/add-checkpoint"), name, key);
        })];
        _rounds = _meter.CreateCounter<long>("privatesigstore.log.witness.rounds", "{round}", "Checkpoint witnessing rounds, by whether the policy was met");
        _refusals = _meter.CreateCounter<long>("privatesigstore.log.witness.refusals", "{response}", "Witness answers that gave no cosignature, by witness and status");
    }

    /// <summary>The newest published checkpoint, or null before the first round.</summary>
    public WitnessedCheckpoint? Latest => Volatile.Read(ref _latest);

    /// <summary>N of M, for messages.</summary>
    public string PolicyText => $"{_options.RequiredCosignatures} of {_witnesses.Length} witnesses, fail {(_options.FailOpen ? "open" : "closed")}";

    /// <summary>
    /// A published checkpoint of size ≥ <paramref name="minSize"/>: the newest one if it covers it, else the log's current
    /// checkpoint once the witnesses have cosigned it.
    /// </summary>
    /// <exception cref="LogPushbackException">Failing closed, and fewer than N witnesses cosigned (503 + Retry-After).</exception>
    public async Task<WitnessedCheckpoint> WitnessAsync(TransparencyLog log, ulong minSize, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (Latest is { } latest && latest.Size >= minSize) return latest;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Latest is { } again && again.Size >= minSize) return again;
            var checkpoint = log.LatestCheckpoint;
            var note = SignedNote.Parse(checkpoint.SignedNote);
            using var timeout = new CancellationTokenSource(_options.Timeout);
            var answers = await Task.WhenAll(_witnesses.Select(w => CosignAsync(w, log, checkpoint, note, timeout.Token))).ConfigureAwait(false);
            var cosignatures = answers.OfType<NoteSignature>().ToList();
            var meets = cosignatures.Count >= _options.RequiredCosignatures;
            _rounds.Add(1, new KeyValuePair<string, object?>("policy.met", meets));
            if (!meets)
            {
                if (!_options.FailOpen)
                {
                    PolicyNotMet(_logger, checkpoint.Size, cosignatures.Count, PolicyText);
                    throw new LogPushbackException(
                        $"the checkpoint at size {checkpoint.Size} has {cosignatures.Count} witness cosignatures and the log's witness policy needs {_options.RequiredCosignatures} (fail closed); retry later",
                        TimeSpan.FromSeconds(2));
                }
                PublishedUnwitnessed(_logger, checkpoint.Size, cosignatures.Count, PolicyText);
            }
            var published = new WitnessedCheckpoint(checkpoint.Size, checkpoint.RootHash,
                new SignedNote(note.Text, [.. note.Signatures, .. cosignatures]).Serialize(), cosignatures.Count, meets);
            Volatile.Write(ref _latest, published);
            return published;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<NoteSignature?> CosignAsync(Witness witness, TransparencyLog log, LogCheckpoint checkpoint, SignedNote note, CancellationToken cancellationToken)
    {
        var oldSize = witness.KnownSize;
        // At most two tries: the first with the size we last saw cosigned, the second with the size a 409 names.
        for (var attempt = 0; attempt < 2; attempt++)
        {
            if (oldSize > checkpoint.Size)
            {
                Refused(witness, "ahead", $"the witness has cosigned size {oldSize}, beyond the log's {checkpoint.Size}: another view of this log exists");
                return null;
            }
            try
            {
                var proof = oldSize == 0 || oldSize == checkpoint.Size ? [] : await log.GetConsistencyProofAsync(oldSize, checkpoint.Size, cancellationToken).ConfigureAwait(false);
                using var content = new StringContent(AddCheckpointRequest.Format(oldSize, proof, checkpoint.SignedNote), Encoding.UTF8, "text/plain");
                using var response = await _http.PostAsync(witness.Url, content, cancellationToken).ConfigureAwait(false);
                var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                if (response.StatusCode == HttpStatusCode.Conflict
                    && ulong.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var known) && known != oldSize && attempt == 0)
                {
                    oldSize = known;
                    continue;
                }
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    Refused(witness, ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture), $"HTTP {(int)response.StatusCode}: {Trim(text)}");
                    return null;
                }
                var signature = ParseCosignature(witness, note, text);
                if (signature is null)
                {
                    Refused(witness, "bad_cosignature", $"its answer has no cosignature that verifies under its key: {Trim(text)}");
                    return null;
                }
                witness.KnownSize = checkpoint.Size;
                return signature;
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException or LogRangeException or FormatException)
            {
                Refused(witness, "unreachable", e is OperationCanceledException ? $"no answer within {_options.Timeout.TotalSeconds:0.#} s" : e.Message);
                return null;
            }
        }
        Refused(witness, "409", "it still reports another size after a retry");
        return null;
    }

    private static NoteSignature? ParseCosignature(Witness witness, SignedNote note, string answer)
    {
        SignedNote parsed;
        try
        {
            parsed = SignedNote.Parse(note.Text + "\n" + answer);
        }
        catch (Core.WireFormatException)
        {
            return null;
        }
        foreach (var signature in parsed.Signatures)
        {
            if (Cosignature.Verify(signature, witness.Name, witness.PublicKey, note.Text, out _)) return signature;
        }
        return null;
    }

    private void Refused(Witness witness, string status, string reason)
    {
        _refusals.Add(1, new KeyValuePair<string, object?>("witness", witness.Name), new KeyValuePair<string, object?>("status", status));
        WitnessRefused(_logger, witness.Name, witness.Url, reason);
    }

    private static string Trim(string text)
    {
        var t = text.Trim();
        return t.Length <= 300 ? t : t[..300] + "…";
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _gate.Dispose();
        _meter.Dispose();
    }

    private sealed class Witness(Uri url, string name, byte[] publicKey)
    {
        public Uri Url { get; } = url;

        public string Name { get; } = name;

        public byte[] PublicKey { get; } = publicKey;

        private long _knownSize;

        public ulong KnownSize
        {
            get => (ulong)Interlocked.Read(ref _knownSize);
            set => Interlocked.Exchange(ref _knownSize, (long)value);
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Witness {Witness} ({Url}) gave no cosignature: {Reason}")]
    private static partial void WitnessRefused(ILogger logger, string witness, Uri url, string reason);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Error, Message = "Checkpoint at size {Size} not published: {Cosignatures} cosignatures, policy {Policy}")]
    private static partial void PolicyNotMet(ILogger logger, ulong size, int cosignatures, string policy);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Warning, Message = "Checkpoint at size {Size} published with only {Cosignatures} cosignatures (policy {Policy})")]
    private static partial void PublishedUnwitnessed(ILogger logger, ulong size, int cosignatures, string policy);
}
