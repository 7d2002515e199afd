using System.Net;
using Microsoft.Extensions.DependencyInjection;
using PrivateSigstore.Identity.Tests.TestSupport;
using static PrivateSigstore.Identity.Tests.TestSupport.OidcFlows;

namespace PrivateSigstore.Identity.Tests;

/// <summary>Issue 20's security findings on the identity provider, each as an outside tester found it.</summary>
public sealed class SecurityTests
{
    // Finding 1: parallel wrong passwords each counted (the counter was read, hashed, then written back as an absolute value).
    [Fact]
    public async Task Parallel_wrong_passwords_all_count_and_the_right_one_is_then_refused()
    {
        await using var server = await IdentityServer.StartAsync();
        await server.AdminAsync(a => a.AddUserAsync("target", "target's long password", null, false, Ct));
        var attempts = Enumerable.Range(0, 24).Select(i => Task.Run(async () =>
        {
            await using var scope = server.App.Services.CreateAsyncScope();
            return (await scope.ServiceProvider.GetRequiredService<UserSignIn>().SignInAsync("target", "wrong guess " + i, Ct)).Outcome;
        }, Ct));
        var outcomes = await Task.WhenAll(attempts);
        Assert.DoesNotContain(SignInOutcome.Succeeded, outcomes);
        await using var check = server.App.Services.CreateAsyncScope();
        var (outcome, user) = await check.ServiceProvider.GetRequiredService<UserSignIn>().SignInAsync("target", "target's long password", Ct);
        Assert.Equal(SignInOutcome.LockedOut, outcome);
        Assert.Null(user);
    }

    [Fact]
    public async Task Sign_in_is_rate_limited_per_account_across_client_addresses()
    {
        await using var server = await IdentityServer.StartAsync(["--RateLimits:login-account:PermitLimit", "3", "--RateLimits:login-account:WindowSeconds", "600"]);
        using var browser = server.NewBrowser();
        for (var i = 0; i < 3; i++)
        {
            using var wrong = await LoginAsync(browser, "somebody", "guess " + i);
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        using var limited = await LoginAsync(browser, "SomeBody", "guess 4");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
        Assert.NotNull(limited.Headers.RetryAfter);
        // Another account from the same address is not held up by it.
        using var other = await LoginAsync(browser, "another", "guess");
        Assert.Equal(HttpStatusCode.Unauthorized, other.StatusCode);
    }

    [Fact]
    public async Task Sign_in_is_rate_limited_per_client_address()
    {
        await using var server = await IdentityServer.StartAsync(["--RateLimits:login:PermitLimit", "3", "--RateLimits:login:WindowSeconds", "600"]);
        using var browser = server.NewBrowser();
        for (var i = 0; i < 3; i++)
        {
            using var wrong = await LoginAsync(browser, "user" + i, "guess");
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        using var limited = await LoginAsync(browser, "user9", "guess");
        Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
    }

    [Fact]
    public async Task Token_and_device_authorization_endpoints_are_rate_limited_per_client_address()
    {
        await using var server = await IdentityServer.StartAsync(
        [
            "--RateLimits:token:PermitLimit", "2", "--RateLimits:token:WindowSeconds", "600",
            "--RateLimits:device:PermitLimit", "2", "--RateLimits:device:WindowSeconds", "600",
        ]);
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await http.PostAsync("/connect/token", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials", ["client_id"] = "nobody", ["client_secret"] = "x",
            }), Ct);
            statuses.Add(response.StatusCode);
        }
        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], statuses);
        statuses.Clear();
        for (var i = 0; i < 3; i++)
        {
            using var response = await http.PostAsync("/connect/device", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["client_id"] = PublicClient, ["scope"] = "openid email",
            }), Ct);
            statuses.Add(response.StatusCode);
        }
        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], statuses);
    }

    [Fact]
    public async Task Rate_limits_are_on_by_default()
    {
        var limits = IdentityApp.Service.DefaultRateLimits;
        foreach (var group in new[] { "login", "login-account", "token", "device" })
        {
            Assert.True(limits.TryGetValue(group, out var limit) && limit.PermitLimit > 0, group);
        }
        await Task.CompletedTask;
    }
}

