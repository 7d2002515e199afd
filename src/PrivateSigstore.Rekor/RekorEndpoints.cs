using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using PrivateSigstore.Core;
using PrivateSigstore.Hosting;
using PrivateSigstore.Log;
using PrivateSigstore.Rekor.Entries;

namespace PrivateSigstore.Rekor;

/// <summary>The Rekor v1 REST API (sigstore/rekor openapi.yaml: 7 paths, 8 operations).</summary>
public static class RekorEndpoints
{
    /// <summary>Most queries in one retrieve request (rekor pkg/api/entries.go maxSearchQueries).</summary>
    public const int MaxSearchQueries = 10;

    /// <summary>Maps the Rekor v1 routes.</summary>
    public static IEndpointRouteBuilder MapRekor(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var api = app.MapGroup("/api/v1").AddEndpointFilter<RekorErrorFilter>();
        api.MapGet("/log", GetLogInfo).WithRateLimit("read");
        api.MapGet("/log/publicKey", GetPublicKey).WithRateLimit("read");
        api.MapGet("/log/proof", GetProof).WithRateLimit("read");
        api.MapPost("/log/entries", CreateEntry).WithRateLimit("write");
        api.MapGet("/log/entries", GetEntryByIndex).WithRateLimit("read");
        api.MapGet("/log/entries/{entryUUID}", GetEntryByUuid).WithRateLimit("read");
        api.MapPost("/log/entries/retrieve", SearchLogQuery).WithRateLimit("read");
        api.MapPost("/index/retrieve", SearchIndex).WithRateLimit("read");
        return app;
    }

    private static async Task<IResult> GetLogInfo(RekorLog rekor, CancellationToken ct)
    {
        if (rekor.Witnessing is not null)
        {
            try
            {
                // Have the newest checkpoint witnessed (coalesced with appends) before it is shown.
                await rekor.PublishedAsync(rekor.Shards.Active, rekor.Shards.Active.Log.Size, ct).ConfigureAwait(false);
            }
            catch (LogPushbackException) when (rekor.Witnessing.Latest is not null)
            {
                // Failing closed: LogInfo shows the last checkpoint that met the policy.
            }
            catch (LogPushbackException ex)
            {
                return RekorError.Of(503, ex.Message);
            }
        }
        return Json(rekor.WriteLogInfo);
    }

    private static IResult GetPublicKey(RekorLog rekor, string? treeID)
    {
        if (treeID is not null && (!long.TryParse(treeID, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || rekor.Shards.ByTreeId(id) is null))
        {
            return RekorError.Of(400, $"unable to find a shard with treeID {treeID}");
        }
        return Results.Text(rekor.PublicKeyPem, "application/x-pem-file");
    }

    private static async Task<IResult> GetProof(RekorLog rekor, string? firstSize, string? lastSize, string? treeID, CancellationToken ct)
    {
        // lastSize is required, firstSize defaults to 1; both at least 1 (openapi.yaml getLogProof).
        if (lastSize is null) return RekorError.Of(400, "lastSize in query is required");
        if (!long.TryParse(lastSize, NumberStyles.None, CultureInfo.InvariantCulture, out var last) || last < 1) return RekorError.Of(400, "lastSize in query should be greater than or equal to 1");
        var first = 1L;
        if (firstSize is not null && (!long.TryParse(firstSize, NumberStyles.None, CultureInfo.InvariantCulture, out first) || first < 1)) return RekorError.Of(400, "firstSize in query should be greater than or equal to 1");
        var shard = rekor.Shards.Active;
        if (treeID is not null)
        {
            if (!long.TryParse(treeID, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || rekor.Shards.ByTreeId(id) is not { } s) return RekorError.Of(400, $"unable to find a shard with treeID {treeID}");
            shard = s;
        }
        if (first > last) return RekorError.Of(400, $"firstSize({first}) must be less than lastSize({last})");
        var size = (long)shard.Log.Size;
        if (last > size) return RekorError.Of(400, $"the tree size requested({last}) was greater than what is currently observable({size})");
        var proof = await shard.Log.GetConsistencyProofAsync((ulong)first, (ulong)last, ct).ConfigureAwait(false);
        var root = await shard.Log.GetRootHashAsync((ulong)last, ct).ConfigureAwait(false);
        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("hashes");
            foreach (var h in proof) w.WriteStringValue(Convert.ToHexStringLower(h));
            w.WriteEndArray();
            w.WriteString("rootHash", Convert.ToHexStringLower(root));
            w.WriteEndObject();
        });
    }

