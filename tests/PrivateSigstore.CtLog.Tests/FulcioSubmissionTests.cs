using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Core.Ct;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Fulcio;
using PrivateSigstore.Fulcio.Ca;
using PrivateSigstore.Fulcio.Tests.Oidc;

namespace PrivateSigstore.CtLog.Tests;

/// <summary>The CA's side of CT against this log: embedded SCTs, detached SCTs, and a refused submission issuing nothing.</summary>
public sealed class FulcioSubmissionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Setup(TestOidcIssuer Idp, Microsoft.IdentityModel.Tokens.SecurityKey Key, CtLogHost Log, WebApplication Fulcio, HttpClient Http, byte[] LogKey, X509Certificate2[] Chain) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await Fulcio.StopAsync(Ct);
            await Fulcio.DisposeAsync();
            await Log.DisposeAsync();
            await Idp.DisposeAsync();
        }
    }

    private static async Task<Setup> StartAsync(string mode, bool trustTheCa = true)
    {
        var dir = Directory.CreateTempSubdirectory("psig-ct-fulcio-").FullName;
        var fulcioDir = Path.Combine(dir, "fulcio");
        X509Certificate2[] chain;
        using (var ca = CaLoader.Load(new FulcioOptions { DataDirectory = fulcioDir }, NullLogger.Instance))
        {
            chain = [.. ca.Chain.Select(c => X509CertificateLoader.LoadCertificate(c.RawData))];
        }

        // The log trusts the CA's root, or (refusal case) an unrelated root.
        using var strangerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var stranger = new CertificateRequest("CN=Stranger", strangerKey, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var log = await CtLogHost.StartAsync(Path.Combine(dir, "ct"), GoPem.Encode("CERTIFICATE", (trustTheCa ? chain[^1] : stranger).RawData));
        byte[] logKey = CtLogHost.PublicKey(Path.Combine(dir, "ct"));
        var logKeyPath = Path.Combine(dir, "ct-public.pem");
        File.WriteAllText(logKeyPath, GoPem.EncodePublicKey(logKey));

        var idp = await TestOidcIssuer.StartAsync();
        var key = TestOidcIssuer.NewEcKey("ec-1");
        idp.Publish(key);
        var config = Path.Combine(dir, "issuers.json");
        File.WriteAllText(config, new JsonObject { ["OIDCIssuers"] = new JsonObject { [idp.BaseUrl] = new JsonObject { ["IssuerURL"] = idp.BaseUrl, ["ClientID"] = "sigstore", ["Type"] = "email" } } }.ToJsonString());
        var fulcio = await FulcioApp.BuildAsync([
            "--urls", "http://127.0.0.1:0", "--Fulcio:DataDirectory", fulcioDir, "--Fulcio:ConfigPath", config, "--Fulcio:AllowHttpIssuers", "true",
            "--Fulcio:CtLog:Url", log.BaseUri.ToString(), "--Fulcio:CtLog:PublicKeyPath", logKeyPath, "--Fulcio:CtLog:Mode", mode,
            "--Logging:LogLevel:Default", "Warning", "--Logging:LogLevel:PrivateSigstore", "Error",
        ]);
        await fulcio.StartAsync(Ct);
        var url = fulcio.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Setup(idp, key, log, fulcio, new HttpClient { BaseAddress = new Uri(url) }, logKey, chain);
    }

    private static string Token(Setup s)
    {
        var now = DateTimeOffset.UtcNow;
        return TestOidcIssuer.Mint(s.Key, new Dictionary<string, object>
        {
            ["iss"] = s.Idp.BaseUrl, ["aud"] = "sigstore", ["sub"] = "user-1", ["email"] = "erin@example.com", ["email_verified"] = true,
            ["iat"] = now.ToUnixTimeSeconds(), ["nbf"] = now.ToUnixTimeSeconds(), ["exp"] = now.AddMinutes(5).ToUnixTimeSeconds(),
        });
    }

    private static async Task<(HttpStatusCode Status, JsonNode Body)> RequestAsync(Setup s)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var body = new JsonObject
        {
            ["credentials"] = new JsonObject { ["oidcIdentityToken"] = Token(s) },
            ["publicKeyRequest"] = new JsonObject
            {
                ["publicKey"] = new JsonObject { ["content"] = key.ExportSubjectPublicKeyInfoPem() },
                ["proofOfPossession"] = Convert.ToBase64String(key.SignData("user-1"u8.ToArray(), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)),
            },
        };
        using var response = await s.Http.PostAsync("/api/v2/signingCert", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), Ct);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!);
    }

    [Fact]
    public async Task Embedded_sct_verifies_and_the_precertificate_is_in_the_log()
    {
        await using var s = await StartAsync("Embedded");
        var (status, body) = await RequestAsync(s);
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        using var leaf = X509Certificate2.CreateFromPem(body["signedCertificateEmbeddedSct"]!["chain"]!["certificates"]![0]!.GetValue<string>());
        var sct = Assert.Single(SctList.FromExtension(leaf.Extensions[SigstoreOids.SctList]!));
        using var logKey = ECDsa.Create();
        logKey.ImportSubjectPublicKeyInfo(s.LogKey, out _);
        Assert.True(SctVerification.VerifyEmbedded(leaf.RawData, s.Chain[0].PublicKey.ExportSubjectPublicKeyInfo(), sct, logKey));
        Assert.Null(leaf.Extensions[SigstoreOids.CtPoison]);
        Assert.Equal(1UL, await s.Log.TreeSizeAsync());
    }

    [Fact]
    public async Task Detached_mode_submits_the_final_certificate_and_returns_its_sct()
    {
        await using var s = await StartAsync("Detached");
        var (status, body) = await RequestAsync(s);
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        var detached = body["signedCertificateDetachedSct"]!;
        using var leaf = X509Certificate2.CreateFromPem(detached["chain"]!["certificates"]![0]!.GetValue<string>());
        Assert.Null(leaf.Extensions[SigstoreOids.SctList]);
        var sct = AddChainResponse.Parse(Convert.FromBase64String(detached["signedCertificateTimestamp"]!.GetValue<string>()));
        using var logKey = ECDsa.Create();
        logKey.ImportSubjectPublicKeyInfo(s.LogKey, out _);
        Assert.True(SctVerification.VerifyX509(leaf.RawData, sct, logKey));
        Assert.Equal(1UL, await s.Log.TreeSizeAsync());
    }

    [Fact]
    public async Task A_log_that_refuses_the_chain_means_a_500_and_no_certificate()
    {
        await using var s = await StartAsync("Embedded", trustTheCa: false);
        var (status, body) = await RequestAsync(s);
        Assert.Equal(HttpStatusCode.InternalServerError, status);
        Assert.Equal(13, body["code"]!.GetValue<int>());
        Assert.Equal("Error entering certificate in CTL", body["message"]!.GetValue<string>());
        Assert.Equal(0UL, await s.Log.TreeSizeAsync());
    }
}
