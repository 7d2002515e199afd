using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Caching.Memory;
using PrivateSigstore.Client.Rekor;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Explorer;

/// <summary>A log's head: size, root, the signed checkpoint (note) or STH (JSON) as served.</summary>
internal sealed record LogHead(ulong Size, byte[] RootHash, string Signed, DateTimeOffset? Timestamp);

/// <summary>
/// Everything the pages show, read from the logs' public APIs: search through the logs' indexes, entries, proofs,
/// heads (cached for a second), checkpoint history, charts (cached a minute).
/// </summary>
public sealed class ExplorerService : IDisposable
{
    private readonly LogCatalog catalog;
    private readonly IHttpClientFactory clients;
    private readonly EntryCache cache;
    private readonly ExplorerOptions options;
    private readonly CheckpointHistory history;

    internal ExplorerService(LogCatalog catalog, IHttpClientFactory clients, EntryCache cache, ExplorerOptions options, CheckpointHistory history)
    {
        this.catalog = catalog;
        this.clients = clients;
        this.cache = cache;
        this.options = options;
        this.history = history;
    }

    internal const int PageSize = 20;
    private const int MaxResolved = 100;
    private const int ChartSamples = 64;
    private readonly MemoryCache _short = new(new MemoryCacheOptions { SizeLimit = 1000 });
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new();

    internal LogCatalog Catalog => catalog;

    internal ExplorerOptions Options => options;

    private HttpClient Http => clients.CreateClient(ExplorerApp.HttpClientName);

    internal RekorV1Reader V1(ExplorerLog log) => new(Http, log, cache);

    internal RekorV2Reader V2(ExplorerLog log) => new(Http, log);

    internal CtReader Ct(ExplorerLog log) => new(Http, log, cache);

    internal MonitorReader? Monitor => options.MonitorUrl is { } url ? new MonitorReader(Http, new Uri(url)) : null;

    internal ExplorerLog RequireLog(string name) => catalog.Find(name) ?? throw new ExplorerNotFoundException($"no log named '{name}'");

    // ---- heads -------------------------------------------------------------------------------------------------

