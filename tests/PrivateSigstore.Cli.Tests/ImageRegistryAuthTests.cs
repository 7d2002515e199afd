using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PrivateSigstore.Cli.Tests;

/// <summary>
/// Registry authentication with credentials from a docker config.json: docker-registry with htpasswd (HTTP Basic), and
/// with token auth (the distribution token flow: 401 + <c>WWW-Authenticate: Bearer realm,service,scope</c>, a JWT from
/// an in-test token server that docker-registry checks against its root certificate bundle).
/// </summary>
public sealed class ImageRegistryAuthTests(RekorFixture rekor) : IClassFixture<RekorFixture>
{
    private const string User = "ci";
    private const string Password = "test-password";

    /// <summary>bcrypt of "test-password" (cost 4), made once with Python's crypt module (glibc libxcrypt) for this test.</summary>
    private const string HtpasswdLine = "ci:$2b$04$QentwUrK5tKZM1m2GmCc3e8zcx90XCfaJj8v1bc/wwDUNqaRtJDDy";

    private static AuthenticationHeaderValue Basic => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(User + ":" + Password)));

    private string DockerConfig(string host, string password = Password) => rekor.NewFile("config.json", new JsonObject
    {
        ["auths"] = new JsonObject { [host] = new JsonObject { ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(User + ":" + password)) } },
    }.ToJsonString());

    [Fact]
    public async Task Basic_auth_with_credentials_from_a_docker_config()
    {
        var htpasswd = rekor.NewFile("htpasswd", HtpasswdLine + "\n");
        await using var registry = await DistributionRegistry.StartAsync($"htpasswd:\n  realm: test-realm\n  path: {htpasswd}");
        var (digest, _) = await registry.PushRandomImageAsync("private/app", "v1", auth: Basic);
        var image = $"{registry.Host}/private/app:v1";

        var anonymous = await Psig.RunAsync("sign-image", image, "--allow-insecure-registry", "--registry-config", rekor.NewFile("empty.json", "{}"), "--key", rekor.KeyPath, "--rekor-url", rekor.Url);
        Assert.Equal(1, anonymous.ExitCode);
        Assert.True(anonymous.Error.StartsWith($"psig: registry {registry.Host} requires authentication for private/app (401 Unauthorized) and psig found no credentials", StringComparison.Ordinal), anonymous.Error);

        var wrong = await Psig.RunAsync("verify-image", image, "--allow-insecure-registry", "--registry-config", DockerConfig(registry.Host, "wrong"), "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath);
        Assert.Equal(1, wrong.ExitCode);
        Assert.True(wrong.Error.Contains($"registry {registry.Host} refused the credentials for ci from", StringComparison.Ordinal), wrong.Error);
        Assert.DoesNotContain("wrong", wrong.Error.Replace("psig: registry", "", StringComparison.Ordinal), StringComparison.Ordinal);

        var config = DockerConfig(registry.Host);
        var sign = await Psig.RunAsync("sign-image", image, "--allow-insecure-registry", "--registry-config", config, "--key", rekor.KeyPath, "--rekor-url", rekor.Url);
        Assert.True(sign.ExitCode == 0, sign.Error);
        var verify = await Psig.RunAsync("verify-image", $"{registry.Host}/private/app@{digest}", "--allow-insecure-registry", "--registry-config", config, "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath);
        Assert.True(verify.ExitCode == 0, verify.Error);

        // The gate reads the registry with the same flags: allowed with the credentials, refused (saying why) without.
        var policy = rekor.NewFile("auth-policy.yaml", $"""
            trustedRoot: {rekor.TrustedRootPath}
            policies:
              - name: private
                match: ["{registry.Host}/private/*"]
                authorities:
                  - key:
                      path: {rekor.PublicKeyPath}
            """);
        var gate = await Psig.RunAsync("gate", "check", image, "--policy", policy, "--allow-insecure-registry", "--registry-config", config);
        Assert.True(gate.ExitCode == 0, gate.Error);
        var gateAnonymous = await Psig.RunAsync("gate", "check", image, "--policy", policy, "--allow-insecure-registry", "--registry-config", rekor.NewFile("empty.json", "{}"));
        Assert.Equal(1, gateAnonymous.ExitCode);
        Assert.Contains("refused: cannot read", gateAnonymous.Error, StringComparison.Ordinal);
        Assert.Contains("requires authentication", gateAnonymous.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bearer_token_flow_with_credentials_from_a_docker_config()
    {
        await using var tokens = await TokenServer.StartAsync(rekor.Directory);
        await using var registry = await DistributionRegistry.StartAsync(
            $"token:\n  realm: {tokens.Url}/token\n  service: psig-test-registry\n  issuer: psig-test-issuer\n  rootcertbundle: {tokens.RootBundlePath}");
        var push = new AuthenticationHeaderValue("Bearer", tokens.Mint("push/app", "pull", "push"));
        var (digest, _) = await registry.PushRandomImageAsync("push/app", "v1", auth: push);
        var image = $"{registry.Host}/push/app:v1";

        var anonymous = await Psig.RunAsync("verify-image", image, "--allow-insecure-registry", "--registry-config", rekor.NewFile("empty.json", "{}"), "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath);
        Assert.Equal(1, anonymous.ExitCode);
        Assert.True(anonymous.Error.StartsWith($"psig: registry {registry.Host} requires authentication for push/app (401 Unauthorized)", StringComparison.Ordinal), anonymous.Error);

        var wrong = await Psig.RunAsync("verify-image", image, "--allow-insecure-registry", "--registry-config", DockerConfig(registry.Host, "wrong"), "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath);
        Assert.Equal(1, wrong.ExitCode);
        Assert.True(wrong.Error.StartsWith($"psig: the token service of {registry.Host} (127.0.0.1) refused the credentials for ci", StringComparison.Ordinal), wrong.Error);

        var config = DockerConfig(registry.Host);
        var sign = await Psig.RunAsync("sign-image", image, "--allow-insecure-registry", "--registry-config", config, "--key", rekor.KeyPath, "--rekor-url", rekor.Url);
        Assert.True(sign.ExitCode == 0, sign.Error);
        var verify = await Psig.RunAsync("verify-image", $"{registry.Host}/push/app@{digest}", "--allow-insecure-registry", "--registry-config", config, "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath);
        Assert.True(verify.ExitCode == 0, verify.Error);
        Assert.Contains(tokens.Scopes, s => s == "repository:push/app:pull,push");

        // Credentials that may pull but not push: 403 said plainly.
        tokens.ReadOnly = true;
        var denied = await Psig.RunAsync("sign-image", image, "--allow-insecure-registry", "--registry-config", config, "--key", rekor.KeyPath, "--rekor-url", rekor.Url);
        Assert.Equal(1, denied.ExitCode);
        Assert.True(denied.Error.Contains("push/app", StringComparison.Ordinal) && (denied.Error.Contains("(401", StringComparison.Ordinal) || denied.Error.Contains("(403", StringComparison.Ordinal)), denied.Error);
    }

    /// <summary>
    /// A distribution token server (distribution docs/spec/auth/token.md): GET /token?service&amp;scope with HTTP Basic;
    /// answers {"token"} with an ES256 JWT carrying its self-signed certificate in <c>x5c</c> and the granted access.
    /// </summary>
    private sealed class TokenServer : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ECDsa _key;
        private readonly X509Certificate2 _certificate;

        private TokenServer(WebApplication app, ECDsa key, X509Certificate2 certificate, string rootBundlePath) =>
            (_app, _key, _certificate, RootBundlePath) = (app, key, certificate, rootBundlePath);

        public string Url { get; private set; } = "";

        public string RootBundlePath { get; }

        public List<string> Scopes { get; } = [];

        /// <summary>Grant only pull from now on.</summary>
        public bool ReadOnly { get; set; }

        public static async Task<TokenServer> StartAsync(string directory)
        {
            var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=psig test token issuer", key, HashAlgorithmName.SHA256);
            var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            var bundle = Path.Combine(directory, "token-root-" + Guid.NewGuid().ToString("N")[..8] + ".pem");
            await File.WriteAllTextAsync(bundle, certificate.ExportCertificatePem() + "\n");
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var server = new TokenServer(app, key, certificate, bundle);
            app.MapGet("/token", (HttpRequest http) =>
            {
                if (http.Headers.Authorization.ToString() != "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(User + ":" + Password)))
                {
                    return Results.Json(new { errors = new[] { new { code = "UNAUTHORIZED", message = "bad credentials" } } }, statusCode: 401);
                }
                var scope = http.Query["scope"].ToString();
                lock (server.Scopes)
                {
                    server.Scopes.Add(scope);
                }
                var parts = scope.Split(':');
                var actions = parts.Length == 3 ? parts[2].Split(',') : [];
                if (server.ReadOnly)
                {
                    actions = [.. actions.Where(a => a == "pull")];
                }
                return Results.Json(new { token = server.Mint(parts.Length == 3 ? parts[1] : "", actions), expires_in = 300 });
            });
            await app.StartAsync(TestContext.Current.CancellationToken);
            server.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
            return server;
        }

        public string Mint(string repository, params string[] actions)
        {
            static string B64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
            var header = new JsonObject { ["typ"] = "JWT", ["alg"] = "ES256", ["x5c"] = new JsonArray(Convert.ToBase64String(_certificate.RawData)) };
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            var claims = new JsonObject
            {
                ["iss"] = "psig-test-issuer", ["sub"] = User, ["aud"] = "psig-test-registry", ["exp"] = now + 300, ["nbf"] = now - 10, ["iat"] = now,
                ["jti"] = Guid.NewGuid().ToString("N"),
                ["access"] = new JsonArray(new JsonObject { ["type"] = "repository", ["name"] = repository, ["actions"] = new JsonArray([.. actions.Select(a => JsonValue.Create(a))]) }),
            };
            var signingInput = B64Url(Encoding.UTF8.GetBytes(header.ToJsonString())) + "." + B64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
            return signingInput + "." + B64Url(_key.SignData(Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256));
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
            _certificate.Dispose();
            _key.Dispose();
        }
    }
}

/// <summary>A registry behind TLS with a private CA: refused without <c>--registry-cacert</c>, used with it.</summary>
public sealed class ImageRegistryTlsTests(RekorFixture rekor) : IClassFixture<RekorFixture>
{
    [Fact]
    public async Task A_private_ca_bundle_makes_the_registry_trusted()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=psig test registry CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        serverRequest.CertificateExtensions.Add(san.Build());
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var server = serverRequest.Create(ca, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddDays(1), [1, 2, 3, 4]);
        var certificate = rekor.NewFile("registry.crt", server.ExportCertificatePem() + "\n");
        var key = rekor.NewFile("registry.key", serverKey.ExportPkcs8PrivateKeyPem() + "\n");
        var caBundle = rekor.NewFile("registry-ca.pem", ca.ExportCertificatePem() + "\n");

        await using var registry = await DistributionRegistry.StartAsync(tls: (certificate, key, ca));
        var (digest, _) = await registry.PushRandomImageAsync("tls/app", "v1");

        var untrusted = await Psig.RunAsync("sign-image", $"{registry.Host}/tls/app:v1", "--registry-retries", "0", "--key", rekor.KeyPath, "--rekor-url", rekor.Url);
        Assert.Equal(1, untrusted.ExitCode);
        Assert.True(untrusted.Error.StartsWith($"psig: cannot reach registry {registry.Host}", StringComparison.Ordinal) && untrusted.Error.Contains("--registry-cacert", StringComparison.Ordinal), untrusted.Error);

        var sign = await Psig.RunAsync("sign-image", $"{registry.Host}/tls/app:v1", "--registry-cacert", caBundle, "--key", rekor.KeyPath, "--rekor-url", rekor.Url);
        Assert.True(sign.ExitCode == 0, sign.Error);
        var verify = await Psig.RunAsync("verify-image", $"{registry.Host}/tls/app@{digest}", "--registry-cacert", caBundle, "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath);
        Assert.True(verify.ExitCode == 0, verify.Error);
    }
}
