using System.Globalization;
using System.Text.Json;
using PrivateSigstore.Core;
using PrivateSigstore.Rekor.Entries;
using PrivateSigstore.Hosting;
using PrivateSigstore.Log;

namespace PrivateSigstore.Rekor;

/// <summary>Rekor's error body: <c>{"code": &lt;int&gt;, "message": "&lt;string&gt;"}</c> (openapi.yaml Error).</summary>
internal static class RekorError
{
    /// <summary>Writes the error with its status code.</summary>
    public static IResult Of(int status, string message) => new ErrorResult(status, message);

    private sealed class ErrorResult(int status, string message) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = status;
            httpContext.Response.ContentType = "application/json";
            await using var writer = new Utf8JsonWriter(httpContext.Response.Body, RekorJson.WriterOptions);
            writer.WriteStartObject();
            writer.WriteNumber("code", status);
            writer.WriteString("message", message);
            writer.WriteEndObject();
        }
    }
}

/// <summary>
/// The one place where the Rekor API turns exceptions into Rekor's error shape and status codes: entry validation
/// (400 / 413 / 422 as upstream's pipeline stage), malformed requests (400), pushback (503 + Retry-After), a frozen
/// shard (501), a duplicate (409 + Location of the existing entry).
/// </summary>
internal sealed class RekorErrorFilter : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        try
        {
            return await next(context).ConfigureAwait(false);
        }
        catch (RekorEntryException ex)
        {
            return RekorError.Of(ex.HttpStatus, ex.Reason);
        }
        catch (WireFormatException ex)
        {
            return RekorError.Of(400, ex.Reason);
        }
        catch (LogPushbackException ex)
        {
            http.Response.SetRetryAfter(ex.RetryAfter);
            return RekorError.Of(503, ex.Message.Contains("witness", StringComparison.Ordinal) ? ex.Message : "the log is busy; retry later");
        }
        catch (LogFrozenException)
        {
            return RekorError.Of(501, "Create Entry API not enabled in this Rekor instance");
        }
        catch (InvalidEntryException ex)
        {
            return RekorError.Of(400, ex.Reason);
        }
        catch (System.Data.Common.DbException)
        {
            // The store went away mid-request (database restarting, e.g. 57P03 "shutting down" while the inclusion proof
            // of an appended entry is read): retryable, as when the sequencer cannot write. A retry of an entry that was
            // appended gets 409 with its Location. Found by PostgresCrashTests (one 500 among 503s).
            http.Response.SetRetryAfter(TimeSpan.FromSeconds(1));
            return RekorError.Of(503, "the log store is unavailable; retry later");
        }
        catch (RekorDuplicateEntryException ex)
        {
            // 409 with Location of the existing entry (rekor CreateLogEntryHandler, entryAlreadyExists).
            http.Response.Headers.Location = EntryLocation(http, ex.EntryId);
            return RekorError.Of(409, ex.Message);
        }
    }

    /// <summary>The entry's URL path (Location).</summary>
    public static string EntryLocation(HttpContext http, string entryId) => $"{http.Request.PathBase}/api/v1/log/entries/{entryId}";
}
