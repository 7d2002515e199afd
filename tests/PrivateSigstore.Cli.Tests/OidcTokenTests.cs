using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using PrivateSigstore.Identity;
using PrivateSigstore.Identity.Tests.TestSupport;
using PrivateSigstore.Stack;
using static PrivateSigstore.Identity.Tests.TestSupport.OidcFlows;

namespace PrivateSigstore.Cli.Tests;

/// <summary>
/// psig's interactive token sources against the real identity provider on loopback: the device flow (the test signs the
/// person in and approves or denies the user code psig prints) and the browser code flow (the "browser" is an HTTP client
/// that signs in and follows the redirect to psig's loopback listener); then a device-flow token signs keylessly
/// against the whole stack and the bundle verifies as the person's email.
/// </summary>
public sealed partial class OidcTokenTests(IdentityFixture fixture) : IClassFixture<IdentityFixture>
{
    [Fact]
    public async Task Device_flow_prints_the_user_code_and_returns_the_approved_persons_token()
    {
        await using var psig = RunningPsig.Start("token", "--oidc-issuer", fixture.Server.Url, "--oidc-device");
        var userCode = await psig.UserCodeAsync();
        Assert.Contains(fixture.Server.Url + "/connect/verify", psig.Error, StringComparison.Ordinal);

        await ApproveAsync(fixture.Server.NewBrowser(), userCode, "approve");

        var result = await psig.Completion;
        Assert.True(result.ExitCode == 0, result.Error);
        var token = await ValidateAsync(fixture.Server, result.Out.Trim());
        Assert.Equal("alice@example.com", token.GetPayloadValue<string>("email"));
    }

    [Fact]
    public async Task Device_flow_denied_by_the_person_fails_with_access_denied()
    {
        await using var psig = RunningPsig.Start("token", "--oidc-issuer", fixture.Server.Url, "--oidc-device");
        var userCode = await psig.UserCodeAsync();

        await ApproveAsync(fixture.Server.NewBrowser(), userCode, "deny");

        var result = await psig.Completion;
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("access_denied", result.Error, StringComparison.Ordinal);
        Assert.Equal("", result.Out);
    }

    [Fact]
    public async Task Device_flow_stops_when_the_code_expires()
    {
        await using var server = await IdentityServer.StartAsync(["--Identity:DeviceCodeLifetime", "00:00:02"]);
        var result = await Psig.RunAsync("token", "--oidc-issuer", server.Url, "--oidc-device");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains("expired", result.Error, StringComparison.Ordinal);
        Assert.Equal("", result.Out);
    }

    [Fact]
    public async Task Browser_code_flow_signs_in_through_the_loopback_redirect()
    {
        Uri? callback = null;
        var console = Console(async (url, ct) =>
        {
            callback = await SignInAsync(url);
            using var http = new HttpClient();
            using var response = await http.GetAsync(callback, ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        });
        var (code, output, error) = await RunAsync(console, "token", "--oidc-issuer", fixture.Server.Url, "--oidc-browser");
        Assert.True(code == 0, error);
        // RFC 8252 §7.3: a loopback IP literal, a port of psig's choosing, and the registered path.
        Assert.Equal("127.0.0.1", callback!.Host);
        Assert.Equal("/auth/callback", callback.AbsolutePath);
        Assert.Contains("Opening your browser", error, StringComparison.Ordinal);
        // The printed URL is fully percent-encoded: it can be pasted into a browser as is (no literal space in scope=).
        var printed = error.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("http", StringComparison.Ordinal));
        Assert.DoesNotContain(' ', printed);
        Assert.Contains("scope=openid%20email", printed, StringComparison.Ordinal);
        var token = await ValidateAsync(fixture.Server, output.Trim());
        Assert.Equal("alice@example.com", token.GetPayloadValue<string>("email"));
        Assert.Equal("alice", token.Subject);
    }

