using PrivateSigstore.Core.Ct;
using PrivateSigstore.Keys;
using PrivateSigstore.Log;

namespace PrivateSigstore.CtLog;

/// <summary>An RFC 6962 signed tree head.</summary>
/// <param name="TreeSize">Tree size.</param>
/// <param name="Timestamp">Milliseconds since the Unix epoch.</param>
/// <param name="RootHash">SHA-256 root hash.</param>
/// <param name="Signature">TLS DigitallySigned over <see cref="TreeHeadSignature.SignedData"/>.</param>
public sealed record SignedTreeHead(ulong TreeSize, ulong Timestamp, byte[] RootHash, byte[] Signature);

/// <summary>
/// The RFC 6962 personality over the log engine: accepted chains become Merkle tree leaves and SCTs; checkpoints
/// become signed tree heads, all signed with the log key.
/// </summary>
internal sealed class CertificateLog : IAsyncDisposable
{
    private readonly ILogStore _store;
    private readonly ICtChainStore _entries;
    private readonly IRekorSearchIndex? _search;
    private readonly string _searchLogId;
    private readonly TimeProvider _time;
    private readonly int _maxLeafSize;
    private SignedTreeHead? _sth;

    public CertificateLog(TransparencyLog log, ILogStore store, ICtChainStore entries, ISigningKey key, CtChainPolicy policy, int maxLeafSize, TimeProvider time, IRekorSearchIndex? search = null, string searchLogId = "ctlog")
    {
        _search = search;
        _searchLogId = searchLogId;
        Log = log;
        _store = store;
        _entries = entries;
        Key = key;
        Policy = policy;
        _maxLeafSize = maxLeafSize;
        _time = time;
        LogId = KeyIds.LogId(key.SubjectPublicKeyInfo);
    }

    public TransparencyLog Log { get; }

    public ISigningKey Key { get; }

    public CtChainPolicy Policy { get; }

    /// <summary>SHA-256 of the log key's SubjectPublicKeyInfo (RFC 6962 §3.2).</summary>
    public byte[] LogId { get; }

    internal ICtChainStore Entries => _entries;

    /// <summary>The search index, when the log keeps one.</summary>
    internal IRekorSearchIndex? Search => _search;

    /// <summary>The log id its search keys are prefixed with.</summary>
    internal string SearchLogId => _searchLogId;

    /// <summary>
    /// Logs an accepted chain and returns its SCT. Order (crash safety, see <see cref="ICtChainStore"/>): record the
    /// extra_data durably → append the leaf (durable and integrated on return) → sign the SCT.
    /// </summary>
    /// <exception cref="CtSubmissionException">The entry is too large for the log.</exception>
    /// <exception cref="LogPushbackException">The log is busy.</exception>
    public async Task<SignedCertificateTimestamp> AddAsync(AcceptedChain chain, CancellationToken ct)
    {
        // Checked before anything is written: the engine bounds leaves (tessera's entry size limit).
        if (chain.Leaf(0).Serialize().Length > _maxLeafSize) throw new CtSubmissionException($"the certificate is too large for this log (leaf limit {_maxLeafSize} bytes)");
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var timestamp = (ulong)await _entries.RecordAsync(chain.Identity(), now, chain.ExtraData, ct).ConfigureAwait(false);
        var leaf = chain.Leaf(timestamp);
        // RFC 6962 §3.4: the leaf's timestamp is the SCT's; AddAsync returns once the leaf is durable and in the tree.
        var appended = await Log.AddAsync(leaf.Serialize(), ct).ConfigureAwait(false);
        // The search index (SAN, serial, issuer → leaf index) is queued after integration and never blocks the SCT.
        _search?.Enqueue(CtSearchKeys.For(_searchLogId, chain.Chain[0]), appended.Index.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var signed = chain.EntryType == CtLogEntryType.X509
            ? SctSignedData.ForX509(timestamp, leaf.Certificate, [])
            : SctSignedData.ForPrecert(timestamp, leaf.IssuerKeyHash!, leaf.Certificate, []);
        return new SignedCertificateTimestamp(SignedCertificateTimestamp.V1, LogId, timestamp, [], SignedCertificateTimestamp.HashSha256, SignedCertificateTimestamp.SignatureEcdsa, Key.Sign(signed));
    }

    /// <summary>The log's witness policy for its note checkpoints, or null when no witness is configured.</summary>
    public CheckpointWitnessing? Witnessing { get; set; }

    /// <summary>
    /// The note checkpoint to publish at <c>GET /checkpoint</c>: the log's own, or with witnesses the newest one that meets
    /// the policy (null when failing closed and none has yet).
    /// </summary>
    public async Task<string?> PublishedCheckpointAsync(CancellationToken ct)
    {
        if (Witnessing is null) return Log.LatestCheckpoint.SignedNote;
        try
        {
            return (await Witnessing.WitnessAsync(Log, Log.Size, ct).ConfigureAwait(false)).SignedNote;
        }
        catch (LogPushbackException)
        {
            return Witnessing.Latest?.SignedNote;
        }
    }

    /// <summary>The signed tree head of the latest checkpoint (signed once per checkpoint, then cached).</summary>
    public SignedTreeHead LatestTreeHead()
    {
        var cp = Log.LatestCheckpoint;
        var cached = _sth;
        if (cached is not null && cached.TreeSize == cp.Size && cached.Timestamp == (ulong)cp.TimestampMs) return cached;
        var signature = Key.Sign(TreeHeadSignature.SignedData((ulong)cp.TimestampMs, cp.Size, cp.RootHash));
        var sth = new SignedTreeHead(cp.Size, (ulong)cp.TimestampMs, cp.RootHash,
            new DigitallySigned(SignedCertificateTimestamp.HashSha256, SignedCertificateTimestamp.SignatureEcdsa, signature).Serialize());
        _sth = sth;
        return sth;
    }

    /// <summary>Entries [start, start+count) with their extra_data.</summary>
    public async Task<IReadOnlyList<(LogEntry Entry, byte[] ExtraData)>> GetEntriesAsync(ulong start, int count, CancellationToken ct)
    {
        var entries = await Log.GetEntriesAsync(start, count, ct).ConfigureAwait(false);
        var extra = await _entries.ReadExtraDataAsync([.. entries.Select(e => AcceptedChain.LeafIdentity(e.Leaf.Span))], ct).ConfigureAwait(false);
        var result = new List<(LogEntry, byte[])>(entries.Count);
        for (var i = 0; i < entries.Count; i++)
        {
            // A leaf is appended only after its row committed, so a missing row is store corruption, not bad input.
            result.Add((entries[i], extra[i] ?? throw new InvalidOperationException($"extra_data of entry {entries[i].Index} is missing")));
        }
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        await Log.DisposeAsync().ConfigureAwait(false);
        await _store.DisposeAsync().ConfigureAwait(false);
        Witnessing?.Dispose();
        await _entries.DisposeAsync().ConfigureAwait(false);
        if (_search is not null) await _search.DisposeAsync().ConfigureAwait(false);
        Key.Dispose();
    }
}
