using System.Data.Common;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace PrivateSigstore.Hosting;

/// <summary>
/// Turns a store failure that escapes a route — the database is down or restarting, the disk is full or read-only — into
/// <b>503</b> with <c>Retry-After: 1</c> and a problem body, instead of a 500 with a stack trace in the log: such a failure
/// is the operator's to fix and the client's to retry. It is logged as one warning line (the first, then at most one
/// every 10 s with the number of refusals since), so a full disk under load does not flood the log.
/// </summary>
public sealed partial class StoreUnavailableHandler(ILogger<StoreUnavailableHandler> logger, IProblemDetailsService problems) : IExceptionHandler
{
    private static readonly TimeSpan LogEvery = TimeSpan.FromSeconds(10);
    private readonly Lock _gate = new();
    private DateTimeOffset _nextLog = DateTimeOffset.MinValue;
    private long _since;

    /// <summary>ENOSPC, EROFS, EDQUOT (Linux errno values, which .NET keeps as the IOException's HResult).</summary>
    private static readonly int[] StoreErrnos = [28, 30, 122];

    /// <summary>The store failure in <paramref name="exception"/> or its inner exceptions, if there is one.</summary>
    public static Exception? FindStoreFailure(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is DbException || (e is IOException && (StoreErrnos.Contains(e.HResult & 0xFFFF)
                || e.Message.Contains("No space left on device", StringComparison.Ordinal)
                || e.Message.Contains("Read-only file system", StringComparison.Ordinal))))
            {
                return e;
            }
        }
        return null;
    }

    /// <inheritdoc />
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var failure = FindStoreFailure(exception);
        if (failure is null)
        {
            return false;
        }
        var count = Interlocked.Increment(ref _since);
        var now = DateTimeOffset.UtcNow;
        var log = false;
        lock (_gate)
        {
            if (now >= _nextLog)
            {
                _nextLog = now + LogEvery;
                log = true;
                Interlocked.Exchange(ref _since, 0);
            }
        }
        if (log)
        {
            StoreUnavailable(logger, httpContext.Request.Method, httpContext.Request.Path.Value ?? "", failure.GetType().Name, failure.Message, count);
        }
        if (httpContext.Response.HasStarted)
        {
            // Too late for a 503: the connection is aborted (logged above, not as a stack trace).
            return false;
        }
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.SetRetryAfter(TimeSpan.FromSeconds(1));
        await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = StatusCodes.Status503ServiceUnavailable, Title = "The store is unavailable; retry later." },
        }).ConfigureAwait(false);
        return true;
    }

    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning, Message = "store unavailable, answering 503: {Method} {Path}: {Kind}: {Reason} ({Count} refused since the last such line)")]
    private static partial void StoreUnavailable(ILogger logger, string method, string path, string kind, string reason, long count);
}
