using System.Net;
using PrivateSigstore.Identity.Tests.TestSupport;
using static PrivateSigstore.Identity.Tests.TestSupport.OidcFlows;

namespace PrivateSigstore.Identity.Tests;

/// <summary>
/// Issue 20, finding 9: a signed-in person got a code for any authorization request with no consent step (a page could
/// start a sign-in silently), and a cross-site POST to /account/logout signed the person out (no antiforgery).
/// </summary>
public sealed class ConsentAndLogoutTests(IdentityFixture fixture) : IClassFixture<IdentityFixture>
{
    private async Task<HttpClient> SignedInBrowserAsync()
    {
        var browser = fixture.Server.NewBrowser();
        using var login = await LoginAsync(browser, "alice", IdentityFixture.AlicePassword);
        Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        return browser;
    }

    [Fact]
    public async Task An_authorization_request_shows_a_consent_page_naming_the_client_and_scopes_before_any_code()
    {
        using var browser = await SignedInBrowserAsync();
        var (_, challenge) = Pkce();
        using var page = await browser.GetAsync(AuthorizeUrl(challenge, scope: "openid email"), Ct);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Null(page.Headers.Location);
        var html = await page.Content.ReadAsStringAsync(Ct);
        Assert.Contains("Sigstore clients (sigstore)", html, StringComparison.Ordinal);
        Assert.Contains("alice", html, StringComparison.Ordinal);
        Assert.Contains("email", html, StringComparison.Ordinal);
        Assert.Contains("name=\"consent\" value=\"allow\"", html, StringComparison.Ordinal);
        Assert.Contains("name=\"consent\" value=\"deny\"", html, StringComparison.Ordinal);
        var fields = HiddenFields(html);
        Assert.Equal(challenge, fields["code_challenge"]);
        Assert.Equal(RedirectUri, fields["redirect_uri"]);
    }

    [Fact]
    public async Task Allow_gives_a_code_deny_gives_access_denied_and_a_post_without_the_form_token_gives_nothing()
    {
        using var browser = await SignedInBrowserAsync();
        var (_, challenge) = Pkce();
        var fields = HiddenFields(await browser.GetStringAsync(AuthorizeUrl(challenge, state: "s-1"), Ct));

        // A cross-site form: the authorization parameters and "allow", without the antiforgery token.
        var forged = fields.Where(f => !f.Key.StartsWith("__", StringComparison.Ordinal)).ToDictionary();
        forged["consent"] = "allow";
        using (var response = await browser.PostAsync("/connect/authorize", new FormUrlEncodedContent(forged), Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Null(response.Headers.Location);
        }

        using (var deny = await browser.PostAsync("/connect/authorize", new FormUrlEncodedContent(new Dictionary<string, string>(fields) { ["consent"] = "deny" }), Ct))
        {
            var location = Assert.IsType<Uri>(deny.Headers.Location);
            Assert.StartsWith(RedirectUri, location.ToString(), StringComparison.Ordinal);
            var query = Query(location);
            Assert.Equal("access_denied", query["error"]);
            Assert.Equal("s-1", query["state"]);
            Assert.False(query.ContainsKey("code"));
        }

        fields = HiddenFields(await browser.GetStringAsync(AuthorizeUrl(challenge, state: "s-2"), Ct));
        using (var allow = await browser.PostAsync("/connect/authorize", new FormUrlEncodedContent(new Dictionary<string, string>(fields) { ["consent"] = "allow" }), Ct))
        {
            var location = Assert.IsType<Uri>(allow.Headers.Location);
            Assert.StartsWith(RedirectUri, location.ToString(), StringComparison.Ordinal);
            var query = Query(location);
            Assert.Equal("s-2", query["state"]);
            Assert.NotEmpty(query["code"]);
        }
    }

    [Fact]
    public async Task A_consent_post_after_the_session_ended_goes_to_sign_in_without_the_decision_or_the_form_token_in_the_url()
    {
        using var signedIn = await SignedInBrowserAsync();
        var (_, challenge) = Pkce();
        var fields = HiddenFields(await signedIn.GetStringAsync(AuthorizeUrl(challenge), Ct));
        using var anonymous = fixture.Server.NewBrowser();
        using var response = await anonymous.PostAsync("/connect/authorize", new FormUrlEncodedContent(new Dictionary<string, string>(fields) { ["consent"] = "allow" }), Ct);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        var location = Uri.UnescapeDataString(response.Headers.Location!.ToString());
        Assert.Contains("/account/login", location, StringComparison.Ordinal);
        Assert.Contains("code_challenge=" + challenge, location, StringComparison.Ordinal);
        Assert.DoesNotContain("RequestVerificationToken", location, StringComparison.Ordinal);
        Assert.DoesNotContain("consent=", location, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prompt_none_for_a_signed_in_person_is_consent_required_not_a_code()
    {
        using var browser = await SignedInBrowserAsync();
        var (_, challenge) = Pkce();
        using var response = await browser.GetAsync(AuthorizeUrl(challenge) + "&prompt=none", Ct);
        var location = Assert.IsType<Uri>(response.Headers.Location);
        var query = Query(location);
        Assert.Equal("consent_required", query["error"]);
        Assert.False(query.ContainsKey("code"));
    }

    [Fact]
    public async Task Logout_needs_a_post_with_the_form_token_and_a_get_shows_a_confirmation()
    {
        using var browser = await SignedInBrowserAsync();
        // A cross-site POST (no token) does not sign the person out.
        using (var forged = await browser.PostAsync("/account/logout", new FormUrlEncodedContent([]), Ct))
        {
            Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        }
        Assert.Contains("signed in as alice", await browser.GetStringAsync("/", Ct), StringComparison.Ordinal);

        // A GET only asks.
        using var confirm = await browser.GetAsync("/account/logout", Ct);
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        var html = await confirm.Content.ReadAsStringAsync(Ct);
        Assert.Contains("<form method=\"post\" action=\"/account/logout\">", html, StringComparison.Ordinal);
        Assert.Contains("signed in as alice", await browser.GetStringAsync("/", Ct), StringComparison.Ordinal);

        var (name, value) = Antiforgery(html);
        using var logout = await browser.PostAsync("/account/logout", new FormUrlEncodedContent(new Dictionary<string, string> { [name] = value }), Ct);
        Assert.Equal(HttpStatusCode.Redirect, logout.StatusCode);
        using var after = await browser.GetAsync("/", Ct);
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.Contains("/account/login", after.Headers.Location!.OriginalString, StringComparison.Ordinal);
    }
}
