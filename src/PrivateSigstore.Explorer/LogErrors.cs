namespace PrivateSigstore.Explorer;

/// <summary>The thing asked for does not exist (404 page).</summary>
internal sealed class ExplorerNotFoundException(string message) : Exception(message);

/// <summary>The query cannot be understood (400 page).</summary>
internal sealed class ExplorerBadQueryException(string message) : Exception(message);

/// <summary>
/// A log (or the monitor) is down or answered something unusable: <see cref="Status"/> is 503 when it could not be
/// reached in time, 502 when it answered an error or garbage.
/// </summary>
internal sealed class LogUnavailableException(string service, int status, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Service { get; } = service;

    public int Status { get; } = status;
}
