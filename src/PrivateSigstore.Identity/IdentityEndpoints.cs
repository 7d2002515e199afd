using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using OpenIddict.Server.AspNetCore;

namespace PrivateSigstore.Identity;

/// <summary>
/// The passthrough endpoints OpenIddict hands to the application (authorization, token, device verification) and the
/// login page. OpenIddict validates every protocol request before these run (client, redirect URI, PKCE, grant).
/// </summary>
public static class IdentityEndpoints
{
    private const string OidcScheme = OpenIddictServerAspNetCoreDefaults.AuthenticationScheme;

    /// <summary>Maps the routes.</summary>
    public static IEndpointRouteBuilder MapIdentity(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapMethods("/connect/authorize", ["GET", "POST"], AuthorizeAsync).DisableAntiforgery();
        app.MapPost("/connect/token", TokenAsync).WithRateLimit("token");
        app.MapMethods("/connect/verify", ["GET", "POST"], VerifyAsync);
        app.MapGet("/", (HttpContext http) => http.User.Identity?.IsAuthenticated == true
            ? LoginPage.Message("Signed in", $"You are signed in as {http.User.Identity.Name}.")
            : Results.Redirect("/account/login"));
        app.MapGet("/connect/verify/denied", () => LoginPage.Message("Device refused", "The device was not signed in. You can close this page."));
        app.MapGet("/connect/verify/done", () => LoginPage.Message("Device signed in", "The device is signed in. You can close this page and return to your terminal."));
        app.MapGet("/account/login", (HttpContext http, IAntiforgery antiforgery, string? returnUrl) =>
            LoginPage.Form(antiforgery.GetAndStoreTokens(http), SafeReturnUrl(returnUrl), username: null, error: null));
        app.MapPost("/account/login", LoginAsync).DisableAntiforgery().WithRateLimit("login");
        // Signing out changes state, so it is a POST with the form's antiforgery token (a cross-site form cannot sign a
        // person out); a GET (a link) only shows the confirmation form.
        app.MapGet("/account/logout", (HttpContext http, IAntiforgery antiforgery) =>
            LoginPage.LogoutForm(antiforgery.GetAndStoreTokens(http), http.User.Identity?.Name, error: null));
        app.MapPost("/account/logout", async (HttpContext http, IAntiforgery antiforgery) =>
        {
            if (!await antiforgery.IsRequestValidAsync(http).ConfigureAwait(false))
            {
                return LoginPage.LogoutForm(antiforgery.GetAndStoreTokens(http), http.User.Identity?.Name, "The form expired. Sign out again.", StatusCodes.Status400BadRequest);
            }
            await http.SignOutAsync(IdentityApp.CookieScheme).ConfigureAwait(false);
            return Results.Redirect("/account/login");
        }).DisableAntiforgery();
        return app;
    }

    /// <summary>The consent form's decision field and the scopes a person's token can carry.</summary>
    private const string ConsentField = "consent";
    private static readonly string[] PersonScopes = [Scopes.OpenId, Scopes.Email, Scopes.Profile];

