using System.Text.Json;

namespace PrivateSigstore.Fulcio.Api;

/// <summary>
/// Fulcio's error body, a google.rpc.Status written by grpc-gateway's DefaultHTTPErrorHandler:
/// <c>{"code":&lt;gRPC code&gt;,"message":"…","details":[]}</c> with the HTTP status mapped from the code.
/// </summary>
internal static class FulcioError
{
    /// <summary>gRPC InvalidArgument → 400.</summary>
    public const int InvalidArgument = 3;

    /// <summary>gRPC Internal → 500.</summary>
    public const int Internal = 13;

    /// <summary>Upstream <c>failedToEnterCertInCTL</c>.</summary>
    public const string CtFailure = "Error entering certificate in CTL";

    /// <summary>Upstream <c>genericCAError</c>.</summary>
    public const string CaFailure = "error communicating with CA backend";

    /// <summary>Upstream <c>retrieveTrustBundleCAError</c>.</summary>
    public const string TrustBundleFailure = "error retrieving trust bundle from CA backend";

    /// <summary>An InvalidArgument (400) error.</summary>
    public static IResult BadRequest(string message) => new ErrorResult(InvalidArgument, message, null);

    /// <summary>
    /// An InvalidArgument (400) error whose <c>details</c> carry the specific reason as a <c>google.rpc.DebugInfo</c>
    /// (<c>{"@type":"type.googleapis.com/google.rpc.DebugInfo","detail":"…"}</c>): upstream's message stays as it is
    /// (clients match it), the operator and the signer see why.
    /// </summary>
    public static IResult BadRequest(string message, string? detail) => new ErrorResult(InvalidArgument, message, detail);

    /// <summary>An Internal (500) error.</summary>
    public static IResult InternalError(string message) => new ErrorResult(Internal, message, null);

    private sealed class ErrorResult(int code, string message, string? detail) : IResult
    {
        public async Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = code == InvalidArgument ? StatusCodes.Status400BadRequest : StatusCodes.Status500InternalServerError;
            httpContext.Response.ContentType = "application/json";
            await using var writer = new Utf8JsonWriter(httpContext.Response.Body);
            writer.WriteStartObject();
            writer.WriteNumber("code", code);
            writer.WriteString("message", message);
            writer.WriteStartArray("details");
            if (!string.IsNullOrEmpty(detail))
            {
                writer.WriteStartObject();
                writer.WriteString("@type", "type.googleapis.com/google.rpc.DebugInfo");
                writer.WriteString("detail", detail);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
    }
}