/// <summary>Finding 2: the return URL after sign-in is followed only when it is a local path (the framework's rules).</summary>
public sealed class OpenRedirectTests(IdentityFixture fixture) : IClassFixture<IdentityFixture>
{
    [Theory]
    [InlineData("/\t/evil.example/x")]
    [InlineData("/\t\\evil.example/x")]
    [InlineData("/\r\n/evil.example/x")]
    [InlineData("/\n/evil.example/x")]
    [InlineData("/\u0000/evil.example")]
    [InlineData("/\u007f/evil.example")]
    [InlineData("//evil.example/x")]
    [InlineData("/\\evil.example/x")]
    [InlineData("\\\\evil.example/x")]
    [InlineData("\t//evil.example/x")]
    [InlineData(" //evil.example/x")]
    [InlineData("https://evil.example/x")]
    [InlineData("javascript:alert(1)")]
    [InlineData("%2F%2Fevil.example/x")]
    [InlineData("evil.example/x")]
    public async Task Return_urls_that_could_leave_the_site_go_to_the_start_page(string returnUrl)
    {
        using var browser = fixture.Server.NewBrowser();
        using var response = await LoginAsync(browser, "alice", IdentityFixture.AlicePassword, returnUrl);
        if (returnUrl.Contains('\0', StringComparison.Ordinal))
        {
            // The form reader refuses NUL: a 400 with no redirect at all (it was a 500).
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Null(response.Headers.Location);
            return;
        }
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/", response.Headers.Location!.OriginalString);
    }

    [Theory]
    [InlineData("/connect/authorize?client_id=sigstore&x=%2F%2Fevil")]
    [InlineData("/%2F%2Fevil.example")]
    [InlineData("/a/b?c=d")]
    public async Task Local_return_urls_are_followed(string returnUrl)
    {
        using var browser = fixture.Server.NewBrowser();
        using var response = await LoginAsync(browser, "alice", IdentityFixture.AlicePassword, returnUrl);
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal(returnUrl, response.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task The_login_page_renders_only_a_local_return_url()
    {
        using var browser = fixture.Server.NewBrowser();
        var page = await browser.GetStringAsync("/account/login?returnUrl=" + Uri.EscapeDataString("/\t/evil.example"), Ct);
        Assert.DoesNotContain("evil.example", page, StringComparison.Ordinal);
    }
}

/// <summary>Finding 3: '$' in .NET matches before a final newline; names, emails and claim names must not end in one.</summary>
public sealed class TrailingNewlineTests
{
    [Theory]
    [InlineData("alice@example.com\n")]
    [InlineData("alice@example.com\r\n")]
    public async Task An_email_with_a_trailing_newline_is_refused_and_never_reaches_a_token(string email)
    {
        await using var server = await IdentityServer.StartAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => server.AdminAsync(a => a.AddUserAsync("mallory", "mallory's long password", email, true, Ct)));
        await Assert.ThrowsAsync<ArgumentException>(() => server.AdminAsync(a => a.AddClientAsync(new WorkloadClientSpec("robot", "https://ci.example.com/robot") { Email = email, EmailVerified = true }, Ct)));
    }

    [Fact]
    public async Task Names_and_claim_names_with_a_trailing_newline_are_refused()
    {
        await using var server = await IdentityServer.StartAsync();
        await Assert.ThrowsAsync<ArgumentException>(() => server.AdminAsync(a => a.AddUserAsync("mallory\n", "mallory's long password", null, false, Ct)));
        await Assert.ThrowsAsync<ArgumentException>(() => server.AdminAsync(a => a.AddClientAsync(new WorkloadClientSpec("robot\n", "https://ci.example.com/robot"), Ct)));
        await Assert.ThrowsAsync<ArgumentException>(() => server.AdminAsync(a => a.AddClientAsync(new WorkloadClientSpec("robot2", "https://ci.example.com/robot")
        {
            Claims = new Dictionary<string, string> { ["repository\n"] = "x" },
        }, Ct)));
    }
}

/// <summary>Finding 7: sign-in failures must not tell whether an account exists, is locked or is disabled.</summary>
public sealed class UsernameEnumerationTests
{
    [Fact]
    public async Task Unknown_wrong_locked_and_disabled_all_get_the_same_answer()
    {
        await using var server = await IdentityServer.StartAsync(["--Identity:MaxFailedSignIns", "2"]);
        await server.AdminAsync(a => a.AddUserAsync("locked-user", "locked user's password", null, false, Ct));
        await server.AdminAsync(a => a.AddUserAsync("disabled-user", "disabled user's password", null, false, Ct));
        await server.AdminAsync(a => a.AddUserAsync("plain-user", "plain user's password", null, false, Ct));
        await server.AdminAsync(async a => { await a.DisableUserAsync("disabled-user", Ct); return 0; });
        using var browser = server.NewBrowser();
        for (var i = 0; i < 2; i++)
        {
            using var _ = await LoginAsync(browser, "locked-user", "wrong " + i);
        }
        var answers = new List<(HttpStatusCode, string)>();
        foreach (var (user, password) in new[]
        {
            ("no-such-user", "whatever password"), ("plain-user", "wrong password"),
            ("locked-user", "locked user's password"), ("disabled-user", "disabled user's password"),
        })
        {
            using var response = await LoginAsync(browser, user, password);
            answers.Add((response.StatusCode, Alert(await response.Content.ReadAsStringAsync(Ct))));
        }
        Assert.All(answers, a => Assert.Equal(answers[0], a));
        Assert.Equal(HttpStatusCode.Unauthorized, answers[0].Item1);
    }

