using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using PrivateSigstore.Identity.Tests.TestSupport;
using static PrivateSigstore.Identity.Tests.TestSupport.OidcFlows;

namespace PrivateSigstore.Identity.Tests;

/// <summary>
/// Issue 21, the admin commands and pages a new operator meets: admin --help, no store created by accident, a warning
/// for a workload without an email, the device page naming the client, no antiforgery warning per login-page view.
/// </summary>
public sealed class FirstHourIdentityTests(IdentityFixture fixture) : IClassFixture<IdentityFixture>
{
    private IdentityServer Server => fixture.Server;

    [Fact]
    public async Task Admin_help_prints_the_usage_and_exits_0()
    {
        foreach (var help in new[] { "--help", "-h", "help" })
        {
            var (exit, output, error) = await Server.CliAsync(help);
            Assert.Equal(0, exit);
            Assert.Equal(AdminCommands.Usage + Environment.NewLine, output);
            Assert.Empty(error);
        }
    }

    [Fact]
    public async Task Admin_refuses_to_create_a_store_and_names_the_path()
    {
        var empty = Directory.CreateTempSubdirectory("psig-identity-nostore-").FullName;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Identity:DataDirectory"] = empty }).Build();
        using var output = new StringWriter();
        using var error = new StringWriter();

        var exit = await AdminCommands.RunAsync(["users", "list"], output, error, configuration, cancellationToken: Ct);

        Assert.Equal(1, exit);
        Assert.Equal($"error: no identity store at {Path.Combine(empty, "identity.db")}: start the identity provider (or the stack) once to create it, or point --data-dir (the stack: --data) at the data directory it uses{Environment.NewLine}", error.ToString());
        Assert.Empty(output.ToString());
        Assert.Empty(Directory.GetFileSystemEntries(empty));
    }

    [Fact]
    public async Task A_workload_added_without_an_email_gets_a_warning()
    {
        var (exit, output, error) = await Server.CliAsync("clients", "add", "no-mail-builder", "--subject", "https://ci.example.com/no-mail");
        Assert.Equal(0, exit);
        Assert.StartsWith("added client no-mail-builder", output, StringComparison.Ordinal);
        Assert.Equal("warning: client no-mail-builder gets tokens without an email claim; a CA that trusts this provider as type email (the stack's CA does) refuses them with \"token missing email claim\": for such a CA add the client with --email ADDRESS --email-verified" + Environment.NewLine, error);

        (exit, _, error) = await Server.CliAsync("clients", "add", "mail-builder", "--subject", "https://ci.example.com/mail", "--email", "mail-builder@example.com", "--email-verified");
        Assert.Equal(0, exit);
        Assert.Empty(error);
    }

