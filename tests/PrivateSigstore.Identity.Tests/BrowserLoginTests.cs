using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using PrivateSigstore.Identity.Tests.TestSupport;
using static PrivateSigstore.Identity.Tests.TestSupport.OidcFlows;

namespace PrivateSigstore.Identity.Tests;

/// <summary>
/// The login page as a person uses it: Debian's headless Chromium driven by playwright-core (tests/browser), with page
/// JavaScript off, fields found by their labels. Wrong password → an alert; right password → a code → a token.
/// Screenshots go to the test output directory.
/// </summary>
public sealed class BrowserLoginTests(IdentityFixture fixture) : IClassFixture<IdentityFixture>
{
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task Sign_in_in_chromium_issues_a_token_and_a_wrong_password_shows_an_error()
    {
        var browserDir = Path.Combine(RepositoryRoot(), "tests", "browser");
        var chromium = Environment.GetEnvironmentVariable("CHROMIUM") ?? "/usr/bin/chromium";
        var node = FindOnPath("node");
        var missing = node is null ? "node is not installed (apt-get install nodejs)"
            : !File.Exists(chromium) ? $"{chromium} is not installed (apt-get install chromium; test.sh does)"
            : !Directory.Exists(Path.Combine(browserDir, "node_modules", "playwright-core")) ? "playwright-core is not installed (npm ci --prefix tests/browser; test.sh does)"
            : null;
        if (missing is not null)
        {
            Assert.False(string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), $"CI=true but {missing}");
            Assert.Skip(missing);
        }

        var screenshots = Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName;
        var results = Path.Combine(Path.GetTempPath(), $"psig-browser-{Guid.NewGuid():N}.json");
        var (verifier, challenge) = Pkce();
        // The client side of the flow: a loopback listener on a random port, as cosign and sigstore-python run (RFC 8252 §7.3).
        var callbackPort = IdentityServer.FreePort();
        var redirectUri = $"http://127.0.0.1:{callbackPort}/auth/callback";
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{callbackPort}/auth/");
        listener.Start();
        var callbackTask = AnswerCallbackAsync(listener);
        var start = new ProcessStartInfo(node!) { WorkingDirectory = browserDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(browserDir, "login.mjs"));
        start.ArgumentList.Add(results);
        start.Environment["IDENTITY_URL"] = fixture.Server.Url;
        start.Environment["AUTHORIZE_PATH"] = AuthorizeUrl(challenge).Replace(Uri.EscapeDataString(RedirectUri), Uri.EscapeDataString(redirectUri), StringComparison.Ordinal);
        start.Environment["CALLBACK_PREFIX"] = redirectUri;
        start.Environment["USERNAME"] = "alice";
        start.Environment["PASSWORD"] = IdentityFixture.AlicePassword;
        start.Environment["SCREENSHOT_DIR"] = screenshots;
        start.Environment["CHROMIUM"] = chromium;
        start.Environment.Remove("NODE_OPTIONS");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(ScriptTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        var report = $"exit {process.ExitCode}\nstdout: {await stdout}\nstderr: {await stderr}";
        Assert.True(File.Exists(results), report);
        var r = JsonNode.Parse(await File.ReadAllTextAsync(results, Ct))!;
        File.Delete(results);
        foreach (var shot in r["screenshots"]!.AsArray())
        {
            TestContext.Current.SendDiagnosticMessage($"screenshot: {shot}");
            TestContext.Current.TestOutputHelper?.WriteLine($"screenshot: {shot}");
        }
        Assert.True(r["error"] is null, r["error"]?.ToString() + "\n" + report);

        Assert.StartsWith(fixture.Server.Url + "/account/login", r["loginUrl"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("Sign in · PrivateSigstore", r["title"]!.GetValue<string>());
        Assert.Equal(1, r["labels"]!["username"]!.GetValue<int>());
        Assert.Equal(1, r["labels"]!["password"]!.GetValue<int>());
        Assert.Equal(401, r["wrongPassword"]!["status"]!.GetValue<int>());
        Assert.Equal(IdentityEndpoints.SignInFailedMessage, r["wrongPassword"]!["alert"]!.GetValue<string>());
        Assert.Equal("Allow sign-in · PrivateSigstore", r["consent"]!["title"]!.GetValue<string>());
        Assert.Contains("Sigstore clients (sigstore)", r["consent"]!["client"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("alice", r["consent"]!["client"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(2, r["consent"]!["scopes"]!.AsArray().Count); // openid, email
        Assert.Equal(4, r["screenshots"]!.AsArray().Count);
        Assert.All(r["screenshots"]!.AsArray(), s => Assert.True(new FileInfo(s!.GetValue<string>()).Length > 1000));

        // The code the browser brought back redeems, with the PKCE verifier, for alice's ID token.
        var callback = new Uri(r["callbackUrl"]!.GetValue<string>());
        Assert.Equal(callback, await callbackTask.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        var query = Query(callback);
        Assert.Equal("xyz", query["state"]);
        var (status, body) = await PostTokenAsync(fixture.Http, new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code", ["client_id"] = PublicClient, ["code"] = query["code"], ["redirect_uri"] = redirectUri, ["code_verifier"] = verifier,
        });
        Assert.Equal(HttpStatusCode.OK, status);
        var token = await ValidateAsync(fixture.Server, body["id_token"]!.GetValue<string>());
        Assert.Equal("alice@example.com", token.GetPayloadValue<string>("email"));
    }

    private static async Task<Uri> AnswerCallbackAsync(HttpListener listener)
    {
        var context = await listener.GetContextAsync();
        var url = context.Request.Url!;
        var page = "<!DOCTYPE html><html lang=\"en\"><title>client</title><p>Signed in. You can close this window.</p></html>"u8.ToArray();
        context.Response.ContentType = "text/html; charset=utf-8";
        await context.Response.OutputStream.WriteAsync(page);
        context.Response.Close();
        return url;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PrivateSigstore.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"PrivateSigstore.sln not found above {AppContext.BaseDirectory}");
    }
}
