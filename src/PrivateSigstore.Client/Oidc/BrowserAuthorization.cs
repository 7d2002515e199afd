using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace PrivateSigstore.Client.Oidc;

/// <summary>
/// The authorization code flow with PKCE for a native app (RFC 8252, as cosign and sigstore-python run it): listen on
/// <c>http://127.0.0.1:&lt;random port&gt;/auth/callback</c>, have a browser open the authorization URL (S256 challenge,
/// random <c>state</c> and <c>nonce</c>), take the one redirect back, check its <c>state</c>, and redeem the code with
/// the verifier.
/// </summary>
public sealed class BrowserAuthorization(OidcProvider provider)
{
    /// <summary>The callback path; the identity provider registers loopback redirect URIs with this path (any port).</summary>
    public const string CallbackPath = "/auth/callback";

    private readonly OidcProvider _provider = provider ?? throw new ArgumentNullException(nameof(provider));

    /// <summary>
    /// Runs the flow for <paramref name="clientId"/>. <paramref name="openBrowser"/> is given the authorization URL and
    /// must get a browser to it (the person signs in there; the provider redirects to our listener). Returns the token
    /// (<c>id_token</c>, else <c>access_token</c>); throws <see cref="OidcException"/> (state mismatch, an error
    /// redirect, a refused code) or <see cref="AccessDeniedException"/>. Cancel <paramref name="cancellationToken"/> to stop waiting.
    /// </summary>
    public async Task<string> GetTokenAsync(string clientId, Func<Uri, CancellationToken, Task> openBrowser, string scope = "openid email", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        ArgumentNullException.ThrowIfNull(openBrowser);
        var endpoints = await _provider.DiscoverAsync(cancellationToken).ConfigureAwait(false);
        var authorize = endpoints.AuthorizationEndpoint
            ?? throw new OidcException("unsupported", $"{_provider.Issuer}: the provider publishes no authorization_endpoint");
        using var listener = StartListener(out var redirectUri);

        // RFC 7636 §4.1-4.2: a 256-bit verifier and its S256 challenge; RFC 6749 §10.12: state binds the redirect to this request.
        var verifier = Base64Url(RandomNumberGenerator.GetBytes(32));
        var challenge = Base64Url(SHA256.HashData(Encoding.ASCII.GetBytes(verifier)));
        var state = Base64Url(RandomNumberGenerator.GetBytes(16));
        var query = new Dictionary<string, string>
        {
            ["response_type"] = "code",
            ["client_id"] = clientId,
            ["redirect_uri"] = redirectUri,
            ["scope"] = scope,
            ["state"] = state,
            ["nonce"] = Base64Url(RandomNumberGenerator.GetBytes(16)),
            ["code_challenge"] = challenge,
            ["code_challenge_method"] = "S256",
        };
        var url = new UriBuilder(authorize) { Query = string.Join('&', query.Select(kv => kv.Key + "=" + Uri.EscapeDataString(kv.Value))) }.Uri;

        var callback = listener.GetContextAsync().WaitAsync(cancellationToken);
        // The browser may still be busy (or the opener may deliver the redirect itself) when the callback arrives: wait
        // for whichever comes first, and surface an opener that failed before any callback.
        var opened = openBrowser(url, cancellationToken);
        if (await Task.WhenAny(opened, callback).ConfigureAwait(false) == opened)
        {
            await opened.ConfigureAwait(false);
        }
        var context = await callback.ConfigureAwait(false);
        string code;
        try
        {
            code = Redirect(context.Request, state);
            Reply(context.Response, HttpStatusCode.OK, "Signed in. You can close this page and return to your terminal.");
        }
        catch (OidcException e)
        {
            Reply(context.Response, HttpStatusCode.BadRequest, "Sign-in failed: " + e.Message);
            throw;
        }
        var tokens = await _provider.PostFormAsync(endpoints.TokenEndpoint, new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["client_id"] = clientId,
            ["code"] = code,
            ["redirect_uri"] = redirectUri,
            ["code_verifier"] = verifier,
        }, cancellationToken: cancellationToken).ConfigureAwait(false);
        return OidcProvider.SelectToken(tokens);
    }

    /// <summary>Checks the redirect (RFC 6749 §4.1.2): the state we sent, then an error or a code.</summary>
    private static string Redirect(HttpListenerRequest request, string state)
    {
        var query = request.QueryString;
        if (request.Url?.AbsolutePath != CallbackPath)
        {
            throw new OidcException("invalid_request", $"unexpected request to {request.Url?.AbsolutePath} on the callback listener");
        }
        // RFC 6749 §10.12 (CSRF): a redirect whose state is not ours is refused.
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(query["state"] ?? ""), Encoding.UTF8.GetBytes(state)))
        {
            throw new OidcException("invalid_state", "the redirect's state does not match the request's (possible cross-site request forgery)");
        }
        if (query["error"] is { Length: > 0 } error)
        {
            var message = "authorization failed: " + error + (query["error_description"] is { Length: > 0 } d ? ": " + d : "");
            throw OidcException.For(error, message);
        }
        return query["code"] is { Length: > 0 } code ? code : throw new OidcException("invalid_request", "the redirect carries no code");
    }

    private static void Reply(HttpListenerResponse response, HttpStatusCode status, string text)
    {
        var body = Encoding.UTF8.GetBytes("<!doctype html><meta charset=\"utf-8\"><title>psig</title><p>" + WebUtility.HtmlEncode(text) + "</p>");
        response.StatusCode = (int)status;
        response.ContentType = "text/html; charset=utf-8";
        response.ContentLength64 = body.Length;
        response.OutputStream.Write(body);
        response.Close();
    }

    /// <summary>An HTTP listener on a free loopback port (RFC 8252 §7.3); retried when another process takes the port first.</summary>
    private static HttpListener StartListener(out string redirectUri)
    {
        for (var attempt = 1; ; attempt++)
        {
            int port;
            using (var probe = new TcpListener(IPAddress.Loopback, 0))
            {
                probe.Start();
                port = ((IPEndPoint)probe.LocalEndpoint).Port;
            }
            var listener = new HttpListener();
            listener.Prefixes.Add($"http://127.0.0.1:{port}{CallbackPath}/");
            try
            {
                listener.Start();
                redirectUri = $"http://127.0.0.1:{port}{CallbackPath}";
                return listener;
            }
            catch (HttpListenerException) when (attempt < 5)
            {
                listener.Close();
            }
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
