using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;

namespace PrivateSigstore.Timestamp;

/// <summary>
/// The sigstore/timestamp-authority v2 REST surface (<c>openapi.yaml</c>): <c>POST /api/v1/timestamp</c> and
/// <c>GET /api/v1/timestamp/certchain</c>. Errors carry upstream's <c>{code, message}</c> shape (plus <c>detail</c>).
/// </summary>
public static partial class TimestampEndpoints
{
    /// <summary>The DER request media type (RFC 3161 §3.4).</summary>
    public const string QueryMediaType = "application/timestamp-query";

    /// <summary>The DER reply media type (RFC 3161 §3.4).</summary>
    public const string ReplyMediaType = "application/timestamp-reply";

    /// <summary>The chain media type upstream serves.</summary>
    public const string ChainMediaType = "application/pem-certificate-chain";

    /// <summary>Maps the two upstream routes onto <paramref name="endpoints"/>.</summary>
    public static IEndpointRouteBuilder MapTimestampAuthority(this IEndpointRouteBuilder endpoints)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapPost("/api/v1/timestamp", PostTimestampAsync).DisableAntiforgery();
        endpoints.MapGet("/api/v1/timestamp/certchain", GetCertChainAsync);
        return endpoints;
    }

    private static async Task GetCertChainAsync(HttpContext context, TimestampAuthority authority)
    {
        context.Response.ContentType = ChainMediaType;
        await context.Response.WriteAsync(authority.Credentials.ChainPem, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task PostTimestampAsync(HttpContext context, TimestampAuthority authority, TimestampOptions options, TimestampMetrics metrics, ILogger<TimestampAuthority> logger)
    {
        var format = "unknown";
        try
        {
            // upstream: the body is read first (its size bounded by --max-request-body-size; a failed read is a 400).
            var body = await ReadBodyAsync(context, options.MaxRequestBytes).ConfigureAwait(false);
            if (body is null)
            {
                metrics.Request("refused", format);
                await WriteErrorAsync(context, StatusCodes.Status400BadRequest, TimestampQuery.GenericFailure, $"the request body exceeds {options.MaxRequestBytes} bytes (Timestamp:MaxRequestBytes)").ConfigureAwait(false);
                return;
            }

            // upstream getContentType: an application/* media type, parameters allowed; then json or timestamp-query.
            if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var mediaType)
                || !mediaType.Type.Equals("application", StringComparison.OrdinalIgnoreCase))
            {
                metrics.Request("refused", format);
                await WriteErrorAsync(context, StatusCodes.Status415UnsupportedMediaType, TimestampQuery.GenericFailure, $"content-type must be {QueryMediaType} or application/json").ConfigureAwait(false);
                return;
            }

            TimestampQuery query;
            if (mediaType.SubType.Equals("timestamp-query", StringComparison.OrdinalIgnoreCase))
            {
                format = "der";
                query = TimestampQuery.FromDer(body, authority.AcceptedPolicies);
            }
            else if (mediaType.SubType.Equals("json", StringComparison.OrdinalIgnoreCase))
            {
                format = "json";
                query = TimestampQuery.FromJson(body, authority.AcceptedPolicies);
            }
            else
            {
                throw new TimestampRequestException(TimestampQuery.GenericFailure, $"unsupported content type application/{mediaType.SubType}; use {QueryMediaType} or application/json");
            }

            var reply = authority.Issue(query);
            metrics.Request("issued", format);
            context.Response.StatusCode = options.UseHttp201 ? StatusCodes.Status201Created : StatusCodes.Status200OK;
            context.Response.ContentType = ReplyMediaType;
            context.Response.ContentLength = reply.Length;
            await context.Response.Body.WriteAsync(reply, context.RequestAborted).ConfigureAwait(false);
        }
        catch (TimestampRequestException e)
        {
            metrics.Request("refused", format);
            LogRefused(logger, e.Message, e.Detail);
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, e.Message, e.Detail).ConfigureAwait(false);
        }
        catch (BadHttpRequestException e)
        {
            // A body that ends early, or a transport limit: the client's fault, never a 5xx.
            metrics.Request("refused", format);
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, TimestampQuery.GenericFailure, e.Message).ConfigureAwait(false);
        }
        catch (TimestampUnavailableException e)
        {
            metrics.Request("clock", format);
            context.Response.Headers.RetryAfter = Math.Max(1, options.ClockCheck.IntervalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            await WriteErrorAsync(context, StatusCodes.Status503ServiceUnavailable, "the timestamp authority's clock cannot be trusted right now", e.Message).ConfigureAwait(false);
        }
        catch (CryptographicException e)
        {
            metrics.Request("failed", format);
            LogSigningFailed(logger, e);
            await WriteErrorAsync(context, StatusCodes.Status500InternalServerError, TimestampQuery.GenericFailure, "the signing key failed; see the server log").ConfigureAwait(false);
        }
    }

    /// <summary>The body, or <c>null</c> when it exceeds <paramref name="max"/> bytes (never more than max + one buffer is read).</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpContext context, long max)
    {
        var request = context.Request;
        var ct = context.RequestAborted;
        if (request.ContentLength is long length)
        {
            if (length > max) return null;
            var exact = new byte[length];
            try
            {
                await request.Body.ReadExactlyAsync(exact, ct).ConfigureAwait(false);
            }
            catch (EndOfStreamException)
            {
                throw new TimestampRequestException(TimestampQuery.GenericFailure, "the body is shorter than its Content-Length");
            }
            return exact;
        }

        // Chunked: our own bound, whatever the host's Kestrel limit is.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = null;
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            using var collected = new MemoryStream();
            int n;
            while ((n = await request.Body.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
            {
                if (collected.Length + n > max) return null;
                collected.Write(buffer, 0, n);
            }
            return collected.ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task WriteErrorAsync(HttpContext context, int status, string message, string detail)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var output = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(output))
        {
            json.WriteStartObject();
            json.WriteNumber("code", status);
            json.WriteString("message", message);
            json.WriteString("detail", detail);
            json.WriteEndObject();
        }
        await context.Response.Body.WriteAsync(output.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 6420, Level = LogLevel.Information, Message = "timestamp request refused: {Message}: {Detail}")]
    private static partial void LogRefused(ILogger logger, string message, string detail);

    [LoggerMessage(EventId = 6421, Level = LogLevel.Error, Message = "timestamp signing failed")]
    private static partial void LogSigningFailed(ILogger logger, Exception exception);
}
