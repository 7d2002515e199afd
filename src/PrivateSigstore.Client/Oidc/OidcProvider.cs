using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Json;

namespace PrivateSigstore.Client.Oidc;

/// <summary>The endpoints an OpenID provider publishes in its discovery document (OpenID Connect Discovery 1.0 §3, RFC 8628 §4).</summary>
/// <param name="TokenEndpoint">Where codes and credentials are exchanged for tokens.</param>
/// <param name="AuthorizationEndpoint">Where a browser signs a person in (code flow); null when not published.</param>
/// <param name="DeviceAuthorizationEndpoint">Where a device asks for a user code (RFC 8628); null when not published.</param>
public sealed record OidcEndpoints(Uri TokenEndpoint, Uri? AuthorizationEndpoint, Uri? DeviceAuthorizationEndpoint);

/// <summary>
/// One OpenID provider as the token flows talk to it: discovery, and token endpoint requests whose answer is either a
/// token (the <c>id_token</c> when present, else the <c>access_token</c>, as Sigstore clients choose) or a typed OAuth error.
/// </summary>
public sealed class OidcProvider
{
    /// <summary>Token responses and discovery documents larger than this are refused.</summary>
    private const int MaxResponseBytes = 256 * 1024;

    private readonly HttpClient _http;

    /// <summary>A provider at <paramref name="issuer"/> reached through <paramref name="http"/>.</summary>
    public OidcProvider(HttpClient http, Uri issuer)
    {
        _http = http ?? throw new ArgumentNullException(nameof(http));
        Issuer = issuer ?? throw new ArgumentNullException(nameof(issuer));
    }

    /// <summary>The issuer URL discovery is read under.</summary>
    public Uri Issuer { get; }

    /// <summary>Reads <c>/.well-known/openid-configuration</c> under the issuer.</summary>
    public async Task<OidcEndpoints> DiscoverAsync(CancellationToken cancellationToken = default)
    {
        var uri = new Uri(Issuer.AbsoluteUri.TrimEnd('/') + "/.well-known/openid-configuration");
        using var response = await _http.GetAsync(uri, cancellationToken).ConfigureAwait(false);
        var text = await ReadAsync(response, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new OidcException("discovery_failed", $"{uri}: HTTP {(int)response.StatusCode}");
        }
        var json = Parse(text);
        return new OidcEndpoints(
            Endpoint(json, "token_endpoint") ?? throw new OidcException("discovery_failed", $"{Issuer}: discovery document has no token_endpoint"),
            Endpoint(json, "authorization_endpoint"),
            Endpoint(json, "device_authorization_endpoint"));
    }

    /// <summary>Posts <paramref name="form"/> to <paramref name="endpoint"/>; returns the JSON answer or throws <see cref="OidcException"/> with its OAuth error (RFC 6749 §5.2).</summary>
    public async Task<JsonObject> PostFormAsync(Uri endpoint, IEnumerable<KeyValuePair<string, string>> form, System.Net.Http.Headers.AuthenticationHeaderValue? authorization = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Authorization = authorization;
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await ReadAsync(response, cancellationToken).ConfigureAwait(false);
        JsonObject? json = null;
        try
        {
            json = StrictJson.Parse(text) as JsonObject;
        }
        catch (JsonException)
        {
            // Reported below with the status.
        }
        if (response.IsSuccessStatusCode && json is not null)
        {
            return json;
        }
        // RFC 6749 §5.2: error and error_description; the body never echoes a client secret.
        var error = Text(json, "error") ?? "http_" + (int)response.StatusCode;
        var description = Text(json, "error_description");
        throw OidcException.For(error, $"{endpoint.GetLeftPart(UriPartial.Path)}: HTTP {(int)response.StatusCode}: {error}{(description is null ? "" : ": " + description)}");
    }

    /// <summary>The token a Sigstore CA takes from a token response: <c>id_token</c>, else <c>access_token</c>.</summary>
    public static string SelectToken(JsonObject response)
    {
        ArgumentNullException.ThrowIfNull(response);
        return Text(response, "id_token") ?? Text(response, "access_token")
            ?? throw new OidcException("invalid_response", "token endpoint response has neither id_token nor access_token");
    }

    internal static string? Text(JsonObject? json, string name) =>
        json?[name] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0 ? text : null;

    private static Uri? Endpoint(JsonObject json, string name) =>
        Text(json, name) is { } text ? Uri.TryCreate(text, UriKind.Absolute, out var uri) ? uri : throw new OidcException("discovery_failed", $"discovery: {name} is not an absolute URL") : null;

    private static async Task<string> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.Content.Headers.ContentLength > MaxResponseBytes)
        {
            throw new OidcException("invalid_response", $"response larger than {MaxResponseBytes} bytes");
        }
        var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        return bytes.Length > MaxResponseBytes
            ? throw new OidcException("invalid_response", $"response larger than {MaxResponseBytes} bytes")
            : System.Text.Encoding.UTF8.GetString(bytes);
    }

    private static JsonObject Parse(string text)
    {
        try
        {
            return StrictJson.Parse(text) as JsonObject ?? throw new OidcException("invalid_response", "response is not a JSON object");
        }
        catch (JsonException e)
        {
            throw new OidcException("invalid_response", $"response is not JSON: {e.Message}", e);
        }
    }
}