    private static async Task<IResult> CreateEntry(HttpContext http, RekorLog rekor, IRekorSearchIndex index, IOptions<RekorOptions> options, CancellationToken ct)
    {
        var body = await ReadBodyAsync(http, options.Value.MaxRequestBytes, ct).ConfigureAwait(false);
        if (body.Error is not null) return body.Error;
        // Schema validation, type-specific verification and canonicalization (rekor types.CreateVersionedEntry); bad
        // input, pushback, a frozen shard and a duplicate throw, and RekorErrorFilter answers in Rekor's error shape.
        var entry = RekorEntries.Canonicalize(body.Bytes, new RekorEntryPolicy { MaxEntryBytes = (int)Math.Min(int.MaxValue, options.Value.MaxRequestBytes) });
        var appended = await rekor.AppendAsync(entry, ct).ConfigureAwait(false);
        index.Enqueue(entry.IndexKeys, appended.EntryId);
        return new EntryResult(201, [appended], RekorErrorFilter.EntryLocation(http, appended.EntryId), appended.EntryId);
    }

    private static async Task<IResult> GetEntryByIndex(RekorLog rekor, string? logIndex, CancellationToken ct)
    {
        if (logIndex is null || !long.TryParse(logIndex, NumberStyles.None, CultureInfo.InvariantCulture, out var global))
        {
            return RekorError.Of(400, "logIndex in query must be a non-negative integer");
        }
        // Upstream answers 404 with no body; a reason helps a person and no client reads it.
        if (rekor.Shards.ByGlobalIndex(global) is not { } shard) return RekorError.Of(404, string.Create(CultureInfo.InvariantCulture, $"no entry at log index {global}"));
        return new EntryResult(200, [await rekor.ReadAsync(shard, (ulong)(global - shard.Offset), ct).ConfigureAwait(false)], null, null);
    }

    private static async Task<IResult> GetEntryByUuid(RekorLog rekor, string entryUUID, CancellationToken ct)
    {
        if (!Entries.RekorLogEntry.TryParseEntryId(entryUUID, out _, out _))
        {
            return RekorError.Of(400, "entryUUID in path should match '^([0-9a-fA-F]{64}|[0-9a-fA-F]{80})$'");
        }
        if (await rekor.FindAsync(entryUUID, ct).ConfigureAwait(false) is not { } found) return RekorError.Of(404, $"no entry with UUID {entryUUID}");
        return new EntryResult(200, [await rekor.ReadAsync(found.Shard, found.Index, ct).ConfigureAwait(false)], null, null);
    }

    private static async Task<IResult> SearchLogQuery(HttpContext http, RekorLog rekor, IOptions<RekorOptions> options, CancellationToken ct)
    {
        var body = await ReadBodyAsync(http, options.Value.MaxRequestBytes, ct).ConfigureAwait(false);
        if (body.Error is not null) return body.Error;
        var query = SearchLogQueryRequest.Parse(body.Bytes);
        if (query.Count > MaxSearchQueries) return RekorError.Of(422, $"more than max allowed {MaxSearchQueries} entries in request");
        var found = new List<(RekorShard, ulong)>();
        foreach (var id in query.EntryUuids)
        {
            if (!Entries.RekorLogEntry.TryParseEntryId(id, out _, out _)) return RekorError.Of(400, $"invalid entry UUID {id}");
            if (await rekor.FindAsync(id, ct).ConfigureAwait(false) is { } f) found.Add(f);
        }
        foreach (var i in query.LogIndexes)
        {
            if (i < 0) return RekorError.Of(400, "logIndexes must be non-negative");
            if (rekor.Shards.ByGlobalIndex(i) is { } s) found.Add((s, (ulong)(i - s.Offset)));
        }
        foreach (var proposed in query.Entries)
        {
            var entry = RekorEntries.Canonicalize(proposed, RekorEntryPolicy.Search);
            // A proposed entry is looked up by its leaf hash in every shard (rekor SearchLogQueryHandler).
            foreach (var s in rekor.Shards.All.Reverse())
            {
                if (await s.Log.FindIndexAsync(entry.LeafHash, ct).ConfigureAwait(false) is { } idx)
                {
                    found.Add((s, idx));
                    break;
                }
            }
        }
        var entries = new List<RekorEntryResponse>(found.Count);
        foreach (var (shard, index) in found) entries.Add(await rekor.ReadAsync(shard, index, ct).ConfigureAwait(false));
        return new SearchResult(entries);
    }

