using System.Text.Json;

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