    [Fact]
    public async Task The_device_page_names_the_client_asking_to_sign_in()
    {
        using var response = await fixture.Http.PostAsync("/connect/device", new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = PublicClient, ["scope"] = "openid email" }), Ct);
        var userCode = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["user_code"]!.GetValue<string>();
        using var browser = Server.NewBrowser();
        using (await LoginAsync(browser, "alice", IdentityFixture.AlicePassword)) { }

        var page = await browser.GetStringAsync("/connect/verify?user_code=" + Uri.EscapeDataString(userCode), Ct);
        var typed = await browser.GetStringAsync("/connect/verify", Ct);

        Assert.Contains("<p id=\"client\">The client <strong>Sigstore clients (sigstore)</strong> is asking to sign in as you.", page, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"client\"", typed, StringComparison.Ordinal);
        Assert.Contains("Enter the code your terminal shows.", typed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_typed_device_code_is_confirmed_on_a_page_naming_the_client_before_approval()
    {
        var deviceBody = await DeviceAuthorizationAsync();
        var userCode = deviceBody["user_code"]!.GetValue<string>();
        using var browser = Server.NewBrowser();
        using (await LoginAsync(browser, "alice", IdentityFixture.AlicePassword)) { }

        // The person opens the plain verification URL and types the code: "Continue" leads to a confirmation step.
        var typed = await browser.GetStringAsync("/connect/verify", Ct);
        Assert.Contains("value=\"continue\"", typed, StringComparison.Ordinal);
        Assert.DoesNotContain("value=\"approve\"", typed, StringComparison.Ordinal);
        var (name, value) = Antiforgery(typed);
        using var entered = await browser.PostAsync("/connect/verify", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [name] = value, ["user_code"] = userCode, ["action"] = "continue",
        }), Ct);
        Assert.Equal(HttpStatusCode.OK, entered.StatusCode);
        var confirm = await entered.Content.ReadAsStringAsync(Ct);
        Assert.Contains("<p id=\"client\">The client <strong>Sigstore clients (sigstore)</strong> is asking to sign in as you.", confirm, StringComparison.Ordinal);
        Assert.Contains("<strong id=\"code\">" + userCode + "</strong>", confirm, StringComparison.Ordinal);
        Assert.Contains("value=\"approve\"", confirm, StringComparison.Ordinal);
        Assert.Contains("value=\"deny\"", confirm, StringComparison.Ordinal);

        // Not yet approved: the device still waits.
        var poll = new Dictionary<string, string> { ["grant_type"] = "urn:ietf:params:oauth:grant-type:device_code", ["client_id"] = PublicClient, ["device_code"] = deviceBody["device_code"]!.GetValue<string>() };
        var (pending, pendingBody) = await PostTokenAsync(fixture.Http, poll);
        Assert.Equal(HttpStatusCode.BadRequest, pending);
        Assert.Equal("authorization_pending", pendingBody["error"]!.GetValue<string>());

        // Approving from the confirmation page (its own antiforgery token and the hidden code) signs the device in.
        (name, value) = Antiforgery(confirm);
        using var approve = await browser.PostAsync("/connect/verify", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            [name] = value, ["user_code"] = userCode, ["action"] = "approve",
        }), Ct);
        Assert.Equal(HttpStatusCode.Redirect, approve.StatusCode);
        Assert.EndsWith("/connect/verify/done", approve.Headers.Location!.OriginalString, StringComparison.Ordinal);
        var (status, body) = await PostTokenAsync(fixture.Http, poll);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("alice", (await ValidateAsync(Server, body["id_token"]!.GetValue<string>())).Subject);
    }

    [Fact]
    public async Task A_post_without_an_explicit_approval_only_shows_the_confirmation()
    {
        var deviceBody = await DeviceAuthorizationAsync();
        var userCode = deviceBody["user_code"]!.GetValue<string>();
        using var browser = Server.NewBrowser();
        using (await LoginAsync(browser, "alice", IdentityFixture.AlicePassword)) { }
        var (name, value) = Antiforgery(await browser.GetStringAsync("/connect/verify", Ct));

        using var posted = await browser.PostAsync("/connect/verify", new FormUrlEncodedContent(new Dictionary<string, string> { [name] = value, ["user_code"] = userCode }), Ct);

        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        Assert.Contains("Sigstore clients (sigstore)", await posted.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        var (pending, pendingBody) = await PostTokenAsync(fixture.Http, new Dictionary<string, string>
        {
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:device_code", ["client_id"] = PublicClient, ["device_code"] = deviceBody["device_code"]!.GetValue<string>(),
        });
        Assert.Equal(HttpStatusCode.BadRequest, pending);
        Assert.Equal("authorization_pending", pendingBody["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_token_for_the_CA_without_an_email_is_audited_with_the_reason_and_the_client()
    {
        var noMail = await Server.AdminAsync(a => a.AddClientAsync(new WorkloadClientSpec("audit-no-mail", "https://ci.example.com/audit-no-mail"), Ct));
        var withMail = await Server.AdminAsync(a => a.AddClientAsync(new WorkloadClientSpec("audit-mail", "https://ci.example.com/audit-mail") { Email = "audit-mail@example.com", EmailVerified = true }, Ct));
        var otherCa = await Server.AdminAsync(a => a.AddClientAsync(new WorkloadClientSpec("audit-other-ca", "https://ci.example.com/audit-other-ca") { Audience = "other-ca" }, Ct));
        Assert.Equal(HttpStatusCode.OK, (await ClientCredentialsAsync(fixture.Http, "audit-no-mail", noMail)).Status);
        Assert.Equal(HttpStatusCode.OK, (await ClientCredentialsAsync(fixture.Http, "audit-mail", withMail)).Status);
        Assert.Equal(HttpStatusCode.OK, (await ClientCredentialsAsync(fixture.Http, "audit-other-ca", otherCa)).Status);

        var row = Assert.Single(await Server.AdminAsync(a => a.QueryAuditAsync(null, "audit-no-mail", 10, Ct)));
        Assert.Equal("token missing email claim: a CA that trusts this provider as type email refuses it", row.Warning);
        Assert.Null(Assert.Single(await Server.AdminAsync(a => a.QueryAuditAsync(null, "audit-mail", 10, Ct))).Warning);
        Assert.Null(Assert.Single(await Server.AdminAsync(a => a.QueryAuditAsync(null, "audit-other-ca", 10, Ct))).Warning);

        // Where the operator reads it: admin audit (text and JSON) and the provider's log, naming the client.
        var (exit, output, error) = await Server.CliAsync("audit", "--client", "audit-no-mail");
        Assert.Equal(0, exit);
        Assert.Empty(error);
        Assert.EndsWith("\tclient=audit-no-mail\taud=audit-no-mail sigstore\tgrant=client_credentials\ttokens=id_token access_token\twarning=token missing email claim: a CA that trusts this provider as type email refuses it" + Environment.NewLine, output, StringComparison.Ordinal);
        (exit, output, _) = await Server.CliAsync("audit", "--client", "audit-no-mail", "--json");
        Assert.Equal(0, exit);
        Assert.Equal("token missing email claim: a CA that trusts this provider as type email refuses it", JsonNode.Parse(output)!["warning"]!.GetValue<string>());
        (_, output, _) = await Server.CliAsync("audit", "--client", "audit-mail");
        Assert.DoesNotContain("warning=", output, StringComparison.Ordinal);
        Assert.Contains(Server.Logs, l => l.Contains("Issued a token without an email claim to client audit-no-mail for audience sigstore", StringComparison.Ordinal)
            && l.Contains("token missing email claim", StringComparison.Ordinal));
        Assert.DoesNotContain(Server.Logs, l => l.Contains("to client audit-mail ", StringComparison.Ordinal) || l.Contains("to client audit-other-ca ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Viewing_the_login_page_logs_no_antiforgery_warning()
    {
        using var browser = Server.NewBrowser();
        for (var i = 0; i < 3; i++)
        {
            using var page = await browser.GetAsync("/account/login", Ct);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.True(page.Headers.CacheControl is { NoCache: true, NoStore: true }, page.Headers.CacheControl?.ToString());
        }
        Assert.DoesNotContain(Server.Logs, l => l.StartsWith("Warning Microsoft.AspNetCore.Antiforgery", StringComparison.Ordinal));
    }

    private async Task<JsonNode> DeviceAuthorizationAsync()
    {
        using var response = await fixture.Http.PostAsync("/connect/device", new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = PublicClient, ["scope"] = "openid email" }), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
    }
}
