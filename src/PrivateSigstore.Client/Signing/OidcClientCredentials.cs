using PrivateSigstore.Client.Oidc;

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
        var provider = new OidcProvider(_http, issuer);
        var endpoints = await provider.DiscoverAsync(cancellationToken).ConfigureAwait(false);
        var form = new Dictionary<string, string> { ["grant_type"] = "client_credentials" };
        if (!string.IsNullOrEmpty(scope))
        {
            form["scope"] = scope;
        }
        // RFC 6749 §2.3.1: client_secret_basic, with both parts form-urlencoded first.
        var basic = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(Uri.EscapeDataString(clientId) + ":" + Uri.EscapeDataString(clientSecret)));
        var response = await provider.PostFormAsync(endpoints.TokenEndpoint, form, new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", basic), cancellationToken).ConfigureAwait(false);
        return OidcProvider.SelectToken(response);
    }
}