    private static async Task<IResult> SearchIndex(HttpContext http, IRekorSearchIndex index, IOptions<RekorOptions> options, CancellationToken ct)
    {
        var body = await ReadBodyAsync(http, options.Value.MaxRequestBytes, ct).ConfigureAwait(false);
        if (body.Error is not null) return body.Error;
        var request = SearchIndexRequest.Parse(body.Bytes);
        var ids = await index.SearchAsync(request.Keys, request.And, ct).ConfigureAwait(false);
        return Json(w =>
        {
            w.WriteStartArray();
            foreach (var id in ids) w.WriteStringValue(id);
            w.WriteEndArray();
        });
    }

    private static async Task<(byte[] Bytes, IResult? Error)> ReadBodyAsync(HttpContext http, long limit, CancellationToken ct)
    {
        if (http.Request.ContentLength > limit) return ([], RekorError.Of(413, $"request body is larger than the limit of {limit} bytes"));
        var feature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false }) feature.MaxRequestBodySize = limit;
        using var buffer = new MemoryStream();
        try
        {
            await http.Request.Body.CopyToAsync(buffer, ct).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return ([], RekorError.Of(413, $"request body is larger than the limit of {limit} bytes"));
        }
        if (buffer.Length > limit) return ([], RekorError.Of(413, $"request body is larger than the limit of {limit} bytes"));
        if (buffer.Length == 0) return ([], RekorError.Of(400, "request body is empty"));
        return (buffer.ToArray(), null);
    }

    private static JsonWriterResult Json(Action<Utf8JsonWriter> write) => new(write);

    private sealed class JsonWriterResult(Action<Utf8JsonWriter> write) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.ContentType = "application/json";
            await using var w = new Utf8JsonWriter(httpContext.Response.Body, RekorJson.WriterOptions);
            write(w);
            await w.FlushAsync(httpContext.RequestAborted);
        }
    }

    /// <summary>A single-key LogEntry map; for 201 also Location and the unquoted ETag equal to the key (sigstore-go reads Payload[ETag]).</summary>
    private sealed class EntryResult(int status, IReadOnlyList<RekorEntryResponse> entries, string? location, string? entryId) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            using var buffer = new MemoryStream();
            await using (var w = new Utf8JsonWriter(buffer, RekorJson.WriterOptions))
            {
                w.WriteStartObject();
                foreach (var e in entries) RekorLog.WriteEntry(w, e);
                w.WriteEndObject();
            }
            httpContext.Response.StatusCode = status;
            httpContext.Response.ContentType = "application/json";
            if (location is not null) httpContext.Response.Headers.Location = location;
            if (entryId is not null) httpContext.Response.Headers.ETag = entryId;
            buffer.Position = 0;
            await buffer.CopyToAsync(httpContext.Response.Body, httpContext.RequestAborted);
        }
    }

    /// <summary>An array of single-key LogEntry maps; entries not found are omitted (rekor searchLogQuery).</summary>
    private sealed class SearchResult(IReadOnlyList<RekorEntryResponse> entries) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            using var buffer = new MemoryStream();
            await using (var w = new Utf8JsonWriter(buffer, RekorJson.WriterOptions))
            {
                w.WriteStartArray();
                foreach (var e in entries)
                {
                    w.WriteStartObject();
                    RekorLog.WriteEntry(w, e);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            httpContext.Response.ContentType = "application/json";
            buffer.Position = 0;
            await buffer.CopyToAsync(httpContext.Response.Body, httpContext.RequestAborted);
        }
    }
}
