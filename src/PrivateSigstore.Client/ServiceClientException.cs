using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

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

    /// <summary>
    /// An error status, with the full URL and the reason: the service's message (Rekor's and grpc-gateway's
    /// <c>message</c>, with grpc-gateway <c>details</c>), else the start of its body, else a note that it gave none and a
    /// question whether <paramref name="baseUrl"/> is the <paramref name="service"/> at all (a URL of the wrong service
    /// answers 404 with an empty body).
    /// </summary>
    public static ServiceClientException ForStatus(HttpMethod method, Uri url, HttpStatusCode status, byte[] body, string service, Uri baseUrl, string? context = null)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(body);
        var code = (int)status;
        var phrase = Enum.IsDefined(status) ? " " + ReasonPhrase(status) : "";
        var reason = Reason(body);
        if (reason.Length == 0)
        {
            reason = context ?? (status is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed
                ? $"the server gave no reason; is {baseUrl} {service}?"
                : "the server gave no reason");
        }
        else if (context is not null)
        {
            reason = $"{context}: {reason}";
        }
        return new ServiceClientException(string.Create(CultureInfo.InvariantCulture, $"{method} {url}: HTTP {code}{phrase}: {reason}"), code);
    }

    /// <summary>A transport failure (refused, unreachable, timed out), with the full URL and which service was expected there.</summary>
    public static ServiceClientException ForTransport(HttpMethod method, Uri url, Exception error, string service, Uri baseUrl)
    {
        ArgumentNullException.ThrowIfNull(error);
        var what = error switch
        {
            TaskCanceledException => "timed out",
            HttpRequestException { InnerException: { } inner } e when !e.Message.Contains(inner.Message, StringComparison.Ordinal) => $"{e.Message} ({inner.Message})",
            _ => error.Message,
        };
        return new ServiceClientException($"{method} {url}: {what}: is {service} running at {baseUrl}?", 0, error);
    }

    /// <summary>The reason in an error body: JSON <c>message</c> (+ grpc-gateway <c>details</c>), else the text (500 characters at most), else "".</summary>
    public static string Reason(byte[] body)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("message", out var message))
            {
                var text = message.ToString().Trim();
                var details = document.RootElement.TryGetProperty("details", out var d) && d.ValueKind == JsonValueKind.Array
                    ? string.Join("; ", d.EnumerateArray().Select(Detail).Where(s => s.Length > 0))
                    : "";
                return details.Length == 0 || text.Contains(details, StringComparison.Ordinal) ? text : $"{text} ({details})";
            }
        }
        catch (JsonException)
        {
        }
        return Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 500))).Trim();
    }

    // A grpc-gateway detail: a google.protobuf.Any, e.g. google.rpc.DebugInfo {"detail": "…"}, ErrorInfo {"reason": "…"}, or a string.
    private static string Detail(JsonElement detail) => detail.ValueKind switch
    {
        JsonValueKind.String => detail.GetString() ?? "",
        JsonValueKind.Object when detail.TryGetProperty("detail", out var d) => d.ToString(),
        JsonValueKind.Object when detail.TryGetProperty("reason", out var r) => r.ToString(),
        JsonValueKind.Object when detail.TryGetProperty("value", out var v) => v.ToString(),
        _ => "",
    };

    private static string ReasonPhrase(HttpStatusCode status)
    {
        using var response = new HttpResponseMessage(status);
        return response.ReasonPhrase ?? status.ToString();
    }
}