    [Fact]
    public async Task Browser_code_flow_is_the_interactive_default_and_sends_pkce_and_state()
    {
        Dictionary<string, string>? request = null;
        var console = Console(async (url, ct) =>
        {
            request = Query(url);
            using var http = new HttpClient();
            using var response = await http.GetAsync(await SignInAsync(url), ct);
        }, interactive: true);
        var (code, _, error) = await RunAsync(console, "token", "--oidc-issuer", fixture.Server.Url);
        Assert.True(code == 0, error);
        Assert.Equal("S256", request!["code_challenge_method"]);
        Assert.Equal(43, request["code_challenge"].Length);
        Assert.True(request["state"].Length >= 16);
        Assert.Equal(TokenFlagsClientId, request["client_id"]);
    }

    [Fact]
    public async Task Browser_redirect_with_another_state_is_refused()
    {
        // The "browser" runs beside psig, which may finish before the browser has read the listener's answer: wait for it.
        var status = new TaskCompletionSource<HttpStatusCode>(TaskCreationOptions.RunContinuationsAsynchronously);
        var console = Console(async (url, ct) =>
        {
            try
            {
                var callback = await SignInAsync(url);
                var forged = new UriBuilder(callback) { Query = Regex.Replace(callback.Query.TrimStart('?'), "state=[^&]*", "state=forged") }.Uri;
                using var http = new HttpClient();
                using var response = await http.GetAsync(forged, ct);
                status.TrySetResult(response.StatusCode);
            }
            catch (Exception e)
            {
                status.TrySetException(e);
            }
        });
        var (code, output, error) = await RunAsync(console, "token", "--oidc-issuer", fixture.Server.Url, "--oidc-browser");
        Assert.Equal(1, code);
        Assert.Contains("state does not match", error, StringComparison.Ordinal);
        Assert.Equal("", output);
        Assert.Equal(HttpStatusCode.BadRequest, await status.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("--oidc-device", "--oidc-browser")]
    [InlineData("--oidc-device")]
    [InlineData("--identity-token", "x.y.z", "--oidc-device", "--oidc-issuer", "http://127.0.0.1:1")]
    [InlineData("--oidc-issuer", "http://127.0.0.1:1")]
    [InlineData("--oidc-issuer", "ftp://127.0.0.1:1", "--oidc-device")]
    public async Task Conflicting_or_missing_token_flags_are_usage_errors(params string[] flags)
    {
        // Piped (not a terminal): an issuer alone never starts a browser sign-in.
        var result = await Psig.RunAsync(["token", .. flags]);
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("psig: ", result.Error, StringComparison.Ordinal);
        Assert.Equal("", result.Out);
    }

    [Fact]
    public async Task Device_flow_token_signs_keylessly_against_the_stack_and_verifies_as_the_persons_email()
    {
        var dir = Directory.CreateTempSubdirectory("psig-oidc-stack-").FullName;
        await using var stack = await StackHost.StartAsync(new StackOptions
        {
            DataDirectory = Path.Combine(dir, "data"),
            RekorPort = 0,
            FulcioPort = 0,
            CtLogPort = 0,
            IdentityPort = 0, TsaPort = 0, RekorV2Port = 0, TufPort = 0, WitnessPort = 0, MonitorPort = 0, ExplorerPort = 0,
            LogLevel = "Warning",
            UseSoftHsm = false, // SoftHSM2 is configured once per process; the Stack tests cover it
        }, Ct);
        await using (var scope = stack.IdentityServices.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<IdentityAdmin>().AddUserAsync("carol", IdentityFixture.AlicePassword, "carol@example.com", emailVerified: true, Ct);
        }
        var artifact = Path.Combine(dir, "release.tar");
        await File.WriteAllTextAsync(artifact, "signed by a person through the device flow\n", Ct);

        await using (var psig = RunningPsig.Start("sign-blob", artifact, "--oidc-issuer", stack.Issuer, "--oidc-device", "--signing-config", stack.SigningConfigPath))
        {
            var userCode = await psig.UserCodeAsync();
            using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer(), UseCookies = true }) { BaseAddress = new Uri(stack.IdentityUrl) };
            await ApproveAsync(browser, userCode, "approve", "carol");
            var sign = await psig.Completion;
            Assert.True(sign.ExitCode == 0, sign.Error);
        }