    /// <summary>The log's current head, cached for one second (pages under load do not each ask the log).</summary>
    internal async Task<LogHead> HeadAsync(ExplorerLog log, CancellationToken ct)
    {
        if (_short.Get<LogHead>(("head", log.Name)) is { } hit) return hit;
        var head = await ReadHeadAsync(log, ct).ConfigureAwait(false);
        _short.Set(("head", log.Name), head, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = TimeSpan.FromSeconds(1) });
        history.Record(log, head);
        return head;
    }

    internal async Task<LogHead> ReadHeadAsync(ExplorerLog log, CancellationToken ct)
    {
        switch (log.Kind)
        {
            case ExplorerLogKind.RekorV1:
                var info = await V1(log).GetLogInfoAsync(ct).ConfigureAwait(false);
                var cp = ParseNote(log, info.SignedTreeHead);
                return new LogHead(cp.Size, cp.RootHash, info.SignedTreeHead, null);
            case ExplorerLogKind.RekorV2:
                var (note, checkpoint) = await V2(log).GetCheckpointAsync(ct).ConfigureAwait(false);
                return new LogHead(checkpoint.Size, checkpoint.RootHash, note, null);
            default:
                var sth = await Ct(log).GetSthAsync(ct).ConfigureAwait(false);
                return new LogHead(sth.TreeSize, sth.RootHash, sth.Json, DateTimeOffset.FromUnixTimeMilliseconds((long)sth.Timestamp));
        }
    }

    private static Checkpoint ParseNote(ExplorerLog log, string note)
    {
        try
        {
            return SignedCheckpoint.Parse(note).Checkpoint;
        }
        catch (Core.WireFormatException e)
        {
            throw new LogUnavailableException(log.Title, 502, $"{log.Title} served a checkpoint that does not parse: {e.Message}", e);
        }
    }

    // ---- search ------------------------------------------------------------------------------------------------

    internal async Task<SearchResults> SearchAsync(Query query, int page, CancellationToken ct)
    {
        var notes = new List<string>();
        var rekor = catalog.First(ExplorerLogKind.RekorV1);
        var ctLog = catalog.First(ExplorerLogKind.Ct);
        var rows = new List<ResultRow>();
        var total = 0;
        switch (query.Kind)
        {
            case QueryKind.LogIndex:
                var log = query.LogName is null ? rekor ?? catalog.Logs[0] : RequireLog(query.LogName);
                var index = long.Parse(query.Value, CultureInfo.InvariantCulture);
                rows.Add(await RowAtAsync(log, index, ct).ConfigureAwait(false));
                total = 1;
                break;
            case QueryKind.Uuid:
                if (rekor is null) throw new ExplorerNotFoundException("no Rekor v1 log is configured to look UUIDs up in");
                var entry = await V1(rekor).GetByUuidAsync(query.Value, ct).ConfigureAwait(false);
                rows.Add(Row(rekor, entry));
                total = 1;
                break;
            default:
                var rekorKeys = RekorSearch(query);
                var ctField = CtSearch(query);
                IReadOnlyList<string> uuids = [];
                if (rekor is not null && rekorKeys.Count > 0)
                {
                    var found = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var search in rekorKeys)
                    {
                        foreach (var u in await V1(rekor).SearchIndexAsync(search, ct).ConfigureAwait(false)) found.Add(u);
                    }
                    uuids = [.. found.Order(StringComparer.Ordinal)];
                    if (query.Kind == QueryKind.Hex64 && found.Count == 0)
                    {
                        // 64 hex may also be an entry's leaf hash (UUID without the tree ID).
                        try
                        {
                            var byUuid = await V1(rekor).GetByUuidAsync(query.Value, ct).ConfigureAwait(false);
                            uuids = [byUuid.Uuid];
                        }
                        catch (ExplorerNotFoundException)
                        {
                        }
                    }
                }
                IReadOnlyList<ulong> ctIndexes = [];
                if (ctLog is not null)
                {
                    var all = new SortedSet<ulong>();
                    foreach (var (field, value) in ctField)
                    {
                        foreach (var i in await Ct(ctLog).SearchAsync(field, value, ct).ConfigureAwait(false)) all.Add(i);
                    }
                    ctIndexes = [.. all.Reverse()];
                }
                if (catalog.First(ExplorerLogKind.RekorV2) is not null) notes.Add("Rekor v2 keeps no search index (as upstream): find its entries by index (rekor-v2:N) or through their CT entry.");
                total = uuids.Count + ctIndexes.Count;
                rows.AddRange(await ResolveAsync(rekor, uuids, ctLog, ctIndexes, page, notes, ct).ConfigureAwait(false));
                break;
        }
        var pages = Math.Max(1, (int)Math.Ceiling(total / (double)PageSize));
        return new SearchResults(query, rows, Math.Min(page, pages), pages, total, notes);
    }

    /// <summary>The Rekor index searches for a query (POST /api/v1/index/retrieve bodies).</summary>
    private static List<JsonObject> RekorSearch(Query q) => q.Kind switch
    {
        QueryKind.Digest => [new JsonObject { ["hash"] = q.Value }],
        // 64 hex: an artifact SHA-256, or the hex SHA-256 of a key/certificate PEM (Rekor's key index; "subject" looks
        // a lower-cased key up as it is).
        QueryKind.Hex64 => [new JsonObject { ["hash"] = "sha256:" + q.Value }, new JsonObject { ["subject"] = q.Value }],
        QueryKind.Email => [new JsonObject { ["email"] = q.Value }],
        QueryKind.Url or QueryKind.Identity => [new JsonObject { ["subject"] = q.Value }],
        _ => [],
    };

    private static List<(string Field, string Value)> CtSearch(Query q) => q.Kind switch
    {
        QueryKind.Email or QueryKind.Identity => [("san", q.Value)],
        // A URL is a URI SAN (e.g. a workflow) or an OIDC issuer.
        QueryKind.Url => [("san", q.Value), ("issuer", q.Value)],
        QueryKind.Issuer => [("issuer", q.Value)],
        QueryKind.Serial => [("serial", q.Value)],
        _ => [],
    };

    private async Task<IReadOnlyList<ResultRow>> ResolveAsync(ExplorerLog? rekor, IReadOnlyList<string> uuids, ExplorerLog? ctLog, IReadOnlyList<ulong> ctIndexes, int page, List<string> notes, CancellationToken ct)
    {
        // Newest first across logs needs the entries' times: up to MaxResolved per log are read (and cached).
        var rows = new List<ResultRow>();
        if (rekor is not null && uuids.Count > 0)
        {
            IReadOnlyList<string> take = uuids;
            if (uuids.Count > MaxResolved)
            {
                take = [.. uuids.Skip((page - 1) * PageSize).Take(PageSize)];
                notes.Add(string.Create(CultureInfo.InvariantCulture, $"{uuids.Count} Rekor entries match: too many to order by time, so they are listed in the index's order."));
            }
            var entries = await V1(rekor).RetrieveAsync(take, ct).ConfigureAwait(false);
            rows.AddRange(entries.Select(e => Row(rekor, e)));
        }
        if (ctLog is not null && ctIndexes.Count > 0)
        {
            var reader = Ct(ctLog);
            foreach (var i in ctIndexes.Take(MaxResolved))
            {
                rows.Add(CtRow(ctLog, await reader.GetEntryAsync(i, ct).ConfigureAwait(false)));
            }
            if (ctIndexes.Count > MaxResolved) notes.Add(string.Create(CultureInfo.InvariantCulture, $"{ctIndexes.Count} CT entries match; the newest {MaxResolved} are listed."));
        }
        var ordered = rows.OrderByDescending(r => r.Time ?? DateTimeOffset.MinValue).ThenByDescending(r => r.Index).ToList();
        return uuids.Count > MaxResolved ? ordered : [.. ordered.Skip((page - 1) * PageSize).Take(PageSize)];
    }

    private async Task<ResultRow> RowAtAsync(ExplorerLog log, long index, CancellationToken ct)
    {
        switch (log.Kind)
        {
            case ExplorerLogKind.RekorV1:
                return Row(log, await V1(log).GetByIndexAsync(index, ct).ConfigureAwait(false));
            case ExplorerLogKind.Ct:
                return CtRow(log, await Ct(log).GetEntryAsync((ulong)index, ct).ConfigureAwait(false));
            default:
                var head = await HeadAsync(log, ct).ConfigureAwait(false);
                var leaf = await V2(log).GetEntryAsync(V2(log).Reader(head.Size), (ulong)index, ct).ConfigureAwait(false);
                var body = EntryDecoder.Decode(leaf);
                var cert = body.Certificates.Count > 0 ? CertificateView.Read(body.Certificates[0]) : null;
                return new ResultRow(log, index, null, body.Kind, cert?.Identity, cert?.OidcIssuer, body.Digest, Href(log, index));
        }
    }

    private static ResultRow Row(ExplorerLog log, RekorEntry e)
    {
        var body = EntryDecoder.Decode(e.Body);
        var cert = body.Certificates.Count > 0 ? CertificateView.Read(body.Certificates[0]) : null;
        var identity = cert?.Identity ?? (body.PublicKeys.Count > 0 ? "public key " + Convert.ToHexStringLower(SHA256.HashData(body.PublicKeys[0]))[..16] + "…" : null);
        return new ResultRow(log, e.LogIndex, DateTimeOffset.FromUnixTimeSeconds(e.IntegratedTime), $"{body.Kind} {body.Version}", identity, cert?.OidcIssuer, body.Digest, Href(log, e.LogIndex));
    }

    private static ResultRow CtRow(ExplorerLog log, CtEntry e)
    {
        var cert = CertificateView.Read(e.Certificate);
        return new ResultRow(log, (long)e.Index, e.Time, e.IsPrecert ? "precertificate" : "certificate", cert?.Identity, cert?.OidcIssuer, "serial " + cert?.SerialHex, Href(log, (long)e.Index));
    }

    internal static string Href(ExplorerLog log, long index) => string.Create(CultureInfo.InvariantCulture, $"/logs/{log.Name}/entries/{index}");

    // ---- entries -----------------------------------------------------------------------------------------------

    internal async Task<EntryModel> EntryAsync(ExplorerLog log, long index, CancellationToken ct)
    {
        if (index < 0) throw new ExplorerBadQueryException("a log index is not negative");
        switch (log.Kind)
        {
            case ExplorerLogKind.RekorV1:
                return await RekorEntryModelAsync(log, await V1(log).GetByIndexAsync(index, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
            case ExplorerLogKind.RekorV2:
                var head = await HeadAsync(log, ct).ConfigureAwait(false);
                var leaf = await V2(log).GetEntryAsync(V2(log).Reader(head.Size), (ulong)index, ct).ConfigureAwait(false);
                return await DecorateAsync(new EntryModel { Log = log, Index = index, Body = EntryDecoder.Decode(leaf) }, ct).ConfigureAwait(false);
            default:
                var entry = await Ct(log).GetEntryAsync((ulong)index, ct).ConfigureAwait(false);
                var chain = entry.Chain.Select(c => CertificateView.Read(c)).OfType<CertificateView>().ToList();
                return new EntryModel
                {
                    Log = log,
                    Index = index,
                    Time = entry.Time,
                    Ct = entry,
                    Body = new DecodedBody(entry.IsPrecert ? "precert_entry" : "x509_entry", "RFC 6962", [entry.Certificate], [], null, null, ""),
                    Certificate = CertificateView.Read(entry.Certificate, CtLogNames(), IssuerCandidates()),
                    Chain = chain,
                };
        }
    }

    internal async Task<EntryModel> EntryByUuidAsync(ExplorerLog log, string uuid, CancellationToken ct) =>
        await RekorEntryModelAsync(log, await V1(log).GetByUuidAsync(uuid, ct).ConfigureAwait(false), ct).ConfigureAwait(false);

    private async Task<EntryModel> RekorEntryModelAsync(ExplorerLog log, RekorEntry entry, CancellationToken ct) =>
        await DecorateAsync(new EntryModel
        {
            Log = log,
            Index = entry.LogIndex,
            Uuid = entry.Uuid,
            Time = DateTimeOffset.FromUnixTimeSeconds(entry.IntegratedTime),
            Body = EntryDecoder.Decode(entry.Body),
            RekorV1 = entry,
        }, ct).ConfigureAwait(false);

    /// <summary>Adds the certificate in human terms, its chain, its SCTs' CT entries, the key fingerprint.</summary>
    private async Task<EntryModel> DecorateAsync(EntryModel model, CancellationToken ct)
    {
        var body = model.Body;
        if (body.Certificates.Count == 0)
        {
            if (body.PublicKeys.Count == 0) return model;
            var pem = PemEncoding.WriteString("PUBLIC KEY", body.PublicKeys[0]) + "\n";
            return model with { PublicKeyPem = pem, RekorFingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(pem))) };
        }
        var cert = CertificateView.Read(body.Certificates[0], CtLogNames(), IssuerCandidates());
        if (cert is null) return model;
        var links = new List<(SctView, long?)>();
        foreach (var sct in cert.Scts)
        {
            long? ctIndex = null;
            if (sct.LeafHashHex is { } leafHash && catalog.Logs.FirstOrDefault(l => l.Kind == ExplorerLogKind.Ct && l.KeyIdHex == sct.LogIdHex) is { } ctLog)
            {
                try
                {
                    var head = await HeadAsync(ctLog, ct).ConfigureAwait(false);
                    ctIndex = (long?)(await Ct(ctLog).GetProofByHashAsync(Convert.FromHexString(leafHash), head.Size, ct).ConfigureAwait(false))?.Index;
                }
                catch (LogUnavailableException)
                {
                    // the CT log is down: the entry page still shows the SCT, without the link
                }
            }
            links.Add((sct, ctIndex));
        }
        return model with
        {
            Certificate = cert,
            Chain = ChainFor(cert),
            CtLinks = links,
            RekorFingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(cert.Pem + "\n"))),
        };
    }

    private Dictionary<string, string> CtLogNames() =>
        catalog.Logs.Where(l => l.Kind == ExplorerLogKind.Ct).ToDictionary(l => l.KeyIdHex, l => l.Name, StringComparer.Ordinal);

    private IReadOnlyList<byte[]> IssuerCandidates() => _issuers ??= LoadIssuers();

    private IReadOnlyList<byte[]>? _issuers;

    private List<byte[]> LoadIssuers()
    {
        var root = Core.Trust.TrustedRootJson.Parse(catalog.TrustedRootJson);
        return [.. root.CertificateAuthorities.SelectMany(ca => ca.CertChain?.Certificates ?? []).Select(c => c.RawBytes)];
    }

    /// <summary>The chain from the trusted root whose first certificate issued <paramref name="leaf"/>.</summary>
    private List<CertificateView> ChainFor(CertificateView leaf)
    {
        var root = Core.Trust.TrustedRootJson.Parse(catalog.TrustedRootJson);
        foreach (var ca in root.CertificateAuthorities)
        {
            var certs = (ca.CertChain?.Certificates ?? []).Select(c => CertificateView.Read(c.RawBytes)).OfType<CertificateView>().ToList();
            if (certs.Count > 0 && certs[0].Subject == leaf.Issuer && certs[0].ValidAt(leaf.NotBefore)) return certs;
        }
        return [];
    }

    /// <summary>
    /// The final certificate of a logged precertificate (same serial), found through Rekor's index by the SAN: the CT
    /// log holds only the precertificate. Null when no Rekor entry carries it (it may not have been used to sign).
    /// </summary>
    internal async Task<CertificateView?> FinalCertificateAsync(CertificateView precert, CancellationToken ct)
    {
        if (catalog.First(ExplorerLogKind.RekorV1) is not { } rekor || precert.SubjectAltNames.Count == 0) return null;
        var (type, value) = precert.SubjectAltNames[0];
        var search = type == "Email" ? new JsonObject { ["email"] = value } : new JsonObject { ["subject"] = value };
        try
        {
            var uuids = await V1(rekor).SearchIndexAsync(search, ct).ConfigureAwait(false);
            foreach (var e in await V1(rekor).RetrieveAsync([.. uuids.Take(30)], ct).ConfigureAwait(false))
            {
                foreach (var der in EntryDecoder.Decode(e.Body).Certificates)
                {
                    if (CertificateView.Read(der, CtLogNames(), IssuerCandidates()) is { IsPrecertificate: false } c && c.SerialHex == precert.SerialHex) return c;
                }
            }
        }
        catch (LogUnavailableException)
        {
            // Rekor is down: the CT entry is still shown
        }
        return null;
    }

    // ---- proofs (for the browser) -----------------------------------------------------------------------------

    /// <summary>
    /// What the page's script needs to check an entry itself: the leaf bytes, index, tree size, audit path and the
    /// signed checkpoint / STH it must verify against the trusted root.
    /// </summary>
    internal async Task<JsonObject> ProofAsync(ExplorerLog log, long index, CancellationToken ct)
    {
        if (index < 0) throw new ExplorerBadQueryException("a log index is not negative");
        var result = new JsonObject { ["log"] = log.Name, ["kind"] = log.Kind.ToString(), ["logIndex"] = index };
        switch (log.Kind)
        {
            case ExplorerLogKind.RekorV1:
                // The entry as Rekor answers it, with the inclusion proof and the checkpoint it signed over that tree.
                var uuid = (await V1(log).GetByIndexAsync(index, ct).ConfigureAwait(false)).Uuid;
                var fresh = await V1(log).GetByUuidAsync(uuid, ct).ConfigureAwait(false);
                var p = fresh.InclusionProof ?? throw new LogUnavailableException(log.Title, 502, $"{log.Title} gave no inclusion proof for entry {index}");
                result["leaf"] = Convert.ToBase64String(fresh.Body);
                result["treeSize"] = p.TreeSize;
                result["proofIndex"] = p.LogIndex;
                result["rootHash"] = Convert.ToHexStringLower(p.RootHash);
                result["hashes"] = new JsonArray([.. p.Hashes.Select(h => (JsonNode)Convert.ToHexStringLower(h))]);
                result["checkpoint"] = p.Checkpoint;
                break;
            case ExplorerLogKind.RekorV2:
                var head = await HeadAsync(log, ct).ConfigureAwait(false);
                var v2 = V2(log);
                var reader = v2.Reader(head.Size);
                var leaf = await v2.GetEntryAsync(reader, (ulong)index, ct).ConfigureAwait(false);
                var hashes = await v2.InclusionProofAsync(reader, (ulong)index, ct).ConfigureAwait(false);
                result["leaf"] = Convert.ToBase64String(leaf);
                result["treeSize"] = head.Size;
                result["proofIndex"] = index;
                result["rootHash"] = Convert.ToHexStringLower(head.RootHash);
                result["hashes"] = new JsonArray([.. hashes.Select(h => (JsonNode)Convert.ToHexStringLower(h))]);
                result["checkpoint"] = head.Signed;
                result["origin"] = log.Origin;
                break;
            default:
                var sth = await Ct(log).GetSthAsync(ct).ConfigureAwait(false);
                var entry = await Ct(log).GetEntryAsync((ulong)index, ct).ConfigureAwait(false);
                var proof = await Ct(log).GetProofByHashAsync(Rfc6962.HashLeaf(entry.LeafInput), sth.TreeSize, ct).ConfigureAwait(false)
                    ?? throw new LogUnavailableException(log.Title, 502, $"{log.Title} has no proof for entry {index} in its current tree");
                result["leaf"] = Convert.ToBase64String(entry.LeafInput);
                result["treeSize"] = sth.TreeSize;
                result["proofIndex"] = proof.Index;
                result["rootHash"] = Convert.ToHexStringLower(sth.RootHash);
                result["hashes"] = new JsonArray([.. proof.Path.Select(h => (JsonNode)Convert.ToHexStringLower(h))]);
                result["sth"] = new JsonObject
                {
                    ["tree_size"] = sth.TreeSize,
                    ["timestamp"] = sth.Timestamp,
                    ["sha256_root_hash"] = Convert.ToBase64String(sth.RootHash),
                    ["tree_head_signature"] = Convert.ToBase64String(sth.Signature),
                };
                break;
        }
        return result;
    }

    /// <summary>The entry as a Sigstore bundle fragment: verification material with the tlog entry, and the message signature when the body has it.</summary>
    internal async Task<byte[]> BundleFragmentAsync(ExplorerLog log, long index, CancellationToken ct)
    {
        if (log.Kind != ExplorerLogKind.RekorV1) throw new ExplorerNotFoundException("bundle fragments are offered for Rekor v1 entries (Rekor v2 returns its entry to the signer only)");
        var byIndex = await V1(log).GetByIndexAsync(index, ct).ConfigureAwait(false);
        var entry = await V1(log).GetByUuidAsync(byIndex.Uuid, ct).ConfigureAwait(false);
        var body = EntryDecoder.Decode(entry.Body);
        Core.Bundle.MessageSignature? message = null;
        if (body.Kind == "hashedrekord" && body.Digest is { } d && d.StartsWith("sha256:", StringComparison.Ordinal) && body.Signature is { } sig)
        {
            message = new Core.Bundle.MessageSignature
            {
                MessageDigest = new Core.Bundle.HashOutput { Algorithm = Core.Bundle.HashAlgorithm.Sha2_256, Digest = Convert.FromHexString(d[7..]) },
                Signature = Convert.FromBase64String(sig),
            };
        }
        var bundle = new Core.Bundle.Bundle
        {
            MediaType = "application/vnd.dev.sigstore.bundle.v0.3+json",
            VerificationMaterial = new Core.Bundle.VerificationMaterial
            {
                Certificate = body.Certificates.Count > 0 ? new Core.Bundle.DerCertificate { RawBytes = body.Certificates[0] } : null,
                PublicKey = body.Certificates.Count == 0 ? new Core.Bundle.PublicKeyIdentifier { Hint = "" } : null,
                TlogEntries = [entry.ToTransparencyLogEntry()],
            },
            MessageSignature = message,
        };
        return Core.Bundle.BundleJson.SerializeToUtf8Bytes(bundle, indented: true);
    }

    // ---- log pages ---------------------------------------------------------------------------------------------

    internal async Task<LogModel> LogAsync(ExplorerLog log, CancellationToken ct)
    {
        var head = await HeadAsync(log, ct).ConfigureAwait(false);
        var (chart, note) = await ChartAsync(log, head, ct).ConfigureAwait(false);
        return new LogModel(log, head.Size, Convert.ToHexStringLower(head.RootHash), head.Signed, head.Timestamp, history.For(log), chart, note);
    }

    private async Task<(HourlyChart?, string?)> ChartAsync(ExplorerLog log, LogHead head, CancellationToken ct)
    {
        if (log.Kind == ExplorerLogKind.RekorV2) return (null, "Rekor v2 entries carry no log time (a timestamp authority stamps them), so there is no entries-per-hour chart.");
        if (head.Size == 0) return (null, "The log is empty.");
        var key = ("chart", log.Name);
        if (_short.Get<HourlyChart>(key) is { } hit) return (hit, null);
        var gate = _gates.GetOrAdd(log.Name, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_short.Get<HourlyChart>(key) is { } again) return (again, null);
            var size = (long)head.Size;
            var count = (int)Math.Min(size, ChartSamples);
            var indexes = Enumerable.Range(0, count).Select(k => count == 1 ? size - 1 : (long)Math.Round(k * (size - 1) / (double)(count - 1))).Distinct().ToList();
            var samples = new List<(long, DateTimeOffset)>();
            if (log.Kind == ExplorerLogKind.RekorV1)
            {
                foreach (var e in await V1(log).RetrieveByIndexAsync(indexes, ct).ConfigureAwait(false)) samples.Add((e.LogIndex, DateTimeOffset.FromUnixTimeSeconds(e.IntegratedTime)));
            }
            else
            {
                var reader = Ct(log);
                foreach (var i in indexes) samples.Add((i, (await reader.GetEntryAsync((ulong)i, ct).ConfigureAwait(false)).Time));
            }
            var chart = HourlyChart.From(samples, size);
            if (chart is not null) _short.Set(key, chart, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = TimeSpan.FromMinutes(1) });
            return (chart, null);
        }
        finally
        {
            gate.Release();
        }
    }

    internal async Task<ConsistencyModel> ConsistencyAsync(ExplorerLog log, ulong first, ulong second, string? firstRootHex, CancellationToken ct)
    {
        var head = await HeadAsync(log, ct).ConfigureAwait(false);
        if (second == 0) second = head.Size;
        if (first == 0 || first > second) throw new ExplorerBadQueryException("the first size must be at least 1 and at most the second");
        if (second > head.Size) throw new ExplorerBadQueryException(string.Create(CultureInfo.InvariantCulture, $"the log has {head.Size} entries; the second size cannot be larger"));
        byte[]? given = null;
        if (!string.IsNullOrWhiteSpace(firstRootHex))
        {
            var hex = firstRootHex.Trim();
            if (hex.Length != 64 || !hex.All(Uri.IsHexDigit)) throw new ExplorerBadQueryException("the first root hash is 64 hexadecimal digits");
            given = Convert.FromHexString(hex);
        }
        byte[][] proof;
        byte[] secondRoot;
        byte[]? derived = null;
        switch (log.Kind)
        {
            case ExplorerLogKind.RekorV1:
                var p = await V1(log).GetConsistencyProofAsync((long)first, (long)second, ct).ConfigureAwait(false);
                proof = [.. p.Hashes];
                secondRoot = p.RootHash;
                if ((first & (first - 1)) == 0) derived = first == head.Size ? head.RootHash : await PerfectSubtreeRootAsync(log, first, ct).ConfigureAwait(false);
                break;
            case ExplorerLogKind.RekorV2:
                var reader = V2(log).Reader(second);
                proof = first == second ? [] : await V2(log).ConsistencyProofAsync(reader, first, ct).ConfigureAwait(false);
                secondRoot = await V2(log).RootHashAsync(reader, second, ct).ConfigureAwait(false);
                // The tiles give any old root directly.
                derived = await V2(log).RootHashAsync(reader, first, ct).ConfigureAwait(false);
                break;
            default:
                if (second != head.Size) throw new ExplorerBadQueryException("the CT log proves consistency with its current tree only: leave the second size empty");
                proof = first == second ? [] : await Ct(log).GetConsistencyAsync(first, second, ct).ConfigureAwait(false);
                secondRoot = head.RootHash;
                // The old root from the last old entry's inclusion proof in the old tree (get-proof-by-hash at that size).
                var last = await Ct(log).GetEntryAsync(first - 1, ct).ConfigureAwait(false);
                var leafHash = Rfc6962.HashLeaf(last.LeafInput);
                if (await Ct(log).GetProofByHashAsync(leafHash, first, ct).ConfigureAwait(false) is { } inc)
                {
                    derived = ProofVerifier.RootFromInclusionProof(leafHash, inc.Index, first, inc.Path);
                }
                break;
        }
        var known = history.For(log).FirstOrDefault(c => c.Size == first)?.RootHashHex;
        var seed = given ?? (known is not null ? Convert.FromHexString(known) : derived);
        string? firstRoot = null;
        var verified = false;
        string? problem = null;
        try
        {
            firstRoot = Convert.ToHexStringLower(ConsistencyRoots.FirstRoot(first, second, proof, secondRoot, seed));
            verified = true;
        }
        catch (ProofVerificationException e)
        {
            problem = e.Message;
        }
        return new ConsistencyModel(log, first, second, Convert.ToHexStringLower(secondRoot), [.. proof.Select(Convert.ToHexStringLower)], firstRoot, verified, known, given is not null ? Convert.ToHexStringLower(given) : null, problem);
    }

    /// <summary>
    /// The root of the tree of the first <paramref name="size"/> (a power of two) entries: the one left sibling in the
    /// inclusion proof of entry <paramref name="size"/>, whose left neighbourhood is exactly that perfect subtree.
    /// </summary>
    private async Task<byte[]?> PerfectSubtreeRootAsync(ExplorerLog log, ulong size, CancellationToken ct)
    {
        var byIndex = await V1(log).GetByIndexAsync((long)size, ct).ConfigureAwait(false);
        var proof = (await V1(log).GetByUuidAsync(byIndex.Uuid, ct).ConfigureAwait(false)).InclusionProof;
        if (proof is null) return null;
        ulong fn = size, sn = (ulong)proof.TreeSize - 1;
        byte[]? left = null;
        foreach (var h in proof.Hashes)
        {
            if (sn == 0) return null;
            if ((fn & 1) == 1 || fn == sn)
            {
                left = h;
                if ((fn & 1) == 0)
                {
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
                }
            }
            fn >>= 1;
            sn >>= 1;
        }
        return left;
    }

    public void Dispose()
    {
        _short.Dispose();
        foreach (var g in _gates.Values) g.Dispose();
    }
}
