using System.Buffers.Binary;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Hosting;
using PrivateSigstore.Log;
using PrivateSigstore.Rekor.Entries.V2;

namespace PrivateSigstore.Rekor.V2;

/// <summary>
/// The Rekor v2 API: rekor-tiles' write endpoint (<c>POST /api/v2/log/entries</c>) and the C2SP tlog-tiles read API under
/// the same prefix (<c>/api/v2/checkpoint</c>, <c>/api/v2/tile/…</c>, <c>/api/v2/tile/entries/…</c>).
/// </summary>
public static class RekorV2Endpoints
{
    /// <summary>The API prefix (also the tlog-tiles prefix clients are given).</summary>
    public const string Prefix = "/api/v2";

    /// <summary>Cache-Control of full tiles and entry bundles: they never change.</summary>
    public const string ImmutableCache = "public, max-age=31536000, immutable";

    /// <summary>Cache-Control of partial tiles and bundles (superseded as the tree grows).</summary>
    public const string PartialCache = "public, max-age=1";

    /// <summary>Cache-Control of the checkpoint.</summary>
    public const string CheckpointCache = "no-cache";

    /// <summary>Maps the Rekor v2 routes.</summary>
    public static IEndpointRouteBuilder MapRekorV2(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var api = app.MapGroup(Prefix);
        api.MapPost("/log/entries", CreateEntry).AddEndpointFilter<RekorV2ErrorFilter>().WithRateLimit("write");
        api.MapGet("/checkpoint", GetCheckpoint).WithRateLimit("read");
        api.MapGet("/tile/{**path}", GetTile).WithRateLimit("read");
        return app;
    }

    private static async Task<IResult> CreateEntry(HttpContext http, RekorV2Log log, IOptions<RekorV2Options> options, CancellationToken ct)
    {
        var limit = options.Value.MaxRequestBytes;
        var tooLarge = RekorV2Error.Of(413, RekorV2Error.ResourceExhausted, $"http: request body too large (limit {limit} bytes)");
        if (http.Request.ContentLength > limit) return tooLarge;
        var feature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false }) feature.MaxRequestBodySize = limit;
        using var buffer = new MemoryStream(http.Request.ContentLength is > 0 and < 1 << 20 ? (int)http.Request.ContentLength : 4096);
        try
        {
            await http.Request.Body.CopyToAsync(buffer, ct).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return tooLarge;
        }
        if (buffer.Length > limit) return tooLarge;
        if (buffer.Length == 0) return RekorV2Error.Of(400, RekorV2Error.InvalidArgument, "proto: syntax error: unexpected end of JSON input");
        // Parse, verify and canonicalize (rekor-tiles ToLogEntry); refusals, a duplicate, pushback and a frozen log throw,
        // and RekorV2ErrorFilter answers in upstream's shape.
        var policy = options.Value.AcceptDsse ? RekorV2EntryPolicy.Default : NoDsse;
        var entry = RekorV2Entries.Canonicalize(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), policy);
        var body = await log.AppendAsync(entry, ct).ConfigureAwait(false);
        return new CreatedResult(body);
    }

    /// <summary>201 with the TransparencyLogEntry (rekor-tiles sets x-http-code 201; its Go client accepts nothing else).</summary>
    private sealed class CreatedResult(byte[] body) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status201Created;
            httpContext.Response.ContentType = "application/json";
            httpContext.Response.ContentLength = body.Length;
            return httpContext.Response.Body.WriteAsync(body, httpContext.RequestAborted).AsTask();
        }
    }

    private static readonly RekorV2EntryPolicy NoDsse = new() { AcceptDsse = false };

    private static async Task<IResult> GetCheckpoint(HttpContext http, RekorV2Log log, CancellationToken ct)
    {
        http.Response.Headers.CacheControl = CheckpointCache;
        if (await log.PublishedCheckpointAsync(ct).ConfigureAwait(false) is { } note) return Results.Text(note, "text/plain; charset=utf-8");
        http.Response.Headers.RetryAfter = "2";
        return Results.Text($"no checkpoint has the witness cosignatures the log's policy needs yet ({log.Witnessing!.PolicyText})\n", "text/plain; charset=utf-8", statusCode: 503);
    }

    private static async Task<IResult> GetTile(HttpContext http, RekorV2Log log, string path, CancellationToken ct)
    {
        var full = "tile/" + path;
        try
        {
            if (path.StartsWith("entries/", StringComparison.Ordinal))
            {
                var (index, width) = TileId.ParseEntriesPath(full);
                var bundle = await ReadEntryBundleAsync(log.Log, index, width, ct).ConfigureAwait(false);
                if (bundle is null) return NotFound(full);
                http.Response.Headers.CacheControl = width == TileLayout.TileWidth ? ImmutableCache : PartialCache;
                return Results.Bytes(bundle, "application/octet-stream");
            }
            if (!TileId.TryParse(full, out var tile)) return Results.Text($"malformed tile path {full}\n", "text/plain; charset=utf-8", statusCode: 400);
            var hashes = await log.Log.GetTileAsync(tile.Level, tile.Index, tile.Width, ct).ConfigureAwait(false);
            http.Response.Headers.CacheControl = tile.IsPartial ? PartialCache : ImmutableCache;
            return Results.Bytes(hashes, "application/octet-stream");
        }
        catch (Core.WireFormatException ex)
        {
            return Results.Text($"malformed tile path {full}: {ex.Reason}\n", "text/plain; charset=utf-8", statusCode: 400);
        }
        catch (LogRangeException)
        {
            return NotFound(full);
        }
    }

    private static IResult NotFound(string path) => Results.Text($"{path} is beyond the published tree\n", "text/plain; charset=utf-8", statusCode: 404);

    /// <summary>
    /// Entry bundle <paramref name="index"/> of <paramref name="width"/> entries (tlog-tiles: <c>uint16 big-endian length ‖
    /// entry</c> each, the entry being the canonical body as Tessera stores it), or null when beyond the published tree.
    /// </summary>
    internal static async Task<byte[]?> ReadEntryBundleAsync(TransparencyLog log, ulong index, int width, CancellationToken ct)
    {
        var size = log.Size;
        if (index > (ulong.MaxValue >> 8) || (index << 8) + (ulong)width > size) return null;
        var entries = await log.GetEntriesAsync(index << 8, width, ct).ConfigureAwait(false);
        var length = 0;
        foreach (var e in entries) length += 2 + e.Leaf.Length;
        var bundle = new byte[length];
        var at = 0;
        foreach (var e in entries)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bundle.AsSpan(at), checked((ushort)e.Leaf.Length));
            e.Leaf.Span.CopyTo(bundle.AsSpan(at + 2));
            at += 2 + e.Leaf.Length;
        }
        return bundle;
    }
}
