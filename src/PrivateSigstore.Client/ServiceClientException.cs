namespace PrivateSigstore.Client;

/// <summary>
/// A call to a Sigstore service (Rekor, Fulcio) failed: a transport error, an error status (with the service's
/// message) or a malformed answer. <see cref="StatusCode"/> is the HTTP status, 0 when there was none.
/// </summary>
public sealed class ServiceClientException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ServiceClientException(string message, int statusCode = 0, Exception? inner = null) : base(message, inner) => StatusCode = statusCode;

    /// <summary>Creates the exception.</summary>
    public ServiceClientException() : this("service request failed") { }

    /// <summary>Creates the exception.</summary>
    public ServiceClientException(string message) : this(message, 0) { }

    /// <summary>Creates the exception.</summary>
    public ServiceClientException(string message, Exception innerException) : this(message, 0, innerException) { }

    /// <summary>The HTTP status, or 0.</summary>
    public int StatusCode { get; }
}