    [Fact]
    public async Task Every_refused_sign_in_does_the_same_password_hashing_work()
    {
        await using var server = await IdentityServer.StartAsync(["--Identity:MaxFailedSignIns", "1"]);
        await server.AdminAsync(a => a.AddUserAsync("locked-user", "locked user's password", null, false, Ct));
        await using var scope = server.App.Services.CreateAsyncScope();
        var signIn = scope.ServiceProvider.GetRequiredService<UserSignIn>();
        await signIn.SignInAsync("locked-user", "wrong", Ct);
        foreach (var (user, password) in new[] { ("no-such-user", "x"), ("locked-user", "locked user's password"), ("locked-user", "wrong again"), (new string('u', 500), "x") })
        {
            var before = signIn.PasswordChecks;
            await signIn.SignInAsync(user, password, Ct);
            Assert.Equal(1, signIn.PasswordChecks - before);
        }
    }

    private static string Alert(string html)
    {
        var m = System.Text.RegularExpressions.Regex.Match(html, "role=\"alert\"[^>]*>([^<]*)<");
        return m.Success ? m.Groups[1].Value : "";
    }
}

/// <summary>Finding 6: the identity store was world-readable (identity.db 0644 in a 0755 directory).</summary>
public sealed class DataPermissionTests
{
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task The_data_directory_is_0700_and_every_file_in_it_0600()
    {
        var parent = Directory.CreateTempSubdirectory("psig-perm-").FullName;
        try
        {
            var data = Path.Combine(parent, "data", "identity");
            await using (var server = await IdentityServer.StartAsync(dataDirectory: data))
            {
                await server.AdminAsync(a => a.AddUserAsync("alice", IdentityFixture.AlicePassword, "alice@example.com", true, Ct));
                using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readyz", Ct)).StatusCode);
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(data));
                var entries = Directory.EnumerateFileSystemEntries(data, "*", SearchOption.AllDirectories).ToList();
                Assert.Contains(entries, e => e.EndsWith("identity.db", StringComparison.Ordinal));
                foreach (var entry in entries)
                {
                    var mode = File.GetUnixFileMode(entry);
                    var expected = Directory.Exists(entry)
                        ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                        : UnixFileMode.UserRead | UnixFileMode.UserWrite;
                    Assert.True(mode == expected, $"{entry} is {mode}");
                }
            }
        }
        finally
        {
            Directory.Delete(parent, recursive: true);
        }
    }
}
