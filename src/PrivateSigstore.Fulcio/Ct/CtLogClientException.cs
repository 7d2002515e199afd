using System.Net;

namespace PrivateSigstore.Fulcio.Ct;

/// <summary>The CT log refused a submission, could not be reached, or answered with an SCT that does not verify.</summary>
public sealed class CtLogClientException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CtLogClientException(string message, HttpStatusCode? statusCode = null, Exception? innerException = null)
        : base(message, innerException) => StatusCode = statusCode;

    /// <summary>Creates the exception.</summary>
    public CtLogClientException() : this("the CT log request failed") { }

    /// <summary>Creates the exception.</summary>
    public CtLogClientException(string message) : this(message, (HttpStatusCode?)null) { }

    /// <summary>Creates the exception.</summary>
    public CtLogClientException(string message, Exception innerException) : this(message, null, innerException) { }

    /// <summary>The HTTP status the log answered with; null when there was no HTTP answer or the answer was unusable.</summary>
    public HttpStatusCode? StatusCode { get; }

    /// <summary>True for answers worth retrying later (503, 429, 5xx, transport failures).</summary>
    public bool IsTransient => StatusCode is null or HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError;
}