    // Authorization code flow (RFC 6749 §4.1 + PKCE, already checked by OpenIddict): a signed-in, enabled person who
    // consents on the page naming the client and scopes gets a code (OpenID Connect Core §3.1.2.4).
    private static async Task<IResult> AuthorizeAsync(HttpContext http, IdentityStoreContext store, IdentityProviderOptions options, IAntiforgery antiforgery, CancellationToken ct)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("not an OpenID Connect request");
        var cookie = await http.AuthenticateAsync(IdentityApp.CookieScheme).ConfigureAwait(false);
        var user = cookie.Succeeded ? await FindEnabledUserAsync(store, cookie.Principal?.Identity?.Name, ct).ConfigureAwait(false) : null;
        if (user is null)
        {
            if (request.HasPromptValue(PromptValues.None))
            {
                return Forbid(Errors.LoginRequired, "the user is not signed in");
            }
            // Back to this same authorization request after sign-in (form posts are replayed as a query string, without
            // a consent decision or an antiforgery token: those never go into a URL).
            var parameters = (http.Request.HasFormContentType ? [.. http.Request.Form] : http.Request.Query.ToList())
                .Where(p => p.Key != ConsentField && !p.Key.StartsWith("__", StringComparison.Ordinal)).ToList();
            var returnUrl = http.Request.PathBase + http.Request.Path + QueryString.Create(parameters);
            return Results.Challenge(new AuthenticationProperties { RedirectUri = returnUrl }, [IdentityApp.CookieScheme]);
        }
        var scopes = request.GetScopes().Intersect(PersonScopes, StringComparer.Ordinal).ToList();
        var decision = HttpMethods.IsPost(http.Request.Method) && http.Request.HasFormContentType ? http.Request.Form[ConsentField].ToString() : "";
        if (decision.Length == 0)
        {
            // No silent sign-in: every authorization request is shown to the person first (nothing is remembered), so a
            // request that must not show a page cannot be answered with a code.
            if (request.HasPromptValue(PromptValues.None))
            {
                return Forbid(Errors.ConsentRequired, "the user has not consented to this client");
            }
            return await ConsentPageAsync(http, antiforgery, request, user.Username, scopes, error: null, StatusCodes.Status200OK, ct).ConfigureAwait(false);
        }
        if (!await antiforgery.IsRequestValidAsync(http).ConfigureAwait(false))
        {
            // A form from another site (or an expired one): ask again, with a fresh token; no code.
            return await ConsentPageAsync(http, antiforgery, request, user.Username, scopes, "The form expired. Allow or deny again.", StatusCodes.Status400BadRequest, ct).ConfigureAwait(false);
        }
        if (decision != "allow")
        {
            // OpenIddict sends the browser back to the client with error=access_denied (and the client's state).
            return Forbid(Errors.AccessDenied, "the user denied the request");
        }
        var principal = PersonPrincipal(user, options.PublicClientId);
        principal.SetScopes(scopes);
        return Results.SignIn(principal, authenticationScheme: OidcScheme);
    }

    /// <summary>The consent page: the client (display name and id), the person, the scopes; the request's parameters are posted back with the decision.</summary>
    private static async Task<IResult> ConsentPageAsync(HttpContext http, IAntiforgery antiforgery, OpenIddictRequest request, string username, IReadOnlyList<string> scopes, string? error, int status, CancellationToken ct)
    {
        var client = await ClientNameAsync(http, request.ClientId ?? "", ct).ConfigureAwait(false);
        var source = http.Request.HasFormContentType ? [.. http.Request.Form] : http.Request.Query.ToList();
        var parameters = source
            .Where(p => p.Key != ConsentField && !p.Key.StartsWith("__", StringComparison.Ordinal))
            .SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string>(p.Key, v ?? "")))
            .ToList();
        return LoginPage.Consent(antiforgery.GetAndStoreTokens(http), client, username, scopes, parameters, error, status);
    }

    private static async Task<IResult> TokenAsync(HttpContext http, IdentityStoreContext store, IdentityProviderOptions options, CancellationToken ct)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("not an OpenID Connect request");
        if (request.IsClientCredentialsGrantType())
        {
            // The client authenticated (OpenIddict checked its secret); it must still be an enabled workload.
            var workload = await store.Workloads.AsNoTracking().SingleOrDefaultAsync(w => w.ClientId == request.ClientId, ct).ConfigureAwait(false);
            if (workload is null || workload.Disabled)
            {
                return Forbid(Errors.InvalidClient, "the client is disabled or has no registered identity");
            }
            return Results.SignIn(WorkloadPrincipal(workload), authenticationScheme: OidcScheme);
        }
        if (request.IsAuthorizationCodeGrantType() || request.IsDeviceCodeGrantType())
        {
            // OpenIddict validated the code (PKCE verifier, single use, expiry); re-check the person is still enabled.
            var result = await http.AuthenticateAsync(OidcScheme).ConfigureAwait(false);
            var user = result.Succeeded ? await FindEnabledUserAsync(store, result.Principal?.GetClaim(Claims.Subject), ct).ConfigureAwait(false) : null;
            if (user is null)
            {
                return Forbid(Errors.InvalidGrant, "the user is disabled or no longer exists");
            }
            var principal = PersonPrincipal(user, options.PublicClientId);
            principal.SetScopes(result.Principal!.GetScopes());
            return Results.SignIn(principal, authenticationScheme: OidcScheme);
        }
        return Forbid(Errors.UnsupportedGrantType, "the grant type is not supported");
    }

    // Device flow (RFC 8628 §3.3): a signed-in person enters the user code shown on the device.
    private static async Task<IResult> VerifyAsync(HttpContext http, IdentityStoreContext store, IAntiforgery antiforgery, IdentityProviderOptions options, CancellationToken ct)
    {
        var cookie = await http.AuthenticateAsync(IdentityApp.CookieScheme).ConfigureAwait(false);
        var user = cookie.Succeeded ? await FindEnabledUserAsync(store, cookie.Principal?.Identity?.Name, ct).ConfigureAwait(false) : null;
        if (user is null)
        {
            var returnUrl = http.Request.PathBase + http.Request.Path + (http.Request.HasFormContentType ? "" : http.Request.QueryString.Value);
            return Results.Challenge(new AuthenticationProperties { RedirectUri = returnUrl }, [IdentityApp.CookieScheme]);
        }
        var request = http.GetOpenIddictServerRequest();
        var userCode = request?.UserCode;
        if (!HttpMethods.IsPost(http.Request.Method) || string.IsNullOrEmpty(userCode))
        {
            // With the code in the link (verification_uri_complete) the page names the client asking to sign in at once;
            // without it the person types the code and confirms on the next step, which names the client.
            var client = string.IsNullOrEmpty(userCode) ? null : await AskingClientAsync(http, ct).ConfigureAwait(false);
            return client is null
                ? LoginPage.DeviceForm(antiforgery.GetAndStoreTokens(http), userCode, error: null)
                : LoginPage.DeviceConfirm(antiforgery.GetAndStoreTokens(http), userCode!, client);
        }
        if (!await antiforgery.IsRequestValidAsync(http).ConfigureAwait(false))
        {
            return LoginPage.DeviceForm(antiforgery.GetAndStoreTokens(http), userCode, "The form expired. Enter the code again.", StatusCodes.Status400BadRequest);
        }
        var result = await http.AuthenticateAsync(OidcScheme).ConfigureAwait(false);
        if (!result.Succeeded || string.IsNullOrEmpty(result.Principal?.GetClaim(Claims.ClientId)))
        {
            return LoginPage.DeviceForm(antiforgery.GetAndStoreTokens(http), userCode, "That code is invalid or has expired.", StatusCodes.Status400BadRequest);
        }
        var action = http.Request.Form["action"].ToString();
        if (action == "deny")
        {
            // RFC 8628 §3.5: the person refused; OpenIddict rejects the device code and the device's next poll gets access_denied.
            return Results.Forbid(new AuthenticationProperties { RedirectUri = "/connect/verify/denied" }, [OidcScheme]);
        }
        if (action != "approve")
        {
            // A typed code (or any post without an explicit approval): the confirmation step, naming the client, comes first.
            var client = await ClientNameAsync(http, result.Principal!.GetClaim(Claims.ClientId)!, ct).ConfigureAwait(false);
            return LoginPage.DeviceConfirm(antiforgery.GetAndStoreTokens(http), userCode, client);
        }
        var principal = PersonPrincipal(user, options.PublicClientId);
        principal.SetScopes(result.Principal!.GetScopes());
        return Results.SignIn(principal, new AuthenticationProperties { RedirectUri = "/connect/verify/done" }, OidcScheme);
    }

    /// <summary>The client a device code was issued to: "display name (client id)", or null when the code is not valid.</summary>
    private static async Task<string?> AskingClientAsync(HttpContext http, CancellationToken ct)
    {
        var result = await http.AuthenticateAsync(OidcScheme).ConfigureAwait(false);
        if (!result.Succeeded || result.Principal?.GetClaim(Claims.ClientId) is not { Length: > 0 } clientId)
        {
            return null;
        }
        return await ClientNameAsync(http, clientId, ct).ConfigureAwait(false);
    }

    /// <summary>"display name (client id)", or the client id alone when the client has no other display name.</summary>
    private static async Task<string> ClientNameAsync(HttpContext http, string clientId, CancellationToken ct)
    {
        var applications = http.RequestServices.GetRequiredService<IOpenIddictApplicationManager>();
        var application = await applications.FindByClientIdAsync(clientId, ct).ConfigureAwait(false);
        var name = application is null ? null : await applications.GetDisplayNameAsync(application, ct).ConfigureAwait(false);
        return string.IsNullOrEmpty(name) || name == clientId ? clientId : $"{name} ({clientId})";
    }

    private static async Task<IResult> LoginAsync(HttpContext http, IAntiforgery antiforgery, UserSignIn signIn, AccountRateLimit accountLimit, IdentityMetrics metrics, CancellationToken ct)
    {
        if (!http.Request.HasFormContentType)
        {
            return Results.Problem("expected a form", statusCode: StatusCodes.Status415UnsupportedMediaType);
        }
        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            // The form reader refuses NUL and other invalid characters, and a multipart body that is not multipart
            // (IOException: unexpected end of the stream): a bad request, not a server error.
            return LoginPage.Form(antiforgery.GetAndStoreTokens(http), "/", null, "The form could not be read. Sign in again.", StatusCodes.Status400BadRequest);
        }
        var returnUrl = SafeReturnUrl(form["returnUrl"]);
        var username = form["username"].ToString();
        var password = form["password"].ToString();
        if (!await antiforgery.IsRequestValidAsync(http).ConfigureAwait(false))
        {
            return LoginPage.Form(antiforgery.GetAndStoreTokens(http), returnUrl, username, "The form expired. Sign in again.", StatusCodes.Status400BadRequest);
        }
        if (username.Length == 0 || password.Length == 0 || username.Length > UserAccount.MaxUsernameLength || password.Length > 256)
        {
            return LoginPage.Form(antiforgery.GetAndStoreTokens(http), returnUrl, username, "Enter your username and password.", StatusCodes.Status400BadRequest);
        }
        // Per-account limit (the per-address one is the endpoint's "login" policy): guesses from many addresses still slow down.
        if (accountLimit.TryAcquire(username) is { } retryAfter)
        {
            http.Response.SetRetryAfter(retryAfter);
            return LoginPage.Form(antiforgery.GetAndStoreTokens(http), returnUrl, username, "Too many sign-in attempts. Wait a minute and try again.", StatusCodes.Status429TooManyRequests);
        }
        var (outcome, user) = await signIn.SignInAsync(username, password, ct).ConfigureAwait(false);
        metrics.SignIn(outcome);
        switch (outcome)
        {
            case SignInOutcome.Succeeded:
                var identity = new ClaimsIdentity(IdentityApp.CookieScheme, ClaimTypes.Name, ClaimTypes.Role);
                identity.AddClaim(new Claim(ClaimTypes.Name, user!.Username));
                await http.SignInAsync(IdentityApp.CookieScheme, new ClaimsPrincipal(identity)).ConfigureAwait(false);
                // LocalRedirect re-checks the rule: it throws rather than send a person to another site.
                return Results.LocalRedirect(returnUrl);
            default:
                // One message for unknown, wrong, locked and disabled (the outcome is kept in the metrics, not shown), so the
                // answer does not tell whether an account exists.
                return LoginPage.Form(antiforgery.GetAndStoreTokens(http), returnUrl, username, SignInFailedMessage, StatusCodes.Status401Unauthorized);
        }
    }

    /// <summary>The one message for every refused sign-in.</summary>
    internal const string SignInFailedMessage = "Invalid username or password. After repeated failures an account is locked for a while; ask an administrator if this persists.";

    private static async Task<UserAccount?> FindEnabledUserAsync(IdentityStoreContext store, string? username, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(username))
        {
            return null;
        }
        var user = await store.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Username == username, ct).ConfigureAwait(false);
        return user is { Disabled: false } ? user : null;
    }

    /// <summary>A person's token claims: sub = username, the email and whether it is verified; tokens for <paramref name="audience"/> (the public client).</summary>
    internal static ClaimsPrincipal PersonPrincipal(UserAccount user, string audience)
    {
        var identity = new ClaimsIdentity(OidcScheme, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, user.Username);
        identity.SetClaim(Claims.PreferredUsername, user.Username);
        if (user.Email is not null)
        {
            identity.SetClaim(Claims.Email, user.Email);
            // email_verified is true only for emails an administrator marked verified (the CA refuses unverified ones).
            identity.AddClaim(Claims.EmailVerified, user.EmailVerified);
        }
        identity.SetDestinations(_ => [Destinations.AccessToken, Destinations.IdentityToken]);
        var principal = new ClaimsPrincipal(identity);
        // The access token is a JWT for the CA too (sigstore-python sends access_token, not id_token): aud = the public client.
        principal.SetResources(audience);
        return principal;
    }

    /// <summary>A workload's token claims: the identity it was registered with, and the audience it vouches for.</summary>
    internal static ClaimsPrincipal WorkloadPrincipal(WorkloadIdentity workload)
    {
        var identity = new ClaimsIdentity(OidcScheme, Claims.Name, Claims.Role);
        identity.SetClaim(Claims.Subject, workload.Subject);
        if (workload.Email is not null)
        {
            identity.SetClaim(Claims.Email, workload.Email);
            identity.AddClaim(Claims.EmailVerified, workload.EmailVerified);
        }
        foreach (var (name, value) in IdentityAdmin.WorkloadClaims(workload))
        {
            identity.SetClaim(name, value);
        }
        identity.SetDestinations(_ => [Destinations.AccessToken, Destinations.IdentityToken]);
        var principal = new ClaimsPrincipal(identity);
        // Both tokens carry aud = the workload's audience (IdentityTokenAudience copies it to the ID token), and the
        // openid scope makes OpenIddict return an id_token for client credentials, as sigstore clients read id_token.
        principal.SetResources(workload.Audience);
        principal.SetScopes(Scopes.OpenId);
        return principal;
    }

    private static IResult Forbid(string error, string description) => Results.Forbid(
        new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }),
        [OidcScheme]);

    /// <summary>
    /// Only local paths are followed after sign-in, by the framework's rule (<see cref="Microsoft.AspNetCore.Http.HttpResults.RedirectHttpResult.IsLocalUrl"/>:
    /// an absolute path with no authority, no "//" or "/\\", no control characters, which browsers strip); anything else goes to "/".
    /// </summary>
    internal static string SafeReturnUrl(string? returnUrl) =>
        returnUrl is { Length: <= 4096 } && Microsoft.AspNetCore.Http.HttpResults.RedirectHttpResult.IsLocalUrl(returnUrl) && !returnUrl.StartsWith('~')
            ? returnUrl
            : "/";
}
