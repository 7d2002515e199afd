using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using OpenIddict.Server;
using PrivateSigstore.Identity.Tests.TestSupport;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Tests.TestSupport;
using static PrivateSigstore.Identity.Tests.TestSupport.OidcFlows;

namespace PrivateSigstore.Identity.Tests;

/// <summary>Configurations beyond the default: expiring device codes, key rotation, an HSM key, PostgreSQL, bad options.</summary>
public sealed class DeploymentTests(SoftHsmFixture hsm)
{
    [Fact]
    public async Task Expired_device_code_is_expired_token()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var server = await IdentityServer.StartAsync(configure: b =>
        {
            b.Services.AddSingleton<TimeProvider>(clock);
            b.Services.Configure<OpenIddictServerOptions>(o => o.TimeProvider = clock);
        });
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        using var device = await http.PostAsync("/connect/device", new FormUrlEncodedContent(new Dictionary<string, string> { ["client_id"] = PublicClient, ["scope"] = "openid email" }), Ct);
        var body = JsonNode.Parse(await device.Content.ReadAsStringAsync(Ct))!;
        Assert.Equal(600, body["expires_in"]!.GetValue<int>(), tolerance: 1);
        clock.Advance(TimeSpan.FromMinutes(11));
        var (status, error) = await PostTokenAsync(http, new Dictionary<string, string>
        {
            ["grant_type"] = "urn:ietf:params:oauth:grant-type:device_code", ["client_id"] = PublicClient, ["device_code"] = body["device_code"]!.GetValue<string>(),
        });
        Assert.Equal(HttpStatusCode.BadRequest, status);
        // RFC 8628 §3.5.
        Assert.Equal("expired_token", error["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Rotated_key_stays_in_the_jwks_so_its_tokens_still_verify()
    {
        var dir = Directory.CreateTempSubdirectory("psig-identity-rotation-").FullName;
        try
        {
            var oldKey = Path.Combine(dir, "old.pem");
            string oldToken;
            await using (var before = await IdentityServer.StartAsync(["--Identity:Key:KeyPath", oldKey, "--Identity:Key:GenerateIfMissing", "true"], dataDirectory: Path.Combine(dir, "data")))
            {
                var secret = await before.AdminAsync(a => a.AddClientAsync(new WorkloadClientSpec("builder", "http://127.0.0.1/builder"), Ct));
                using var http = new HttpClient { BaseAddress = new Uri(before.Url) };
                oldToken = (await ClientCredentialsAsync(http, "builder", secret)).Body["id_token"]!.GetValue<string>();
            }
            using (var old = PemSigningKey.Load(oldKey, null))
            {
                await File.WriteAllTextAsync(Path.Combine(dir, "old.pub.pem"), PemEncoding.WriteString("PUBLIC KEY", old.SubjectPublicKeyInfo), Ct);
            }

            // The new key signs; the old public key is still published, then dropped after PublishUntil.
            string[] rotated = ["--Identity:Key:KeyPath", Path.Combine(dir, "new.pem"), "--Identity:Key:GenerateIfMissing", "true", "--Identity:RetiredKeys:0:PublicKeyPath", Path.Combine(dir, "old.pub.pem")];
            await using (var after = await IdentityServer.StartAsync([.. rotated, "--Identity:RetiredKeys:0:PublishUntil", DateTimeOffset.UtcNow.AddMinutes(10).ToString("O")], dataDirectory: Path.Combine(dir, "data")))
            {
                var keys = await JwksAsync(after);
                Assert.Equal(2, keys.Count);
                var signature = await new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler().ValidateTokenAsync(oldToken, new Microsoft.IdentityModel.Tokens.TokenValidationParameters
                {
                    ValidateIssuer = false,
                    ValidAudience = "sigstore",
                    IssuerSigningKeys = new Microsoft.IdentityModel.Tokens.JsonWebKeySet(await new HttpClient().GetStringAsync(after.Url + "/.well-known/jwks", Ct)).GetSigningKeys(),
                });
                Assert.True(signature.IsValid, signature.Exception?.ToString());
                var (_, fresh) = await ClientCredentialsAsync(new HttpClient { BaseAddress = new Uri(after.Url) }, "builder2", await after.AdminAsync(a => a.AddClientAsync(new WorkloadClientSpec("builder2", "http://127.0.0.1/builder2"), Ct)));
                var newToken = await ValidateAsync(after, fresh["id_token"]!.GetValue<string>());
                Assert.NotEqual(new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(oldToken).Kid, newToken.Kid);
            }
            await using (var later = await IdentityServer.StartAsync([.. rotated, "--Identity:RetiredKeys:0:PublishUntil", DateTimeOffset.UtcNow.AddMinutes(-1).ToString("O")], dataDirectory: Path.Combine(dir, "data")))
            {
                Assert.Single(await JwksAsync(later));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Tokens_are_signed_by_a_key_inside_the_hsm()
    {
        var options = hsm.Options();
        await using var server = await IdentityServer.StartAsync([
            "--Identity:Key:Provider", "Pkcs11",
            "--Identity:Key:KeyLabel", "identity-" + Guid.NewGuid().ToString("N")[..8],
            "--Identity:Key:GenerateIfMissing", "true",
            "--Identity:Key:Pkcs11:ModulePath", options.ModulePath,
            "--Identity:Key:Pkcs11:TokenLabel", options.TokenLabel!,
            "--Identity:Key:Pkcs11:Pin", options.Pin!,
        ]);
        var secret = await server.AdminAsync(a => a.AddClientAsync(new WorkloadClientSpec("hsm-builder", "http://127.0.0.1/hsm-builder"), Ct));
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        var (status, body) = await ClientCredentialsAsync(http, "hsm-builder", secret);
        Assert.Equal(HttpStatusCode.OK, status);
        var token = await ValidateAsync(server, body["id_token"]!.GetValue<string>());
        Assert.Equal("ES256", token.Alg);
        Assert.Equal("http://127.0.0.1/hsm-builder", token.Subject);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readyz", Ct)).StatusCode);
    }

    [Fact]
    public async Task Rsa_key_signs_rs256_tokens()
    {
        await using var server = await IdentityServer.StartAsync(["--Identity:Key:Provider", "InMemory", "--Identity:Key:Algorithm", "RsaPkcs1v15Sha256"]);
        var secret = await server.AdminAsync(a => a.AddClientAsync(new WorkloadClientSpec("rsa-builder", "http://127.0.0.1/rsa-builder"), Ct));
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        var token = await ValidateAsync(server, (await ClientCredentialsAsync(http, "rsa-builder", secret)).Body["id_token"]!.GetValue<string>());
        Assert.Equal("RS256", token.Alg);
    }

    [Fact]
    public async Task PostgreSQL_store_issues_and_audits_tokens()
    {
        var baseCs = Environment.GetEnvironmentVariable("PRIVATESIGSTORE_TEST_POSTGRES");
        if (string.IsNullOrEmpty(baseCs))
        {
            Assert.False(string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), "PRIVATESIGSTORE_TEST_POSTGRES is not set under CI");
            Assert.Skip("PRIVATESIGSTORE_TEST_POSTGRES is not set (test.sh sets it)");
        }
        var db = "psig_identity_" + Guid.NewGuid().ToString("N")[..12];
        await using (var conn = new NpgsqlConnection(baseCs))
        {
            await conn.OpenAsync(Ct);
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {db}", conn);
            await cmd.ExecuteNonQueryAsync(Ct);
        }
        var cs = new NpgsqlConnectionStringBuilder(baseCs) { Database = db }.ToString();
        await using var server = await IdentityServer.StartAsync(["--Identity:Storage", "Postgres", "--Identity:PostgresConnectionString", cs]);
        await server.AdminAsync(a => a.AddUserAsync("pat", "pat's long password", "pat@example.com", true, Ct));
        var secret = await server.AdminAsync(a => a.AddClientAsync(new WorkloadClientSpec("pg-builder", "http://127.0.0.1/pg-builder"), Ct));
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        await ValidateAsync(server, (await ClientCredentialsAsync(http, "pg-builder", secret)).Body["id_token"]!.GetValue<string>());
        var person = await PersonTokensAsync(server, "pat", "pat's long password");
        Assert.Equal("pat@example.com", (await ValidateAsync(server, person["id_token"]!.GetValue<string>())).GetPayloadValue<string>("email"));
        var audit = await server.AdminAsync(a => a.QueryAuditAsync(null, null, 100, Ct));
        Assert.Equal(["pg-builder", "sigstore"], audit.Select(r => r.ClientId));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readyz", Ct)).StatusCode);
    }

    [Fact]
    public async Task Demo_identities_are_created_once_and_work()
    {
        await using var server = await IdentityServer.StartAsync();
        var demo = await server.AdminAsync(a => a.EnsureDemoIdentitiesAsync("demo", "example.com", "demo-workload", "http://127.0.0.1/workloads/demo", Ct));
        Assert.NotNull(demo);
        Assert.Null(await server.AdminAsync(a => a.EnsureDemoIdentitiesAsync("demo", "example.com", "demo-workload", "http://127.0.0.1/workloads/demo", Ct)));
        var person = await PersonTokensAsync(server, demo.Username, demo.Password);
        Assert.Equal("demo@example.com", (await ValidateAsync(server, person["id_token"]!.GetValue<string>())).GetPayloadValue<string>("email"));
        using var http = new HttpClient { BaseAddress = new Uri(server.Url) };
        var (status, _) = await ClientCredentialsAsync(http, demo.ClientId, demo.ClientSecret);
        Assert.Equal(HttpStatusCode.OK, status);
    }

    [Theory]
    [InlineData("--Identity:Storage", "Mongo", "Identity:Storage")]
    [InlineData("--Identity:Storage", "Postgres", "PostgresConnectionString")]
    [InlineData("--Identity:Issuer", "ftp://id.example.com", "Identity:Issuer")]
    [InlineData("--Identity:TokenLifetime", "02:00:00", "Identity:TokenLifetime")]
    [InlineData("--Identity:Key:Algorithm", "Ed25519", "Identity:Key:Algorithm")]
    public async Task Bad_configuration_fails_at_start(string key, string value, string named)
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => IdentityApp.BuildAsync(["--urls", "http://127.0.0.1:0", key, value], cancellationToken: Ct));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    private static async Task<JsonArray> JwksAsync(IdentityServer server)
    {
        using var http = new HttpClient();
        return JsonNode.Parse(await http.GetStringAsync(server.Url + "/.well-known/jwks", Ct))!["keys"]!.AsArray();
    }
}
