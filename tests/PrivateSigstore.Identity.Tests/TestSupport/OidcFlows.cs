using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace PrivateSigstore.Identity.Tests.TestSupport;

/// <summary>The protocol steps a Sigstore client takes, done with plain HTTP so every response can be asserted.</summary>
internal static partial class OidcFlows
{
    public const string PublicClient = "sigstore";
    public const string RedirectUri = "http://127.0.0.1:38123/auth/callback";

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<(HttpStatusCode Status, JsonObject Body)> PostTokenAsync(HttpClient http, IDictionary<string, string> form)
    {
        using var response = await http.PostAsync("/connect/token", new FormUrlEncodedContent(form), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        return (response.StatusCode, JsonNode.Parse(text)!.AsObject());
    }

    public static Task<(HttpStatusCode Status, JsonObject Body)> ClientCredentialsAsync(HttpClient http, string clientId, string secret) =>
        PostTokenAsync(http, new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = clientId, ["client_secret"] = secret });

    /// <summary>A PKCE verifier and its S256 challenge (RFC 7636 §4.1–4.2).</summary>
    public static (string Verifier, string Challenge) Pkce()
    {
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        return (verifier, Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))));
    }

    public static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static string AuthorizeUrl(string? challenge, string state = "xyz", string scope = "openid email") =>
        "/connect/authorize?" + string.Join('&', new Dictionary<string, string?>
        {
            ["client_id"] = PublicClient,
            ["response_type"] = "code",
            ["redirect_uri"] = RedirectUri,
            ["scope"] = scope,
            ["state"] = state,
            ["nonce"] = "n-0S6",
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = challenge is null ? null : "S256",
        }.Where(kv => kv.Value is not null).Select(kv => $"{kv.Key}={Uri.EscapeDataString(kv.Value!)}"));

    /// <summary>Reads the login form's antiforgery field from a page.</summary>
    public static (string Name, string Value) Antiforgery(string html)
    {
        var m = AntiforgeryField().Match(html);
        Assert.True(m.Success, "the page has no antiforgery field: " + html);
        return (WebUtility.HtmlDecode(m.Groups["name"].Value), WebUtility.HtmlDecode(m.Groups["value"].Value));
    }

    /// <summary>Posts the login form; returns the response (a redirect on success, the form with an error otherwise).</summary>
    public static async Task<HttpResponseMessage> LoginAsync(HttpClient browser, string username, string password, string returnUrl = "/")
    {
        var page = await browser.GetStringAsync("/account/login?returnUrl=" + Uri.EscapeDataString(returnUrl), Ct);
        var (name, value) = Antiforgery(page);
        return await browser.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [name] = value,
            ["returnUrl"] = returnUrl,
            ["username"] = username,
            ["password"] = password,
        }), Ct);
    }

    /// <summary>The hidden fields of a page's form (the consent page posts the authorization request back with them).</summary>
    public static Dictionary<string, string> HiddenFields(string html) => HiddenField().Matches(html)
        .ToDictionary(m => WebUtility.HtmlDecode(m.Groups["name"].Value), m => WebUtility.HtmlDecode(m.Groups["value"].Value));

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>[^\"]*)\" value=\"(?<value>[^\"]*)\">")]
    private static partial Regex HiddenField();

    /// <summary>
    /// Follows redirects inside the provider until one leaves it; returns that Location (or the last response's). On the
    /// consent page it presses Allow, as the person would.
    /// </summary>
    public static async Task<Uri> FollowToClientAsync(HttpClient browser, string path)
    {
        HttpResponseMessage? next = null;
        for (var i = 0; i < 10; i++)
        {
            using var response = next ?? await browser.GetAsync(path, Ct);
            next = null;
            if (response.StatusCode == HttpStatusCode.OK)
            {
                var html = await response.Content.ReadAsStringAsync(Ct);
                Assert.True(html.Contains("name=\"consent\" value=\"allow\"", StringComparison.Ordinal), $"{path}: 200 that is not the consent page: {html}");
                next = await browser.PostAsync("/connect/authorize", new FormUrlEncodedContent(new Dictionary<string, string>(HiddenFields(html)) { ["consent"] = "allow" }), Ct);
                continue;
            }
            var location = response.Headers.Location ?? throw new InvalidOperationException($"{path}: {(int)response.StatusCode} without a redirect: {await response.Content.ReadAsStringAsync(Ct)}");
            var absolute = location.IsAbsoluteUri ? location : new Uri(browser.BaseAddress!, location);
            if (absolute.Authority != browser.BaseAddress!.Authority)
            {
                return absolute;
            }
            path = absolute.PathAndQuery;
        }
        next?.Dispose();
        throw new InvalidOperationException("too many redirects");
    }

    public static Dictionary<string, string> Query(Uri uri) => uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
        .Select(p => p.Split('=', 2)).ToDictionary(p => Uri.UnescapeDataString(p[0]), p => p.Length > 1 ? Uri.UnescapeDataString(p[1].Replace('+', ' ')) : "");

    /// <summary>A signed-in browser and the authorization code it got with a fresh PKCE challenge.</summary>
    public sealed record SignedInCode(HttpClient Browser, string Code, string Verifier) : IDisposable
    {
        public void Dispose() => Browser.Dispose();
    }

    /// <summary>Signs in as a person and runs the authorization request with PKCE; returns the code (not yet redeemed).</summary>
    public static async Task<SignedInCode> CodeAsync(IdentityServer server, string username, string password, string redirectUri = RedirectUri)
    {
        var browser = server.NewBrowser();
        using (var login = await LoginAsync(browser, username, password))
        {
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        }
        var (verifier, challenge) = Pkce();
        var url = AuthorizeUrl(challenge).Replace(Uri.EscapeDataString(RedirectUri), Uri.EscapeDataString(redirectUri), StringComparison.Ordinal);
        return new SignedInCode(browser, Query(await FollowToClientAsync(browser, url))["code"], verifier);
    }

    /// <summary>The public client's code redemption form (RFC 6749 §4.1.3 + RFC 7636 §4.5); no verifier when null.</summary>
    public static Dictionary<string, string> Redemption(string code, string? verifier, string redirectUri = RedirectUri)
    {
        var form = new Dictionary<string, string> { ["grant_type"] = "authorization_code", ["client_id"] = PublicClient, ["code"] = code, ["redirect_uri"] = redirectUri };
        if (verifier is not null)
        {
            form["code_verifier"] = verifier;
        }
        return form;
    }

    /// <summary>Signs in as a person and runs the code flow with PKCE; returns the token response.</summary>
    public static async Task<JsonObject> PersonTokensAsync(IdentityServer server, string username, string password)
    {
        using var signedIn = await CodeAsync(server, username, password);
        var (status, body) = await PostTokenAsync(signedIn.Browser, Redemption(signedIn.Code, signedIn.Verifier));
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        return body;
    }

    /// <summary>Requests <paramref name="url"/> signed in and expects OpenIddict's refusal page (400, no redirect); returns its text.</summary>
    public static async Task<string> RefusedAuthorizationAsync(IdentityServer server, string url)
    {
        using var browser = server.NewBrowser();
        using (await LoginAsync(browser, "alice", IdentityFixture.AlicePassword)) { }
        using var response = await browser.GetAsync(url, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
        return await response.Content.ReadAsStringAsync(Ct);
    }

    /// <summary>Validates a token with Microsoft.IdentityModel against the provider's discovery document and JWKS.</summary>
    public static async Task<JsonWebToken> ValidateAsync(IdentityServer server, string token, string audience = "sigstore")
    {
        var retriever = new HttpDocumentRetriever { RequireHttps = false };
        var config = await OpenIdConnectConfigurationRetriever.GetAsync(server.Url + "/.well-known/openid-configuration", retriever, Ct);
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = server.Issuer,
            ValidAudience = audience,
            IssuerSigningKeys = config.SigningKeys,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
        });
        Assert.True(result.IsValid, result.Exception?.ToString());
        return (JsonWebToken)result.SecurityToken;
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>__RequestVerificationToken[^\"]*)\" value=\"(?<value>[^\"]*)\">")]
    private static partial Regex AntiforgeryField();
}
