using System.Globalization;
using System.Text.Json;
using PrivateSigstore.Core;
using PrivateSigstore.Hosting;
using PrivateSigstore.Log;
using PrivateSigstore.Rekor.Entries;

namespace PrivateSigstore.Rekor.V2;

/// <summary>
/// rekor-tiles' error body, grpc-gateway's default: <c>{"code": &lt;gRPC code&gt;, "message": "…", "details": []}</c> with the
/// HTTP status grpc-gateway maps the code to.
/// </summary>
internal static class RekorV2Error
{
    /// <summary>gRPC InvalidArgument (HTTP 400).</summary>
    public const int InvalidArgument = 3;

    /// <summary>gRPC AlreadyExists (HTTP 409).</summary>
    public const int AlreadyExists = 6;

    /// <summary>gRPC ResourceExhausted (HTTP 429; 413 for an oversized body here).</summary>
    public const int ResourceExhausted = 8;

    /// <summary>gRPC Unavailable (HTTP 503).</summary>
    public const int Unavailable = 14;

    /// <summary>Writes the error with its status code.</summary>
    public static IResult Of(int status, int code, string message) => new ErrorResult(status, code, message);

    private sealed class ErrorResult(int status, int code, string message) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.ContentType = "application/json";
            await using var writer = new Utf8JsonWriter(httpContext.Response.Body);
            writer.WriteStartObject();
            writer.WriteNumber("code", code);
            writer.WriteString("message", message);
            writer.WriteStartArray("details");
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
    }
}

/// <summary>
/// The one place where the Rekor v2 write API turns exceptions into rekor-tiles' answers (internal/server/service.go
/// CreateEntry, http.go): refused entries and malformed requests 400 InvalidArgument; a duplicate 409 AlreadyExists with
/// <c>x-log-index</c>; pushback 503 Unavailable "reached max pushback; retry" with Retry-After; a frozen log 405 with
/// upstream's plain-text message.
/// </summary>
internal sealed class RekorV2ErrorFilter : IEndpointFilter
{
    /// <summary>Upstream's answer when the log is read-only (x-http-error-message).</summary>
    public const string FrozenMessage = "This log has been frozen, please switch to the latest log.";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (RekorEntryException ex)
        {
            return RekorV2Error.Of(ex.HttpStatus, RekorV2Error.InvalidArgument, ex.Reason);
        }
        catch (WireFormatException ex)
        {
            return RekorV2Error.Of(400, RekorV2Error.InvalidArgument, ex.Reason);
        }
        catch (InvalidEntryException ex)
        {
            return RekorV2Error.Of(400, RekorV2Error.InvalidArgument, "invalid entry: " + ex.Reason);
        }
        catch (RekorV2DuplicateException ex)
        {
            http.Response.Headers["x-log-index"] = ex.Index.ToString(CultureInfo.InvariantCulture);
            return RekorV2Error.Of(409, RekorV2Error.AlreadyExists, ex.Message);
        }
        catch (LogPushbackException ex)
        {
            http.Response.SetRetryAfter(ex.RetryAfter);
            // Upstream's words for a full queue; a witness policy that is not met says why (the cause is not load).
            return RekorV2Error.Of(503, RekorV2Error.Unavailable, ex.Message.Contains("witness", StringComparison.Ordinal) ? ex.Message : "reached max pushback; retry");
        }
        catch (LogFrozenException)
        {
            return Results.Text(FrozenMessage + "\n", "text/plain; charset=utf-8", statusCode: 405);
        }
    }
}
