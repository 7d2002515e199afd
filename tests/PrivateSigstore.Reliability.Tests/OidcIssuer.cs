using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PrivateSigstore.Reliability.Tests;

/// <summary>An OIDC issuer for the CA's writers: discovery and JWKS on Kestrel (127.0.0.1, port 0), ES256 ID tokens.</summary>
internal sealed class OidcIssuer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private OidcIssuer(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";

    public static async Task<OidcIssuer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var self = new OidcIssuer(app);
        app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = self.BaseUrl,
            ["jwks_uri"] = self.BaseUrl + "/keys",
            ["id_token_signing_alg_values_supported"] = new[] { "ES256" },
            ["response_types_supported"] = new[] { "id_token" },
            ["subject_types_supported"] = new[] { "public" },
        }));
        app.MapGet("/keys", () =>
        {
            var q = self._key.ExportParameters(false).Q;
            return Results.Json(new { keys = new[] { new { kty = "EC", crv = "P-256", kid = "k1", use = "sig", alg = "ES256", x = B64(q.X!), y = B64(q.Y!) } } });
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        self.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return self;
    }

    /// <summary>A verified-email ID token for <paramref name="email"/>, audience "sigstore", valid 10 minutes.</summary>
    public string Mint(string subject, string email)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = B64(JsonSerializer.SerializeToUtf8Bytes(new { alg = "ES256", kid = "k1", typ = "JWT" }));
        var payload = B64(JsonSerializer.SerializeToUtf8Bytes(new JsonObject
        {
            ["iss"] = BaseUrl, ["aud"] = "sigstore", ["sub"] = subject, ["email"] = email, ["email_verified"] = true,
            ["iat"] = now, ["nbf"] = now - 5, ["exp"] = now + 600,
        }));
        var signature = _key.SignData(Encoding.ASCII.GetBytes(header + "." + payload), HashAlgorithmName.SHA256);
        return header + "." + payload + "." + B64(signature);
    }

    private static string B64(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _key.Dispose();
    }
}
