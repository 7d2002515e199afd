using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrivateSigstore.Client.Signing;

/// <summary>
/// Gets an identity token from an OpenID provider with the OAuth 2.0 client credentials grant (RFC 6749 §4.4): the
/// token endpoint comes from discovery (<c>/.well-known/openid-configuration</c>), the client authenticates with
/// HTTP Basic, and the response's <c>id_token</c> is returned when present, else its <c>access_token</c>.
/// </summary>
public sealed class OidcClientCredentials(HttpClient http)
{
    private readonly HttpClient _http = http ?? throw new ArgumentNullException(nameof(http));

    /// <summary>Requests a token for <paramref name="clientId"/> at <paramref name="issuer"/>; <paramref name="scope"/> defaults to <c>openid</c>.</summary>
    public async Task<string> GetTokenAsync(Uri issuer, string clientId, string clientSecret, string? scope = "openid", CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(issuer);
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        ArgumentNullException.ThrowIfNull(clientSecret);
        var discovery = await GetJsonAsync(new Uri(issuer.AbsoluteUri.TrimEnd('/') + "/.well-known/openid-configuration"), cancellationToken).ConfigureAwait(false);
        var tokenEndpoint = discovery["token_endpoint"]?.GetValue<string>()
            ?? throw new InvalidOperationException($"{issuer}: discovery document has no token_endpoint");
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials" };
        if (!string.IsNullOrEmpty(scope))
        {
            form["scope"] = scope;
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, tokenEndpoint) { Content = new FormUrlEncodedContent(form) };
        // RFC 6749 §2.3.1: client_secret_basic, with both parts form-urlencoded first.
        var basic = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Uri.EscapeDataString(clientId) + ":" + Uri.EscapeDataString(clientSecret)));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", basic);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            // The error body names the OAuth error; it never echoes the secret.
            throw new InvalidOperationException($"token endpoint: HTTP {(int)response.StatusCode}: {text}");
        }
        var json = Parse(text);
        return json["id_token"]?.GetValue<string>() ?? json["access_token"]?.GetValue<string>()
            ?? throw new InvalidOperationException("token endpoint response has neither id_token nor access_token");
    }

    private async Task<JsonNode> GetJsonAsync(Uri uri, CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(uri, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode ? Parse(text) : throw new InvalidOperationException($"{uri}: HTTP {(int)response.StatusCode}");
    }

    private static JsonNode Parse(string text)
    {
        try
        {
            return JsonNode.Parse(text) ?? throw new InvalidOperationException("empty JSON response");
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"response is not JSON: {e.Message}", e);
        }
    }
}
