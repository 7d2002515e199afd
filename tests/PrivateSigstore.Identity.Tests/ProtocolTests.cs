using System.Net;
using System.Text.Json.Nodes;
using PrivateSigstore.Identity.Tests.TestSupport;
using static PrivateSigstore.Identity.Tests.TestSupport.OidcFlows;

namespace PrivateSigstore.Identity.Tests;

/// <summary>OAuth 2.0 / OpenID Connect behaviour over real HTTP, each failure with its RFC error code.</summary>
public sealed class ProtocolTests(IdentityFixture fixture) : IClassFixture<IdentityFixture>
{
    private IdentityServer Server => fixture.Server;

    [Fact]
    public async Task Discovery_names_the_issuer_endpoints_and_only_S256()
    {
        var doc = JsonNode.Parse(await fixture.Http.GetStringAsync("/.well-known/openid-configuration", Ct))!.AsObject();
        Assert.Equal(Server.Issuer, doc["issuer"]!.GetValue<string>());
        Assert.EndsWith("/", Server.Issuer);
        Assert.Equal(Server.Url + "/.well-known/jwks", doc["jwks_uri"]!.GetValue<string>());
        Assert.Equal(Server.Url + "/connect/token", doc["token_endpoint"]!.GetValue<string>());
        Assert.Equal(Server.Url + "/connect/authorize", doc["authorization_endpoint"]!.GetValue<string>());
        Assert.Equal(Server.Url + "/connect/device", doc["device_authorization_endpoint"]!.GetValue<string>());
        Assert.Equal(["S256"], doc["code_challenge_methods_supported"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["ES256"], doc["id_token_signing_alg_values_supported"]!.AsArray().Select(n => n!.GetValue<string>()));
        var grants = doc["grant_types_supported"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.Contains("client_credentials", grants);
        Assert.Contains("authorization_code", grants);
        Assert.Contains("urn:ietf:params:oauth:grant-type:device_code", grants);
    }

    [Fact]
    public async Task Jwks_publishes_the_signing_key_that_signs_tokens()
    {
        var jwks = JsonNode.Parse(await fixture.Http.GetStringAsync("/.well-known/jwks", Ct))!["keys"]!.AsArray();
        var key = Assert.Single(jwks)!.AsObject();
        Assert.Equal("EC", key["kty"]!.GetValue<string>());
        Assert.Equal("P-256", key["crv"]!.GetValue<string>());
        Assert.Equal("ES256", key["alg"]!.GetValue<string>());
        Assert.Equal("sig", key["use"]!.GetValue<string>());
        Assert.Null(key["d"]);
        var (_, body) = await ClientCredentialsAsync(fixture.Http, "ci-builder", fixture.BuilderSecret);
        var token = await ValidateAsync(Server, body["id_token"]!.GetValue<string>());
        Assert.Equal(key["kid"]!.GetValue<string>(), token.Kid);
    }

    [Fact]
    public async Task Client_credentials_return_an_id_token_and_a_jwt_access_token_for_the_registered_identity()
    {
        var (status, body) = await ClientCredentialsAsync(fixture.Http, "ci-builder", fixture.BuilderSecret);
        Assert.Equal(HttpStatusCode.OK, status);
        foreach (var (name, audiences) in new[] { ("id_token", new[] { "sigstore", "ci-builder" }), ("access_token", ["sigstore"]) })
        {
            var token = await ValidateAsync(Server, body[name]!.GetValue<string>());
            Assert.Equal(Server.Issuer, token.Issuer);
            Assert.Equal(audiences, token.Audiences);
            Assert.Equal("https://ci.example.com/builders/app", token.Subject);
            Assert.Equal("platform/app", token.GetClaim("repository").Value);
            Assert.Equal("refs/heads/main", token.GetClaim("ref").Value);
            Assert.Equal("release", token.GetClaim("workflow").Value);
            Assert.Equal(TimeSpan.FromMinutes(5), token.ValidTo - token.IssuedAt);
            Assert.Equal(token.IssuedAt, token.ValidFrom); // nbf = iat
            Assert.False(token.TryGetClaim("email", out _));
        }
        Assert.InRange(body["expires_in"]!.GetValue<int>(), 298, 300);
    }

    [Fact]
    public async Task Client_credentials_as_sigstore_clients_request_them()
    {
        // sigstore/sigstore pkg/oauthflow/client_credentials.go: scope "openid email", read id_token, verify it with
        // go-oidc for aud = the client id; the CA then checks aud = "sigstore".
        var (status, body) = await PostTokenAsync(fixture.Http, new Dictionary<string, string>
        {
            ["client_id"] = "mailer", ["client_secret"] = fixture.MailerSecret, ["scope"] = "openid email", ["grant_type"] = "client_credentials",
        });
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        var raw = body["id_token"]!.GetValue<string>();
        Assert.Equal("mailer", (await ValidateAsync(Server, raw, audience: "mailer")).GetPayloadValue<string>("azp"));
        Assert.Equal("mailer@example.com", (await ValidateAsync(Server, raw, audience: "sigstore")).GetPayloadValue<string>("email"));
    }

    [Fact]
    public async Task Workload_email_is_verified_only_when_registered_so()
    {
        var (_, body) = await ClientCredentialsAsync(fixture.Http, "mailer", fixture.MailerSecret);
        var token = await ValidateAsync(Server, body["id_token"]!.GetValue<string>());
        Assert.Equal("mailer@example.com", token.GetPayloadValue<string>("email"));
        Assert.True(token.GetPayloadValue<bool>("email_verified"));
    }

    [Fact]
    public async Task Wrong_client_secret_is_invalid_client()
    {
        var (status, body) = await ClientCredentialsAsync(fixture.Http, "ci-builder", "not-the-secret");
        // RFC 6749 §5.2: invalid_client may answer 401.
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid_client", body["error"]!.GetValue<string>());
        Assert.Null(body["id_token"]);
    }

    [Fact]
    public async Task Unknown_client_is_invalid_client()
    {
        var (_, body) = await ClientCredentialsAsync(fixture.Http, "nobody", "whatever-secret");
        Assert.Equal("invalid_client", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Disabled_client_is_invalid_client()
    {
        var secret = await Server.AdminAsync(a => a.AddClientAsync(new WorkloadClientSpec("to-disable", "https://ci.example.com/old"), Ct));
        var (okStatus, _) = await ClientCredentialsAsync(fixture.Http, "to-disable", secret);
        Assert.Equal(HttpStatusCode.OK, okStatus);
        await Server.AdminAsync(async a => { await a.DisableClientAsync("to-disable", Ct); return 0; });
        var (status, body) = await ClientCredentialsAsync(fixture.Http, "to-disable", secret);
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("invalid_client", body["error"]!.GetValue<string>());
        Assert.Null(body["id_token"]);
    }

    [Fact]
    public async Task Code_flow_with_pkce_issues_an_id_token_for_the_person()
    {
        var body = await PersonTokensAsync(Server, "alice", IdentityFixture.AlicePassword);
        var token = await ValidateAsync(Server, body["id_token"]!.GetValue<string>());
        Assert.Equal("alice", token.Subject);
        Assert.Equal(["sigstore"], token.Audiences);
        Assert.Equal("alice@example.com", token.GetPayloadValue<string>("email"));
        Assert.True(token.GetPayloadValue<bool>("email_verified"));
        Assert.Equal("n-0S6", token.GetPayloadValue<string>("nonce"));
        Assert.Equal(TimeSpan.FromMinutes(5), token.ValidTo - token.IssuedAt);
    }

    [Fact]
    public async Task Code_flow_as_sigstore_python_runs_it()
    {
        // sigstore-python sigstore/oidc.py: redirect to http://localhost:<port>/auth/callback, token request with HTTP Basic
        // ("sigstore", "") and no client_id in the body, and it sends the *access_token* to the CA.
        const string redirect = "http://localhost:47123/auth/callback";
        using var signedIn = await CodeAsync(Server, "alice", IdentityFixture.AlicePassword, redirect);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/connect/token")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "authorization_code", ["redirect_uri"] = redirect, ["code"] = signedIn.Code, ["code_verifier"] = signedIn.Verifier,
            }),
        };
        request.Headers.Authorization = new("Basic", Convert.ToBase64String("sigstore:"u8.ToArray()));
        using var response = await fixture.Http.SendAsync(request, Ct);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        var access = await ValidateAsync(Server, body["access_token"]!.GetValue<string>());
        Assert.Equal(["sigstore"], access.Audiences);
        Assert.Equal("alice@example.com", access.GetPayloadValue<string>("email"));
        Assert.True(access.GetPayloadValue<bool>("email_verified"));
    }

    [Fact]
    public async Task Unverified_email_gives_email_verified_false()
    {
        var body = await PersonTokensAsync(Server, "bob", IdentityFixture.BobPassword);
        var token = await ValidateAsync(Server, body["id_token"]!.GetValue<string>());
        Assert.Equal("bob@example.com", token.GetPayloadValue<string>("email"));
        Assert.False(token.GetPayloadValue<bool>("email_verified"));
    }

    [Fact]
    public async Task Authorization_request_without_a_code_challenge_is_refused()
    {
        // RFC 7636 §4.4.1: the server refuses; OpenIddict answers before trusting the redirect URI, so no redirect.
        var text = await RefusedAuthorizationAsync(Server, AuthorizeUrl(challenge: null));
        Assert.Contains("error:invalid_request", text, StringComparison.Ordinal);
        Assert.Contains("'code_challenge' parameter is missing", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plain_code_challenge_method_is_refused()
    {
        var url = AuthorizeUrl("abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqr").Replace("code_challenge_method=S256", "code_challenge_method=plain", StringComparison.Ordinal);
        var text = await RefusedAuthorizationAsync(Server, url);
        Assert.Contains("error:invalid_request", text, StringComparison.Ordinal);
        Assert.Contains("code_challenge_method", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_request_without_the_code_verifier_is_refused()
    {
        using var signedIn = await CodeAsync(Server, "alice", IdentityFixture.AlicePassword);
        var (status, body) = await PostTokenAsync(signedIn.Browser, Redemption(signedIn.Code, verifier: null));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_request", body["error"]!.GetValue<string>());
        Assert.Contains("code_verifier", body["error_description"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_request_with_a_wrong_code_verifier_is_invalid_grant()
    {
        using var signedIn = await CodeAsync(Server, "alice", IdentityFixture.AlicePassword);
        var (status, body) = await PostTokenAsync(signedIn.Browser, Redemption(signedIn.Code, Pkce().Verifier));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Replayed_authorization_code_is_invalid_grant()
    {
        using var signedIn = await CodeAsync(Server, "alice", IdentityFixture.AlicePassword);
        var form = Redemption(signedIn.Code, signedIn.Verifier);
        var (first, _) = await PostTokenAsync(signedIn.Browser, form);
        Assert.Equal(HttpStatusCode.OK, first);
        var (status, body) = await PostTokenAsync(signedIn.Browser, form);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Loopback_redirect_uri_matches_on_any_port_but_other_hosts_do_not()
    {
        using var browser = Server.NewBrowser();
        using var login = await LoginAsync(browser, "alice", IdentityFixture.AlicePassword);
        var (_, challenge) = Pkce();
        var other = AuthorizeUrl(challenge).Replace(Uri.EscapeDataString(RedirectUri), Uri.EscapeDataString("http://127.0.0.1:9/auth/callback"), StringComparison.Ordinal);
        Assert.True(Query(await FollowToClientAsync(browser, other)).ContainsKey("code"));
        var evil = AuthorizeUrl(challenge).Replace(Uri.EscapeDataString(RedirectUri), Uri.EscapeDataString("http://evil.example.com/auth/callback"), StringComparison.Ordinal);
        using var response = await browser.GetAsync(evil, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Null(response.Headers.Location);
    }

    [Fact]
    public async Task Unauthenticated_authorization_request_goes_to_the_login_page()
    {
        using var browser = Server.NewBrowser();
        var (_, challenge) = Pkce();
        using var response = await browser.GetAsync(AuthorizeUrl(challenge), Ct);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/account/login", response.Headers.Location!.IsAbsoluteUri ? response.Headers.Location.PathAndQuery : response.Headers.Location.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Device_flow_issues_a_token_after_the_person_enters_the_user_code()
    {
        var (device, deviceBody) = await PostFormAsync(fixture.Http, "/connect/device", new() { ["client_id"] = PublicClient, ["scope"] = "openid email" });
        Assert.Equal(HttpStatusCode.OK, device);
        var deviceCode = deviceBody["device_code"]!.GetValue<string>();
        var userCode = deviceBody["user_code"]!.GetValue<string>();
        Assert.Equal(Server.Url + "/connect/verify", deviceBody["verification_uri"]!.GetValue<string>());

        var poll = new Dictionary<string, string> { ["grant_type"] = "urn:ietf:params:oauth:grant-type:device_code", ["client_id"] = PublicClient, ["device_code"] = deviceCode };
        var (pending, pendingBody) = await PostTokenAsync(fixture.Http, poll);
        Assert.Equal(HttpStatusCode.BadRequest, pending);
        Assert.Equal("authorization_pending", pendingBody["error"]!.GetValue<string>());

        using var browser = Server.NewBrowser();
        using (var login = await LoginAsync(browser, "alice", IdentityFixture.AlicePassword)) { }
        var page = await browser.GetStringAsync("/connect/verify?user_code=" + Uri.EscapeDataString(userCode), Ct);
        var (name, value) = Antiforgery(page);
        using var verify = await browser.PostAsync("/connect/verify", new FormUrlEncodedContent(new Dictionary<string, string> { [name] = value, ["user_code"] = userCode, ["action"] = "approve" }), Ct);
        Assert.Equal(HttpStatusCode.Redirect, verify.StatusCode);
        Assert.EndsWith("/connect/verify/done", verify.Headers.Location!.OriginalString, StringComparison.Ordinal);

        var (status, body) = await PostTokenAsync(fixture.Http, poll);
        Assert.Equal(HttpStatusCode.OK, status);
        var token = await ValidateAsync(Server, body["id_token"]!.GetValue<string>());
        Assert.Equal("alice", token.Subject);
        Assert.Equal("alice@example.com", token.GetPayloadValue<string>("email"));
    }

    [Fact]
    public async Task Device_flow_denied_on_the_verification_page_answers_access_denied()
    {
        var (_, deviceBody) = await PostFormAsync(fixture.Http, "/connect/device", new() { ["client_id"] = PublicClient, ["scope"] = "openid email" });
        var userCode = deviceBody["user_code"]!.GetValue<string>();
        using var browser = Server.NewBrowser();
        using (var login = await LoginAsync(browser, "alice", IdentityFixture.AlicePassword)) { }
        var page = await browser.GetStringAsync("/connect/verify?user_code=" + Uri.EscapeDataString(userCode), Ct);
        Assert.Contains("value=\"deny\"", page, StringComparison.Ordinal);
        var (name, value) = Antiforgery(page);
        using var deny = await browser.PostAsync("/connect/verify", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [name] = value, ["user_code"] = userCode, ["action"] = "deny",
        }), Ct);
        Assert.Equal(HttpStatusCode.Redirect, deny.StatusCode);
        Assert.EndsWith("/connect/verify/denied", deny.Headers.Location!.OriginalString, StringComparison.Ordinal);

        // RFC 8628 §3.5: the device's next poll is refused for good.
        var (status, body) = await PostTokenAsync(fixture.Http, new Dictionary<string, string>
        {
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:device_code", ["client_id"] = PublicClient, ["device_code"] = deviceBody["device_code"]!.GetValue<string>(),
        });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("access_denied", body["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Device_flow_as_sigstore_clients_run_it()
    {
        // sigstore/sigstore pkg/oauthflow/device.go (cosign --fulcio-auth-flow device): a PKCE challenge on the device
        // request; polls without client_id, with the verifier and scope sent as two values.
        var (verifier, challenge) = Pkce();
        var (device, deviceBody) = await PostFormAsync(fixture.Http, "/connect/device", new()
        {
            ["client_id"] = PublicClient, ["scope"] = "openid email", ["code_challenge_method"] = "S256", ["code_challenge"] = challenge,
        });
        Assert.True(device == HttpStatusCode.OK, deviceBody.ToJsonString());
        var userCode = deviceBody["user_code"]!.GetValue<string>();
        using var browser = Server.NewBrowser();
        using (var login = await LoginAsync(browser, "alice", IdentityFixture.AlicePassword)) { }
        var (name, value) = Antiforgery(await browser.GetStringAsync("/connect/verify?user_code=" + Uri.EscapeDataString(userCode), Ct));
        using (var verify = await browser.PostAsync("/connect/verify", new FormUrlEncodedContent(new Dictionary<string, string> { [name] = value, ["user_code"] = userCode, ["action"] = "approve" }), Ct))
        {
            Assert.Equal(HttpStatusCode.Redirect, verify.StatusCode);
        }
        using var poll = await fixture.Http.PostAsync("/connect/token", new FormUrlEncodedContent(
        [
            new("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), new("device_code", deviceBody["device_code"]!.GetValue<string>()),
            new("scope", "openid"), new("scope", "email"), new("code_verifier", verifier),
        ]), Ct);
        var body = JsonNode.Parse(await poll.Content.ReadAsStringAsync(Ct))!;
        Assert.True(poll.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        var token = await ValidateAsync(Server, body["id_token"]!.GetValue<string>());
        Assert.Equal("alice@example.com", token.GetPayloadValue<string>("email"));
    }

    [Fact]
    public async Task Wrong_user_code_shows_an_error_on_the_verification_page()
    {
        using var browser = Server.NewBrowser();
        using (var login = await LoginAsync(browser, "alice", IdentityFixture.AlicePassword)) { }
        var page = await browser.GetStringAsync("/connect/verify", Ct);
        var (name, value) = Antiforgery(page);
        using var verify = await browser.PostAsync("/connect/verify", new FormUrlEncodedContent(new Dictionary<string, string> { [name] = value, ["user_code"] = "WRONG-CODE" }), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, verify.StatusCode);
        Assert.Contains("invalid or has expired", await verify.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wrong_password_shows_an_error_and_sets_no_session()
    {
        using var browser = Server.NewBrowser();
        using var response = await LoginAsync(browser, "alice", "not alice's password");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync(Ct);
        Assert.Contains("role=\"alert\"", html, StringComparison.Ordinal);
        Assert.Contains("Invalid username or password.", html, StringComparison.Ordinal);
        var (_, challenge) = Pkce();
        using var authorize = await browser.GetAsync(AuthorizeUrl(challenge), Ct);
        Assert.StartsWith("/account/login", authorize.Headers.Location!.OriginalString.Replace(Server.Url, "", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Login_form_without_antiforgery_token_is_refused()
    {
        using var browser = Server.NewBrowser();
        using var response = await browser.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["username"] = "alice", ["password"] = IdentityFixture.AlicePassword, ["returnUrl"] = "/",
        }), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Login_redirects_only_to_local_paths()
    {
        using var browser = Server.NewBrowser();
        using var response = await LoginAsync(browser, "alice", IdentityFixture.AlicePassword, returnUrl: "//evil.example.com/x");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task Disabled_person_cannot_sign_in_or_redeem_a_code()
    {
        await Server.AdminAsync(a => a.AddUserAsync("dave", "dave's long password", "dave@example.com", true, Ct));
        using var signedIn = await CodeAsync(Server, "dave", "dave's long password");
        await Server.AdminAsync(async a => { await a.DisableUserAsync("dave", Ct); return 0; });
        var (status, body) = await PostTokenAsync(signedIn.Browser, Redemption(signedIn.Code, signedIn.Verifier));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_grant", body["error"]!.GetValue<string>());
        using var again = await LoginAsync(Server.NewBrowser(), "dave", "dave's long password");
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
    }

    [Fact]
    public async Task Repeated_failures_lock_the_account_even_for_the_right_password()
    {
        await Server.AdminAsync(a => a.AddUserAsync("carol", "carol's long password", null, false, Ct));
        using var browser = Server.NewBrowser();
        for (var i = 1; i <= 4; i++)
        {
            using var wrong = await LoginAsync(browser, "carol", "wrong password " + i);
            Assert.Contains("Invalid username or password.", await wrong.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
        using (var fifth = await LoginAsync(browser, "carol", "wrong password 5"))
        {
            Assert.Contains("locked", await fifth.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
        using var right = await LoginAsync(browser, "carol", "carol's long password");
        Assert.Equal(HttpStatusCode.Unauthorized, right.StatusCode);
        Assert.Contains("locked", await right.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var users = await Server.AdminAsync(a => a.ListUsersAsync(Ct));
        Assert.NotNull(users.Single(u => u.Username == "carol").LockedUntil);

        // An administrator's password reset lifts the lock.
        await Server.AdminAsync(a => a.ResetPasswordAsync("carol", "carol's new long password", Ct));
        using var after = await LoginAsync(browser, "carol", "carol's new long password");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
    }

    [Fact]
    public async Task Every_token_response_is_audited()
    {
        var secret = await Server.AdminAsync(a => a.AddClientAsync(new WorkloadClientSpec("audited", "https://ci.example.com/audited") { Audience = "other-ca" }, Ct));
        await ClientCredentialsAsync(fixture.Http, "audited", secret);
        await ClientCredentialsAsync(fixture.Http, "audited", "wrong-secret");
        var rows = await Server.AdminAsync(a => a.QueryAuditAsync(null, "audited", 100, Ct));
        var row = Assert.Single(rows);
        Assert.Equal("https://ci.example.com/audited", row.Subject);
        Assert.Equal("audited other-ca", row.Audience); // every audience of the issued tokens, sorted
        Assert.Equal("client_credentials", row.GrantType);
        Assert.Equal("id_token access_token", row.TokenTypes);
        Assert.True(row.IssuedAt > DateTimeOffset.UtcNow.AddMinutes(-5));
    }

    [Fact]
    public async Task Health_and_metrics_answer()
    {
        Assert.Equal(HttpStatusCode.OK, (await fixture.Http.GetAsync("/healthz", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Http.GetAsync("/readyz", Ct)).StatusCode);
        await ClientCredentialsAsync(fixture.Http, "ci-builder", fixture.BuilderSecret);
        var metrics = await fixture.Http.GetStringAsync("/metrics", Ct);
        Assert.Contains("privatesigstore_identity_token_responses", metrics, StringComparison.Ordinal);
        Assert.Contains("grant_type=\"client_credentials\"", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Oversized_token_request_is_413()
    {
        using var response = await fixture.Http.PostAsync("/connect/token", new StringContent("grant_type=client_credentials&x=" + new string('a', 100_000), System.Text.Encoding.ASCII, "application/x-www-form-urlencoded"), Ct);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    private static async Task<(HttpStatusCode, JsonObject)> PostFormAsync(HttpClient http, string path, Dictionary<string, string> form)
    {
        using var response = await http.PostAsync(path, new FormUrlEncodedContent(form), Ct);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!.AsObject());
    }
}
