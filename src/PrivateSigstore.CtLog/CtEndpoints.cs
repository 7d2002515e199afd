using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using PrivateSigstore.Hosting;
using PrivateSigstore.Log;

namespace PrivateSigstore.CtLog;

/// <summary>
/// The RFC 6962 §4 API (certificate-transparency-go ct.* JSON shapes; errors as trillian ctfe writes them: a status
/// code with a plain-text message).
/// </summary>
public static class CtEndpoints
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonDocumentOptions ReaderOptions = new() { MaxDepth = 8 };

    /// <summary>Maps the routes under <c>/ct/v1/</c> and, with a prefix, also under <c>/{prefix}/ct/v1/</c>.</summary>
    public static IEndpointRouteBuilder MapCtLog(this IEndpointRouteBuilder app, string? prefix)
    {
        ArgumentNullException.ThrowIfNull(app);
        MapGroup(app.MapGroup("/ct/v1"));
        if (!string.IsNullOrEmpty(prefix)) MapGroup(app.MapGroup($"/{prefix}/ct/v1"));
        // The same tree as a C2SP checkpoint (static-ct-api's /checkpoint), with witness cosignatures when configured.
        app.MapGet("/checkpoint", GetCheckpointAsync).WithRateLimit("read");
        if (!string.IsNullOrEmpty(prefix)) app.MapGet($"/{prefix}/checkpoint", GetCheckpointAsync).WithRateLimit("read");
        return app;
    }

    private static async Task<IResult> GetCheckpointAsync(HttpContext http, CertificateLog log, CancellationToken ct)
    {
        http.Response.Headers.CacheControl = "no-cache";
        if (await log.PublishedCheckpointAsync(ct).ConfigureAwait(false) is { } note) return Results.Text(note, "text/plain; charset=utf-8");
        http.Response.Headers.RetryAfter = "2";
        return Results.Text($"no checkpoint has the witness cosignatures the log's policy needs yet ({log.Witnessing!.PolicyText})\n", "text/plain; charset=utf-8", statusCode: 503);
    }

    private static void MapGroup(RouteGroupBuilder api)
    {
        api.AddEndpointFilter<CtErrorFilter>();
        api.MapPost("/add-chain", (HttpContext http, CertificateLog log, CtLogMetrics metrics, IOptions<CtLogOptions> options, CancellationToken ct) => AddChainAsync(http, log, metrics, options.Value, precert: false, ct)).WithRateLimit("write");
        api.MapPost("/add-pre-chain", (HttpContext http, CertificateLog log, CtLogMetrics metrics, IOptions<CtLogOptions> options, CancellationToken ct) => AddChainAsync(http, log, metrics, options.Value, precert: true, ct)).WithRateLimit("write");
        api.MapGet("/get-sth", GetSth).WithRateLimit("read");
        api.MapGet("/get-sth-consistency", GetSthConsistencyAsync).WithRateLimit("read");
        api.MapGet("/get-proof-by-hash", GetProofByHashAsync).WithRateLimit("read");
        api.MapGet("/get-entries", GetEntriesAsync).WithRateLimit("read");
        api.MapGet("/get-roots", GetRoots).WithRateLimit("read");
        api.MapGet("/get-entry-and-proof", GetEntryAndProofAsync).WithRateLimit("read");
    }

    private static async Task<IResult> AddChainAsync(HttpContext http, CertificateLog log, CtLogMetrics metrics, CtLogOptions options, bool precert, CancellationToken ct)
    {
        var op = precert ? "add-pre-chain" : "add-chain";
        var result = await SubmitAsync(http, log, options, op, precert, ct).ConfigureAwait(false);
        metrics.Submission(op, result.Outcome);
        return result.Result;
    }

    private static async Task<(IResult Result, string Outcome)> SubmitAsync(HttpContext http, CertificateLog log, CtLogOptions options, string op, bool precert, CancellationToken ct)
    {
        var body = await ReadBodyAsync(http, options.MaxRequestBytes, ct).ConfigureAwait(false);
        if (body.Error is not null) return (body.Error, "refused");
        List<byte[]> chain;
        try
        {
            chain = ParseChainRequest(body.Bytes, options.MaxChainLength);
        }
        catch (CtSubmissionException ex)
        {
            return (Error(400, $"failed to parse {op} body: {ex.Message}"), "refused");
        }
        try
        {
            var accepted = log.Policy.Accept(chain, precert);
            var sct = await log.AddAsync(accepted, ct).ConfigureAwait(false);
            return (Json(w => Core.Ct.AddChainResponse.Write(w, sct)), "sct");
        }
        catch (CtSubmissionException ex)
        {
            return (Error(400, $"failed to verify {op} chain: {ex.Message}"), "refused");
        }
    }

    /// <summary>
    /// The CT API's one mapping of engine exceptions to its error shape (<c>{"error": ...}</c>-free plain text as ctfe):
    /// pushback → 503 + Retry-After, a frozen log → 503; counted as "busy" submissions.
    /// </summary>
    private sealed class CtErrorFilter : IEndpointFilter
    {
        public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
        {
            var http = context.HttpContext;
            try
            {
                return await next(context).ConfigureAwait(false);
            }
            catch (LogPushbackException ex)
            {
                http.Response.SetRetryAfter(ex.RetryAfter);
                Busy(http);
                return Error(503, "the log is busy; retry later");
            }
            catch (LogFrozenException)
            {
                Busy(http);
                return Error(503, "the log is frozen and accepts no new entries");
            }
        }

        private static void Busy(HttpContext http)
        {
            var op = http.Request.Path.Value is { } path ? path[(path.LastIndexOf('/') + 1)..] : "";
            if (op is "add-chain" or "add-pre-chain") http.RequestServices.GetRequiredService<CtLogMetrics>().Submission(op, "busy");
        }
    }

    /// <summary>Parses <c>{"chain": ["&lt;base64 DER&gt;", ...]}</c> (ct.AddChainRequest); unknown members are ignored as Go's decoder does.</summary>
    internal static List<byte[]> ParseChainRequest(byte[] body, int maxChainLength)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(body, ReaderOptions);
        }
        catch (JsonException ex)
        {
            throw new CtSubmissionException($"invalid JSON: {ex.Message}");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new CtSubmissionException("the body must be a JSON object");
            if (!doc.RootElement.TryGetProperty("chain", out var chainElement) || chainElement.ValueKind != JsonValueKind.Array) throw new CtSubmissionException("\"chain\" must be an array of base64 certificates");
            var count = chainElement.GetArrayLength();
            if (count == 0) throw new CtSubmissionException("the chain is empty");
            if (count > maxChainLength) throw new CtSubmissionException($"the chain has {count} certificates; at most {maxChainLength} are accepted");
            var chain = new List<byte[]>(count);
            foreach (var item in chainElement.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String || !item.TryGetBytesFromBase64(out var der) || der.Length == 0)
                {
                    throw new CtSubmissionException($"chain[{chain.Count}] is not a non-empty base64 string");
                }
                chain.Add(der);
            }
            return chain;
        }
    }

    private static IResult GetSth(CertificateLog log)
    {
        var sth = log.LatestTreeHead();
        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("tree_size", sth.TreeSize);
            w.WriteNumber("timestamp", sth.Timestamp);
            w.WriteBase64String("sha256_root_hash", sth.RootHash);
            w.WriteBase64String("tree_head_signature", sth.Signature);
            w.WriteEndObject();
        });
    }

    private static async Task<IResult> GetSthConsistencyAsync(CertificateLog log, string? first, string? second, CancellationToken ct)
    {
        if (!TryParse(first, out var m)) return Error(400, "get-sth-consistency: first must be a non-negative integer");
        if (!TryParse(second, out var n)) return Error(400, "get-sth-consistency: second must be a non-negative integer");
        if (m > n) return Error(400, $"get-sth-consistency: first ({m}) is larger than second ({n})");
        var size = log.Log.Size;
        if (n > size) return Error(400, $"get-sth-consistency: second ({n}) is beyond the tree size ({size})");
        var proof = await log.Log.GetConsistencyProofAsync(m, n, ct).ConfigureAwait(false);
        return Json(w =>
        {
            w.WriteStartObject();
            WriteHashes(w, "consistency", proof);
            w.WriteEndObject();
        });
    }

    private static async Task<IResult> GetProofByHashAsync(CertificateLog log, string? hash, string? tree_size, CancellationToken ct)
    {
        if (hash is null || !TryBase64(hash, out var leafHash) || leafHash.Length != 32) return Error(400, "get-proof-by-hash: hash must be a base64 SHA-256 leaf hash");
        if (!TryParse(tree_size, out var treeSize) || treeSize == 0) return Error(400, "get-proof-by-hash: tree_size must be a positive integer");
        var size = log.Log.Size;
        if (treeSize > size) return Error(400, $"get-proof-by-hash: tree_size ({treeSize}) is beyond the tree size ({size})");
        if (await log.Log.FindIndexAsync(leafHash, ct).ConfigureAwait(false) is not { } index || index >= treeSize)
        {
            return Error(404, $"get-proof-by-hash: no leaf with this hash in the tree of size {treeSize}");
        }
        var proof = await log.Log.GetInclusionProofAsync(index, treeSize, ct).ConfigureAwait(false);
        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("leaf_index", index);
            WriteHashes(w, "audit_path", proof);
            w.WriteEndObject();
        });
    }

    private static async Task<IResult> GetEntriesAsync(CertificateLog log, IOptions<CtLogOptions> options, string? start, string? end, CancellationToken ct)
    {
        if (!TryParse(start, out var s)) return Error(400, "get-entries: start must be a non-negative integer");
        if (!TryParse(end, out var e)) return Error(400, "get-entries: end must be a non-negative integer");
        if (e < s) return Error(400, $"get-entries: end ({e}) is before start ({s})");
        var size = log.Log.Size;
        if (s >= size) return Error(400, $"get-entries: start ({s}) is beyond the tree size ({size})");
        // RFC 6962 §4.6: the log may return fewer entries than asked for; clients page on.
        var last = Math.Min(Math.Min(e, size - 1), s + (ulong)options.Value.MaxGetEntries - 1);
        var entries = await log.GetEntriesAsync(s, (int)(last - s + 1), ct).ConfigureAwait(false);
        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteStartArray("entries");
            foreach (var (entry, extra) in entries)
            {
                w.WriteStartObject();
                w.WriteBase64String("leaf_input", entry.Leaf.Span);
                w.WriteBase64String("extra_data", extra);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });
    }

    private static IResult GetRoots(CertificateLog log) => Json(w =>
    {
        w.WriteStartObject();
        w.WriteStartArray("certificates");
        foreach (var root in log.Policy.Roots) w.WriteBase64StringValue(root);
        w.WriteEndArray();
        w.WriteEndObject();
    });

    private static async Task<IResult> GetEntryAndProofAsync(CertificateLog log, string? leaf_index, string? tree_size, CancellationToken ct)
    {
        if (!TryParse(leaf_index, out var index)) return Error(400, "get-entry-and-proof: leaf_index must be a non-negative integer");
        if (!TryParse(tree_size, out var treeSize) || treeSize == 0) return Error(400, "get-entry-and-proof: tree_size must be a positive integer");
        if (index >= treeSize) return Error(400, $"get-entry-and-proof: leaf_index ({index}) must be below tree_size ({treeSize})");
        var size = log.Log.Size;
        if (treeSize > size) return Error(400, $"get-entry-and-proof: tree_size ({treeSize}) is beyond the tree size ({size})");
        var entries = await log.GetEntriesAsync(index, 1, ct).ConfigureAwait(false);
        var proof = await log.Log.GetInclusionProofAsync(index, treeSize, ct).ConfigureAwait(false);
        var (entry, extra) = entries[0];
        return Json(w =>
        {
            w.WriteStartObject();
            w.WriteBase64String("leaf_input", entry.Leaf.Span);
            w.WriteBase64String("extra_data", extra);
            WriteHashes(w, "audit_path", proof);
            w.WriteEndObject();
        });
    }

    private static void WriteHashes(Utf8JsonWriter w, string name, byte[][] hashes)
    {
        w.WriteStartArray(name);
        foreach (var h in hashes) w.WriteBase64StringValue(h);
        w.WriteEndArray();
    }

    private static bool TryParse(string? value, out ulong result)
    {
        result = 0;
        return value is not null && ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out result) && result <= long.MaxValue;
    }

    private static bool TryBase64(string value, out byte[] bytes)
    {
        bytes = new byte[(value.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64String(value, bytes, out var written)) return false;
        bytes = bytes[..written];
        return true;
    }

    private static async Task<(byte[] Bytes, IResult? Error)> ReadBodyAsync(HttpContext http, long limit, CancellationToken ct)
    {
        var tooLarge = Error(413, $"request body is larger than the limit of {limit} bytes");
        if (http.Request.ContentLength > limit) return ([], tooLarge);
        var feature = http.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (feature is { IsReadOnly: false }) feature.MaxRequestBodySize = limit;
        using var buffer = new MemoryStream();
        try
        {
            await http.Request.Body.CopyToAsync(buffer, ct).ConfigureAwait(false);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return ([], tooLarge);
        }
        if (buffer.Length > limit) return ([], tooLarge);
        if (buffer.Length == 0) return ([], Error(400, "request body is empty"));
        return (buffer.ToArray(), null);
    }

    /// <summary>An error as ctfe writes it (Go http.Error): the status and a plain-text line.</summary>
    private static IResult Error(int status, string message) => Results.Text(message + "\n", "text/plain; charset=utf-8", statusCode: status);

    private static JsonResult Json(Action<Utf8JsonWriter> write) => new(write);

    private sealed class JsonResult(Action<Utf8JsonWriter> write) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.ContentType = "application/json";
            await using var w = new Utf8JsonWriter(httpContext.Response.Body, WriterOptions);
            write(w);
            await w.FlushAsync(httpContext.RequestAborted);
        }
    }
}