        var verify = await Psig.RunAsync("verify-blob", artifact, "--certificate-identity", "carol@example.com",
            "--certificate-oidc-issuer", stack.Issuer, "--trusted-root", stack.TrustedRootPath);
        Assert.True(verify.ExitCode == 0, verify.Error);
        var wrong = await Psig.RunAsync("verify-blob", artifact, "--certificate-identity", "alice@example.com",
            "--certificate-oidc-issuer", stack.Issuer, "--trusted-root", stack.TrustedRootPath);
        Assert.Equal(1, wrong.ExitCode);
    }

    private const string TokenFlagsClientId = "sigstore";

    /// <summary>A browser signs in as <paramref name="username"/> and enters <paramref name="userCode"/>, pressing Continue or Deny.</summary>
    private static async Task ApproveAsync(HttpClient browser, string userCode, string action, string username = "alice")
    {
        using (browser)
        {
            using (var login = await LoginAsync(browser, username, IdentityFixture.AlicePassword))
            {
                Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
            }
            var (name, value) = Antiforgery(await browser.GetStringAsync("/connect/verify?user_code=" + Uri.EscapeDataString(userCode), Ct));
            using var verify = await browser.PostAsync("/connect/verify", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                [name] = value, ["user_code"] = userCode, ["action"] = action,
            }), Ct);
            Assert.Equal(HttpStatusCode.Redirect, verify.StatusCode);
        }
    }

    /// <summary>What a browser does with psig's authorization URL: signs alice in and follows redirects until one leaves the provider.</summary>
    private async Task<Uri> SignInAsync(Uri authorizationUrl)
    {
        using var browser = fixture.Server.NewBrowser();
        using (var login = await LoginAsync(browser, "alice", IdentityFixture.AlicePassword))
        {
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
        }
        return await FollowToClientAsync(browser, authorizationUrl.PathAndQuery);
    }

    private static CliConsole Console(Func<Uri, CancellationToken, Task> browser, bool interactive = false) =>
        new(new StringWriter(), new StringWriter(), interactive) { OpenBrowser = browser };

    private static async Task<(int Code, string Out, string Error)> RunAsync(CliConsole console, params string[] args)
    {
        var code = await PsigApp.RunAsync(args, console, Ct);
        return (code, console.Out.ToString()!, console.Error.ToString()!);
    }

    /// <summary>psig running in the background while the test plays the person; its stderr can be read as it is written.</summary>
    private sealed partial class RunningPsig : IAsyncDisposable
    {
        private readonly LockedWriter _error = new();
        private readonly StringWriter _out = new();
        private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        private RunningPsig(string[] args) =>
            Completion = Task.Run(async () =>
            {
                var code = await PsigApp.RunAsync(args, new CliConsole(_out, _error, false), _stop.Token);
                return new Psig.Result(code, _out.ToString(), _error.Text);
            });

        public Task<Psig.Result> Completion { get; }

        public string Error => _error.Text;

        public static RunningPsig Start(params string[] args) => new(args);

        /// <summary>Waits for the "enter the code X" line and returns X.</summary>
        public async Task<string> UserCodeAsync()
        {
            while (true)
            {
                if (UserCodeLine().Match(_error.Text) is { Success: true } m)
                {
                    return m.Groups[1].Value;
                }
                if (Completion.IsCompleted)
                {
                    Assert.Fail("psig ended before printing a user code: " + (await Completion).Error);
                }
                await Task.Delay(20, Ct);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            try
            {
                await Completion;
            }
            catch (OperationCanceledException)
            {
                // Stopped by the test.
            }
            _stop.Dispose();
            _out.Dispose();
            _error.Dispose();
        }

        [GeneratedRegex("enter the code (\\S+)")]
        private static partial Regex UserCodeLine();
    }

    /// <summary>A writer that may be read while another thread writes to it.</summary>
    private sealed class LockedWriter : TextWriter
    {
        private readonly StringBuilder _text = new();

        public override Encoding Encoding => Encoding.UTF8;

        public string Text
        {
            get
            {
                lock (_text)
                {
                    return _text.ToString();
                }
            }
        }

        public override void Write(char value)
        {
            lock (_text)
            {
                _text.Append(value);
            }
        }

        public override void Write(string? value)
        {
            lock (_text)
            {
                _text.Append(value);
            }
        }

        public override void Write(char[] buffer, int index, int count)
        {
            lock (_text)
            {
                _text.Append(buffer, index, count);
            }
        }
    }
}
