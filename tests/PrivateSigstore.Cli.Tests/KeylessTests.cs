using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PrivateSigstore.Core.Ct;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Fulcio;
using PrivateSigstore.Fulcio.Issuance;
using PrivateSigstore.Fulcio.Tests.Api;
using PrivateSigstore.Fulcio.Tests.Oidc;

namespace PrivateSigstore.Cli.Tests;

/// <summary>
/// Keyless end to end over loopback: an OIDC issuer mints a token, our Fulcio (development CA, SCTs from an
/// in-process RFC 6962 signer) issues a certificate to psig's ephemeral key, our Rekor logs the entry, and psig
/// verifies the bundle by certificate identity against a trusted root made from the CA's trust bundle.
/// </summary>
public sealed class KeylessTests(RekorFixture rekor) : IClassFixture<RekorFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Identity_token_to_certificate_to_log_to_verified_bundle()
    {
        await using var stack = await KeylessStack.StartAsync(rekor);
        var token = stack.EmailToken("dana@example.com");
        var artifact = rekor.NewFile("keyless.txt", "signed without a long-lived key\n");

        var sign = await Psig.RunAsync("sign-blob", artifact, "--identity-token", token, "--fulcio-url", stack.FulcioUrl, "--rekor-url", rekor.Url);
        Assert.True(sign.ExitCode == 0, sign.Error);

        var record = artifact + ".record.json";
        var verify = await Psig.RunAsync("verify-blob", artifact, "--certificate-identity", "dana@example.com",
            "--certificate-oidc-issuer", stack.EmailIssuer, "--trusted-root", stack.TrustedRootPath, "--record", record);
        Assert.True(verify.ExitCode == 0, verify.Error);
        using var json = JsonDocument.Parse(File.ReadAllText(record));
        Assert.Equal("dana@example.com", json.RootElement.GetProperty("certificateIdentity").GetString());
        Assert.Equal(stack.EmailIssuer, json.RootElement.GetProperty("certificateIssuer").GetString());

        var wrong = await Psig.RunAsync("verify-blob", artifact, "--certificate-identity", "eve@example.com",
            "--certificate-oidc-issuer", stack.EmailIssuer, "--trusted-root", stack.TrustedRootPath);
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("identity", wrong.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Conformance_sign_bundle_with_a_signing_config_then_verify_bundle()
    {
        await using var stack = await KeylessStack.StartAsync(rekor);
        var statement = rekor.NewFile("statement.json", """{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a.txt","digest":{"sha256":"a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"}}],"predicateType":"https://example.com/p","predicate":{}}""");
        var signingConfig = rekor.NewFile("signing_config.json", new JsonObject
        {
            ["mediaType"] = "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            ["caUrls"] = new JsonArray(new JsonObject { ["url"] = stack.FulcioUrl, ["majorApiVersion"] = 1, ["validFor"] = new JsonObject { ["start"] = "2020-01-01T00:00:00Z" } }),
            ["rekorTlogUrls"] = new JsonArray(new JsonObject { ["url"] = rekor.Url, ["majorApiVersion"] = 1, ["validFor"] = new JsonObject { ["start"] = "2020-01-01T00:00:00Z" } }),
            ["rekorTlogConfig"] = new JsonObject { ["selector"] = "ANY" },
        }.ToJsonString());
        var bundle = statement + ".sigstore.json";

        var sign = await Psig.RunAsync("sign-bundle", "--in-toto", "--identity-token", stack.EmailToken("erin@example.com"), "--bundle", bundle,
            "--trusted-root", stack.TrustedRootPath, "--signing-config", signingConfig, statement);
        Assert.True(sign.ExitCode == 0, sign.Error);

        var verify = await Psig.RunAsync("verify-bundle", "--bundle", bundle, "--certificate-identity", "erin@example.com",
            "--certificate-oidc-issuer", stack.EmailIssuer, "--trusted-root", stack.TrustedRootPath,
            "sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf");
        Assert.True(verify.ExitCode == 0, verify.Error);
    }

    [Fact]
    public async Task Client_credentials_token_from_a_token_endpoint_signs_keyless()
    {
        await using var stack = await KeylessStack.StartAsync(rekor);
        await using var provider = await ClientCredentialsProvider.StartAsync(stack, "build-bot", "s3cret", "frank@example.com");
        var artifact = rekor.NewFile("cc.txt", "client credentials\n");

        var sign = await Psig.RunAsync("sign-blob", artifact, "--oidc-issuer", provider.Url, "--oidc-client-id", "build-bot",
            "--oidc-client-secret", "s3cret", "--fulcio-url", stack.FulcioUrl, "--rekor-url", rekor.Url);
        Assert.True(sign.ExitCode == 0, sign.Error);
        var refused = await Psig.RunAsync("sign-blob", artifact, "--oidc-issuer", provider.Url, "--oidc-client-id", "build-bot",
            "--oidc-client-secret", "wrong", "--fulcio-url", stack.FulcioUrl, "--rekor-url", rekor.Url);

        var verify = await Psig.RunAsync("verify-blob", artifact, "--certificate-identity", "frank@example.com",
            "--certificate-oidc-issuer", stack.EmailIssuer, "--trusted-root", stack.TrustedRootPath);
        Assert.True(verify.ExitCode == 0, verify.Error);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("invalid_client", refused.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", refused.Error, StringComparison.Ordinal);
    }

    /// <summary>An RFC 6962 log's signing half: SCTs over precertificates with a P-256 key.</summary>
    private sealed class SctSigner : ICertificateTransparencyLog, IDisposable
    {
        public ECDsa Key { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        public Task<SignedCertificateTimestamp> AddPreChainAsync(IReadOnlyList<byte[]> chain, CancellationToken cancellationToken)
        {
            var tbs = Precertificate.RemoveExtension(Precertificate.ExtractTbs(chain[0]), SigstoreOids.CtPoison);
            using var issuer = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(chain[1]);
            var issuerKeyHash = SHA256.HashData(issuer.PublicKey.ExportSubjectPublicKeyInfo());
            var timestamp = (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var signed = SctSignedData.ForPrecert(timestamp, issuerKeyHash, tbs, []);
            var signature = Key.SignData(signed, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
            return Task.FromResult(new SignedCertificateTimestamp(SignedCertificateTimestamp.V1, SctVerification.LogId(Key.ExportSubjectPublicKeyInfo()),
                timestamp, [], SignedCertificateTimestamp.HashSha256, SignedCertificateTimestamp.SignatureEcdsa, signature));
        }

        public Task<SignedCertificateTimestamp> AddChainAsync(IReadOnlyList<byte[]> chain, CancellationToken cancellationToken) =>
            throw new NotSupportedException("only precertificates are logged in this test");

        public void Dispose() => Key.Dispose();
    }

    /// <summary>IdP + Fulcio (with SCTs) + the trusted root listing the CA, the CT key and the Rekor log.</summary>
    internal sealed class KeylessStack : IAsyncDisposable
    {
        private readonly TestOidcIssuer _idp;
        private readonly WebApplication _fulcio;
        private readonly SctSigner _ct;
        private readonly RSA _tokenKey;

        private KeylessStack(TestOidcIssuer idp, WebApplication fulcio, SctSigner ct, RSA tokenKey, string fulcioUrl, string trustedRootPath)
        {
            (_idp, _fulcio, _ct, _tokenKey, FulcioUrl, TrustedRootPath) = (idp, fulcio, ct, tokenKey, fulcioUrl, trustedRootPath);
        }

        public string FulcioUrl { get; }

        public string TrustedRootPath { get; }

        public string EmailIssuer => _idp.BaseUrl + "/tenants/email";

        public static async Task<KeylessStack> StartAsync(RekorFixture rekor)
        {
            var idp = await TestOidcIssuer.StartAsync();
            var rsa = RSA.Create(2048);
            idp.Publish(new Microsoft.IdentityModel.Tokens.RsaSecurityKey(rsa) { KeyId = "k1" });
            var dir = Directory.CreateDirectory(Path.Combine(rekor.Directory, "keyless-" + Guid.NewGuid().ToString("N")[..8])).FullName;
            var configPath = Path.Combine(dir, "config.json");
            await File.WriteAllTextAsync(configPath, FulcioTestServer.Config(idp.BaseUrl), Ct);
            var ct = new SctSigner();
            var fulcio = await FulcioApp.BuildAsync(
                ["--urls", "http://127.0.0.1:0", "--Fulcio:DataDirectory", dir, "--Fulcio:ConfigPath", configPath, "--Fulcio:AllowHttpIssuers", "true"],
                b => b.Logging.ClearProviders(), ct, Ct);
            await fulcio.StartAsync(Ct);
            var url = fulcio.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
            // The trusted root comes from the running services through psig itself (plus the CT key, which is configuration).
            var ctKeyPath = Path.Combine(dir, "ctlog.pub");
            await File.WriteAllTextAsync(ctKeyPath, Core.Pem.GoPem.EncodePublicKey(ct.Key.ExportSubjectPublicKeyInfo()), Ct);
            var rootPath = Path.Combine(dir, "trusted_root.json");
            var signingPath = Path.Combine(dir, "signing_config.v0.2.json");
            var made = await Psig.RunAsync("trusted-root", "--rekor-url", rekor.Url, "--fulcio-url", url, "--ctlog-public-key", ctKeyPath, "--out", rootPath,
                "--signing-config-out", signingPath, "--oidc-url", idp.BaseUrl);
            Assert.True(made.ExitCode == 0, made.Error);
            var signing = Core.Trust.SigningConfigJson.Parse(File.ReadAllText(signingPath));
            Assert.Equal(url, Assert.Single(signing.CaUrls).Url);
            Assert.Equal(rekor.Url.TrimEnd('/'), Assert.Single(signing.RekorTlogUrls).Url);
            Assert.Equal(idp.BaseUrl, Assert.Single(signing.OidcUrls).Url.TrimEnd('/'));
            return new KeylessStack(idp, fulcio, ct, rsa, url, rootPath);
        }

        public string EmailToken(string email)
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            return TestOidcIssuer.Mint(new Microsoft.IdentityModel.Tokens.RsaSecurityKey(_tokenKey) { KeyId = "k1" }, new Dictionary<string, object>
            {
                ["iss"] = EmailIssuer, ["aud"] = "sigstore", ["sub"] = "user-" + email, ["email"] = email, ["email_verified"] = true,
                ["iat"] = now, ["nbf"] = now, ["exp"] = now + 300,
            });
        }

        public async ValueTask DisposeAsync()
        {
            await _fulcio.StopAsync(CancellationToken.None);
            await _fulcio.DisposeAsync();
            await _idp.DisposeAsync();
            _ct.Dispose();
            _tokenKey.Dispose();
        }
    }

    /// <summary>
    /// A token endpoint speaking the client credentials grant (RFC 6749 §4.4, client_secret_basic) with discovery; it
    /// answers with an ID token the stack's issuer signed. The identity provider proper is another component's work.
    /// </summary>
    private sealed class ClientCredentialsProvider : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private ClientCredentialsProvider(WebApplication app, string url) => (_app, Url) = (app, url);

        public string Url { get; }

        public static async Task<ClientCredentialsProvider> StartAsync(KeylessStack stack, string clientId, string secret, string email)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            string? url = null;
            app.MapGet("/.well-known/openid-configuration", () => Results.Json(new { issuer = url, token_endpoint = url + "/token" }));
            app.MapPost("/token", async (HttpRequest request) =>
            {
                var form = await request.ReadFormAsync();
                var expected = "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(clientId + ":" + secret));
                if (form["grant_type"] != "client_credentials")
                {
                    return Results.Json(new { error = "unsupported_grant_type" }, statusCode: 400);
                }
                if (request.Headers.Authorization != expected)
                {
                    return Results.Json(new { error = "invalid_client" }, statusCode: 401);
                }
                return Results.Json(new { access_token = "opaque", id_token = stack.EmailToken(email), token_type = "Bearer", expires_in = 300 });
            });
            await app.StartAsync(Ct);
            url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
            return new ClientCredentialsProvider(app, url);
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
    }
}
