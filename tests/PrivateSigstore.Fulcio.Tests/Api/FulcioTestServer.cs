using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Fulcio.Tests.Oidc;

namespace PrivateSigstore.Fulcio.Tests.Api;

/// <summary>
/// The CA on real Kestrel (127.0.0.1, random port) with a test OIDC issuer (RS256 + ES256) whose tenants
/// <c>/tenants/{type}</c> are configured as one issuer per issuer type, plus a meta issuer <c>/tenants/meta-*</c>.
/// </summary>
internal sealed class FulcioTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FulcioTestServer(WebApplication app, TestOidcIssuer idp, string baseUrl, string dataDirectory, RsaSecurityKey rsa, ECDsaSecurityKey ec)
    {
        _app = app;
        Idp = idp;
        BaseUrl = baseUrl;
        DataDirectory = dataDirectory;
        Rsa = rsa;
        Ec = ec;
        Http = new HttpClient { BaseAddress = new Uri(baseUrl) };
    }

    public TestOidcIssuer Idp { get; }

    public string BaseUrl { get; }

    public string DataDirectory { get; }

    public RsaSecurityKey Rsa { get; }

    public ECDsaSecurityKey Ec { get; }

    public HttpClient Http { get; }

    public WebApplication App => _app;

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public string Issuer(string tenant) => $"{Idp.BaseUrl}/tenants/{tenant}";

    public static async Task<FulcioTestServer> StartAsync(params string[] extraArgs)
    {
        var idp = await TestOidcIssuer.StartAsync();
        var rsa = TestOidcIssuer.NewRsaKey("rsa-1");
        var ec = TestOidcIssuer.NewEcKey("ec-1");
        idp.Publish(rsa, ec);
        var dir = Directory.CreateTempSubdirectory("psig-fulcio-").FullName;
        var configPath = Path.Combine(dir, "config.json");
        File.WriteAllText(configPath, Config(idp.BaseUrl));
        var app = await FulcioApp.BuildAsync([
            "--urls", "http://127.0.0.1:0",
            "--Fulcio:DataDirectory", dir,
            "--Fulcio:ConfigPath", configPath,
            "--Fulcio:AllowHttpIssuers", "true",
            "--Logging:LogLevel:Default", "Warning",
            "--Logging:LogLevel:PrivateSigstore", "Error",
            .. extraArgs,
        ]);
        await app.StartAsync(Ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        return new FulcioTestServer(app, idp, address, dir, rsa, ec);
    }

    public static string Config(string idp) => new JsonObject
    {
        ["OIDCIssuers"] = new JsonObject
        {
            [$"{idp}/tenants/email"] = Issuer(idp, "email", "email"),
            [$"{idp}/tenants/uri"] = Issuer(idp, "uri", "uri", ("SubjectDomain", "http://127.0.0.1")),
            [$"{idp}/tenants/username"] = Issuer(idp, "username", "username", ("SubjectDomain", "127.0.0.1")),
            [$"{idp}/tenants/spiffe"] = Issuer(idp, "spiffe", "spiffe", ("SPIFFETrustDomain", "example.org")),
            [$"{idp}/tenants/kubernetes"] = Issuer(idp, "kubernetes", "kubernetes"),
            [$"{idp}/tenants/github"] = Issuer(idp, "github", "github-workflow"),
            [$"{idp}/tenants/gitlab"] = Issuer(idp, "gitlab", "gitlab-pipeline"),
            [$"{idp}/tenants/buildkite"] = Issuer(idp, "buildkite", "buildkite-job"),
            [$"{idp}/tenants/ci"] = Issuer(idp, "ci", "ci-provider", ("CIProvider", "github-workflow")),
            [$"{idp}/tenants/restricted"] = Issuer(idp, "restricted", "ci-provider", ("CIProvider", "github-workflow")),
        },
        ["MetaIssuers"] = new JsonObject
        {
            [$"{idp}/tenants/meta-*"] = new JsonObject { ["ClientID"] = "sigstore", ["Type"] = "email" },
        },
        ["CIIssuerMetadata"] = new JsonObject
        {
            ["github-workflow"] = new JsonObject
            {
                ["DefaultTemplateValues"] = new JsonObject { ["url"] = "https://github.com" },
                ["ExtensionTemplates"] = new JsonObject
                {
                    ["GithubWorkflowTrigger"] = "event_name",
                    ["GithubWorkflowSHA"] = "sha",
                    ["GithubWorkflowName"] = "workflow",
                    ["GithubWorkflowRepository"] = "repository",
                    ["GithubWorkflowRef"] = "ref",
                    ["BuildSignerURI"] = "{{ .url }}/{{ .job_workflow_ref }}",
                    ["BuildSignerDigest"] = "job_workflow_sha",
                    ["RunnerEnvironment"] = "runner_environment",
                    ["SourceRepositoryURI"] = "{{ .url }}/{{ .repository }}",
                    ["SourceRepositoryDigest"] = "sha",
                    ["SourceRepositoryRef"] = "ref",
                    ["SourceRepositoryIdentifier"] = "repository_id",
                    ["SourceRepositoryOwnerURI"] = "{{ .url }}/{{ .repository_owner }}",
                    ["SourceRepositoryOwnerIdentifier"] = "repository_owner_id",
                    ["BuildConfigURI"] = "{{ .url }}/{{ .workflow_ref }}",
                    ["BuildConfigDigest"] = "workflow_sha",
                    ["BuildTrigger"] = "event_name",
                    ["RunInvocationURI"] = "{{ .url }}/{{ .repository }}/actions/runs/{{ .run_id }}/attempts/{{ .run_attempt }}",
                    ["SourceRepositoryVisibilityAtSigning"] = "repository_visibility",
                },
                ["SubjectAlternativeNameTemplate"] = "{{ .url }}/{{ .job_workflow_ref }}",
            },
        },
    }.ToJsonString();

    private static JsonObject Issuer(string idp, string tenant, string type, params (string Key, string Value)[] extra)
    {
        var o = new JsonObject { ["IssuerURL"] = $"{idp}/tenants/{tenant}", ["ClientID"] = "sigstore", ["Type"] = type };
        foreach (var (k, v) in extra)
        {
            o[k] = v;
        }

        if (tenant == "restricted")
        {
            // fulcio#1989: only this organisation's repositories may obtain certificates.
            o["AllowedClaims"] = new JsonObject { ["repository_owner"] = new JsonArray("octo-org") };
        }

        return o;
    }

    /// <summary>Claims for <paramref name="tenant"/> with standard times; <paramref name="extra"/> adds or replaces.</summary>
    public Dictionary<string, object> Claims(string tenant, string sub, object? extra = null, TimeSpan? expIn = null)
    {
        var now = DateTimeOffset.UtcNow;
        var claims = new Dictionary<string, object>
        {
            ["iss"] = Issuer(tenant),
            ["aud"] = "sigstore",
            ["sub"] = sub,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = now.Add(expIn ?? TimeSpan.FromMinutes(5)).ToUnixTimeSeconds(),
        };
        if (extra is not null)
        {
            foreach (var p in JsonSerializer.SerializeToElement(extra).EnumerateObject())
            {
                claims[p.Name] = p.Value;
            }
        }

        return claims;
    }

    public string Token(Dictionary<string, object> claims, bool rsa = true) => TestOidcIssuer.Mint(rsa ? Rsa : Ec, claims);

    /// <summary>A v2 public-key request body (camelCase), with the proof over <paramref name="challenge"/>.</summary>
    public static JsonObject PublicKeyRequest(ECDsa key, string challenge, string? token)
    {
        var body = new JsonObject
        {
            ["publicKeyRequest"] = new JsonObject
            {
                ["publicKey"] = new JsonObject { ["algorithm"] = "ECDSA", ["content"] = key.ExportSubjectPublicKeyInfoPem() },
                ["proofOfPossession"] = Convert.ToBase64String(key.SignData(Encoding.UTF8.GetBytes(challenge), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)),
            },
        };
        if (token is not null)
        {
            body["credentials"] = new JsonObject { ["oidcIdentityToken"] = token };
        }

        return body;
    }

    public async Task<HttpResponseMessage> PostV2Async(JsonNode body, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v2/signingCert") { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        if (bearer is not null)
        {
            request.Headers.Authorization = new("Bearer", bearer);
        }

        return await Http.SendAsync(request, Ct);
    }

    /// <summary>Posts a v2 request that must succeed; returns the chain (leaf first).</summary>
    public async Task<X509Certificate2[]> IssueAsync(JsonNode body, string? bearer = null)
    {
        using var response = await PostV2Async(body, bearer);
        string text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {text}");
        var json = JsonNode.Parse(text)!;
        var chain = (json["signedCertificateEmbeddedSct"] ?? json["signedCertificateDetachedSct"])!["chain"]!["certificates"]!.AsArray();
        return [.. chain.Select(c => X509Certificate2.CreateFromPem(c!.GetValue<string>()))];
    }

    public static async Task<(int Status, int Code, string Message)> ErrorAsync(HttpResponseMessage response)
    {
        var json = await response.Content.ReadFromJsonAsync<JsonObject>(Ct);
        Assert.NotNull(json);
        // Upstream's details are empty; ours carry the specific reason of an identity refusal as google.rpc.DebugInfo.
        Assert.All(json["details"]!.AsArray(), d => Assert.Equal("type.googleapis.com/google.rpc.DebugInfo", d!["@type"]!.GetValue<string>()));
        return ((int)response.StatusCode, json["code"]!.GetValue<int>(), json["message"]!.GetValue<string>());
    }

    /// <summary>Validates <paramref name="chain"/> (leaf first) with X509Chain under the code-signing policy, trusting only its root.</summary>
    public static X509ChainStatusFlags ValidateCodeSigning(X509Certificate2[] chain)
    {
        using var x509 = new X509Chain();
        x509.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        x509.ChainPolicy.CustomTrustStore.Add(chain[^1]);
        foreach (var c in chain[1..^1])
        {
            x509.ChainPolicy.ExtraStore.Add(c);
        }

        x509.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        x509.ChainPolicy.ApplicationPolicy.Add(new Oid(SigstoreOids.CodeSigningEku));
        x509.ChainPolicy.VerificationTime = DateTime.UtcNow;
        bool ok = x509.Build(chain[0]);
        var flags = x509.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (a, s) => a | s.Status);
        Assert.True(ok || flags != X509ChainStatusFlags.NoError);
        return flags;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync(Ct);
        await _app.DisposeAsync();
        await Idp.DisposeAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
