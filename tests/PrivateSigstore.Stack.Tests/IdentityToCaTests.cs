using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Identity;

namespace PrivateSigstore.Stack.Tests;

/// <summary>The embedded stack's identity provider vouches for a workload, and the CA certifies exactly that identity.</summary>
public sealed class IdentityToCaTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<string> ClientCredentialsTokenAsync(HttpClient http, string issuer, string clientId, string secret)
    {
        using var response = await http.PostAsync(new Uri(new Uri(issuer), "connect/token"), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = clientId,
            ["client_secret"] = secret,
            ["scope"] = "openid",
        }), Ct);
        var json = await response.Content.ReadFromJsonAsync<JsonObject>(Ct);
        Assert.True(response.IsSuccessStatusCode, json?.ToJsonString());
        return json!["id_token"]!.GetValue<string>();
    }

    private static async Task<HttpResponseMessage> RequestCertificateAsync(HttpClient http, string fulcioUrl, string token, ECDsa key, string challenge) =>
        await http.PostAsync($"{fulcioUrl}/api/v2/signingCert", new StringContent(new JsonObject
        {
            ["credentials"] = new JsonObject { ["oidcIdentityToken"] = token },
            ["publicKeyRequest"] = new JsonObject
            {
                ["publicKey"] = new JsonObject { ["algorithm"] = "ECDSA", ["content"] = key.ExportSubjectPublicKeyInfoPem() },
                ["proofOfPossession"] = Convert.ToBase64String(key.SignData(Encoding.UTF8.GetBytes(challenge), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)),
            },
        }.ToJsonString(), Encoding.UTF8, "application/json"), Ct);

    [Fact]
    public async Task A_workload_token_from_the_identity_provider_gets_a_certificate_for_that_identity()
    {
        var dir = Directory.CreateTempSubdirectory("psig-stack-idp-").FullName;
        await using var stack = await StackHost.StartAsync(new StackOptions { DataDirectory = dir, RekorPort = 0, FulcioPort = 0, CtLogPort = 0, IdentityPort = 0, TsaPort = 0, RekorV2Port = 0, TufPort = 0, WitnessPort = 0, MonitorPort = 0, ExplorerPort = 0, LogLevel = "Warning", UseSoftHsm = false }, Ct);
        var demo = stack.Demo;
        Assert.NotNull(demo);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dir, "identity", "demo-credentials.json")));
        }
        using var http = new HttpClient();

        var token = await ClientCredentialsTokenAsync(http, stack.Issuer, demo.ClientId, demo.ClientSecret);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var response = await RequestCertificateAsync(http, stack.FulcioUrl, token, key, "demo-workload");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
        Assert.True(response.StatusCode == HttpStatusCode.OK, body.ToJsonString());
        var leafPem = body["signedCertificateEmbeddedSct"]!["chain"]!["certificates"]![0]!.GetValue<string>();
        using var leaf = X509Certificate2.CreateFromPem(leafPem);
        Assert.Equal([demo.WorkloadEmail], SubjectAltNames.Read(leaf).Emails);
        var extensions = SigstoreExtensions.Parse(leaf.Extensions.Cast<X509Extension>());
        Assert.Equal(stack.Issuer, extensions.Issuer);
        Assert.Equal("demo-workload", extensions.TokenSubject);
        Assert.NotNull(leaf.Extensions[SigstoreOids.SctList]);

        // A client whose tokens are for another audience is refused by the CA.
        string otherSecret = await AddClientAsync(stack, new WorkloadClientSpec("other-audience", "other") { Email = "other@privatesigstore.local", EmailVerified = true, Audience = "not-sigstore" });

        var wrongAudience = await ClientCredentialsTokenAsync(http, stack.Issuer, "other-audience", otherSecret);
        using var refused = await RequestCertificateAsync(http, stack.FulcioUrl, wrongAudience, key, "other");
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Contains("There was an error processing the identity token", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    private static async Task<string> AddClientAsync(StackHost stack, WorkloadClientSpec spec)
    {
        using var scope = stack.IdentityServices.CreateScope();
        return await scope.ServiceProvider.GetRequiredService<IdentityAdmin>().AddClientAsync(spec, Ct);
    }
}
