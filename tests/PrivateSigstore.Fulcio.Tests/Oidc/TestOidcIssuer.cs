using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace PrivateSigstore.Fulcio.Tests.Oidc;

/// <summary>An OIDC issuer on real Kestrel (127.0.0.1, random port): discovery, JWKS, RS256/ES256 minting, key rotation.</summary>
internal sealed class TestOidcIssuer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly List<(SecurityKey Signing, string Jwk)> _published = [];

    private TestOidcIssuer(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }
    public int JwksRequests;

    public static async Task<TestOidcIssuer> StartAsync(X509Certificate2? tlsCertificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (tlsCertificate is null)
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
        }
        else
        {
            builder.WebHost.UseKestrelHttpsConfiguration();
            builder.WebHost.UseUrls("https://127.0.0.1:0");
            builder.WebHost.ConfigureKestrel(k => k.ConfigureHttpsDefaults(h => h.ServerCertificate = tlsCertificate));
        }
        var app = builder.Build();
        TestOidcIssuer? self = null;
        app.MapGet("/.well-known/openid-configuration", () => Discovery(self!.BaseUrl, self.BaseUrl + "/keys"));
        app.MapGet("/tenants/{tenant}/.well-known/openid-configuration", (string tenant) =>
            Discovery($"{self!.BaseUrl}/tenants/{tenant}", self.BaseUrl + "/keys"));
        app.MapGet("/keys", () =>
        {
            Interlocked.Increment(ref self!.JwksRequests);
            lock (self._gate)
            {
                return Results.Text("{\"keys\":[" + string.Join(",", self._published.Select(p => p.Jwk)) + "]}", "application/json");
            }
        });
        await app.StartAsync(TestContext.Current.CancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new TestOidcIssuer(app, address.TrimEnd('/'));
        return self;
    }

    private static IResult Discovery(string issuer, string jwksUri) => Results.Json(new Dictionary<string, object>
    {
        ["issuer"] = issuer,
        ["jwks_uri"] = jwksUri,
        ["id_token_signing_alg_values_supported"] = new[] { "RS256", "ES256" },
        ["response_types_supported"] = new[] { "id_token" },
        ["subject_types_supported"] = new[] { "public" },
    });

    /// <summary>A private CA (PEM) and a leaf for 127.0.0.1 signed by it.</summary>
    public static (string CaPem, X509Certificate2 Leaf) NewTlsChain()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caReq = new CertificateRequest("CN=Test IdP CA", caKey, HashAlgorithmName.SHA256);
        caReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var now = DateTimeOffset.UtcNow;
        using var ca = caReq.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafReq = new CertificateRequest("CN=127.0.0.1", leafKey, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        leafReq.CertificateExtensions.Add(san.Build());
        leafReq.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var leafPublic = leafReq.Create(ca, now.AddHours(-1), now.AddHours(1), [1, 2, 3, 4]);
        using var withKey = leafPublic.CopyWithPrivateKey(leafKey);
        // Re-import so SslStream can use the key on every platform.
        var leaf = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        return (ca.ExportCertificatePem(), leaf);
    }

    public static RsaSecurityKey NewRsaKey(string kid) => new(RSA.Create(2048)) { KeyId = kid };
    public static ECDsaSecurityKey NewEcKey(string kid) => new(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = kid };

    public static string ToJwk(SecurityKey key) => key switch
    {
        RsaSecurityKey r => JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["kty"] = "RSA", ["kid"] = r.KeyId, ["use"] = "sig", ["alg"] = "RS256",
            ["n"] = Base64UrlEncoder.Encode(r.Rsa.ExportParameters(false).Modulus!),
            ["e"] = Base64UrlEncoder.Encode(r.Rsa.ExportParameters(false).Exponent!),
        }),
        ECDsaSecurityKey e => JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["kty"] = "EC", ["kid"] = e.KeyId, ["use"] = "sig", ["alg"] = "ES256", ["crv"] = "P-256",
            ["x"] = Base64UrlEncoder.Encode(e.ECDsa.ExportParameters(false).Q.X!),
            ["y"] = Base64UrlEncoder.Encode(e.ECDsa.ExportParameters(false).Q.Y!),
        }),
        _ => throw new ArgumentException("unsupported key", nameof(key)),
    };

    public void Publish(params SecurityKey[] keys)
    {
        lock (_gate)
        {
            _published.AddRange(keys.Select(k => (k, ToJwk(k))));
        }
    }

    public void ReplaceKeys(params SecurityKey[] keys)
    {
        lock (_gate)
        {
            _published.Clear();
        }
        Publish(keys);
    }

    public static string Mint(SecurityKey key, IDictionary<string, object> claims)
    {
        var alg = key is RsaSecurityKey ? SecurityAlgorithms.RsaSha256 : SecurityAlgorithms.EcdsaSha256;
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        return handler.CreateToken(new SecurityTokenDescriptor { Claims = claims, SigningCredentials = new SigningCredentials(key, alg) });
    }

    public static string Unsigned(IDictionary<string, object> claims) =>
        B64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." + B64(JsonSerializer.Serialize(claims)) + ".";

    private static string B64(string s) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(s));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
