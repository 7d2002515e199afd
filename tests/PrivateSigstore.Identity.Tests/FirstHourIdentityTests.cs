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
}
