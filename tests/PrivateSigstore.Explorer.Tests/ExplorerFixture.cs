using System.Security.Cryptography;
using System.Text;
using PrivateSigstore.Client.Rekor;
using PrivateSigstore.Client.Signing;
using PrivateSigstore.Client.Timestamp;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Fulcio.Tests.Oidc;
using PrivateSigstore.Stack;

namespace PrivateSigstore.Explorer.Tests;

/// <summary>
/// The real stack in-process (its explorer included) with a test OIDC issuer, and entries signed keylessly through the
/// client library psig uses: erin@example.com in Rekor v1 and Rekor v2, and a signer whose email carries a script.
/// </summary>
public sealed class ExplorerFixture : IAsyncLifetime
{
    public const string Email = "erin@example.com";

    /// <summary>An email claim with markup in it: Fulcio copies it into the certificate's SAN as given.</summary>
    public const string InjectedEmail = "<script>alert(\"san\")</script>@example.com";

    private TestOidcIssuer? _idp;
    private Microsoft.IdentityModel.Tokens.ECDsaSecurityKey? _idpKey;
    private string _dir = "";

    public StackHost Stack { get; private set; } = null!;

    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromSeconds(60) };

    public string Issuer => _idp!.BaseUrl;

    public Bundle ErinBundle { get; private set; } = null!;

    public long ErinIndex => ErinBundle.VerificationMaterial!.TlogEntries[0].LogIndex;

    public long InjectedIndex { get; private set; }

    public long ErinV2Index { get; private set; }

    public string Url => Stack.ExplorerUrl;

    public async ValueTask InitializeAsync()
    {
        _idp = await TestOidcIssuer.StartAsync();
        _idpKey = TestOidcIssuer.NewEcKey("ec-1");
        _idp.Publish(_idpKey);
        _dir = Directory.CreateTempSubdirectory("psig-explorer-").FullName;
        var config = Path.Combine(_dir, "fulcio-config.json");
        File.WriteAllText(config, new System.Text.Json.Nodes.JsonObject
        {
            ["OIDCIssuers"] = new System.Text.Json.Nodes.JsonObject { [_idp.BaseUrl] = new System.Text.Json.Nodes.JsonObject { ["IssuerURL"] = _idp.BaseUrl, ["ClientID"] = "sigstore", ["Type"] = "email" } },
        }.ToJsonString());
        Stack = await StackHost.StartAsync(new StackOptions
        {
            DataDirectory = Path.Combine(_dir, "data"),
            RekorPort = 0, FulcioPort = 0, CtLogPort = 0, IdentityPort = 0, TsaPort = 0, RekorV2Port = 0, TufPort = 0, WitnessPort = 0, MonitorPort = 0, ExplorerPort = 0,
            FulcioConfigPath = config,
            LogLevel = "Warning",
            UseSoftHsm = false,
        });
        ErinBundle = await SignAsync(Email, "hello explorer"u8.ToArray(), v2: false);
        InjectedIndex = (await SignAsync(InjectedEmail, "injection"u8.ToArray(), v2: false)).VerificationMaterial!.TlogEntries[0].LogIndex;
        ErinV2Index = (await SignAsync(Email, "hello tiles"u8.ToArray(), v2: true)).VerificationMaterial!.TlogEntries[0].LogIndex;
    }

    public string Token(string email)
    {
        var now = DateTimeOffset.UtcNow;
        return TestOidcIssuer.Mint(_idpKey!, new Dictionary<string, object>
        {
            ["iss"] = _idp!.BaseUrl,
            ["aud"] = "sigstore",
            ["sub"] = "user-" + email.Length,
            ["email"] = email,
            ["email_verified"] = true,
            ["iat"] = now.ToUnixTimeSeconds(),
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["exp"] = now.AddMinutes(5).ToUnixTimeSeconds(),
        });
    }

    public async Task<Bundle> SignAsync(string email, byte[] artifact, bool v2)
    {
        var signer = await KeylessSigning.CreateAsync(new FulcioClient(Http, new Uri(Stack.FulcioUrl)), Token(email));
        using (signer.Key)
        {
            var bundles = v2
                ? new BundleSigner([new RekorV2Client(Http, new Uri(Stack.RekorV2Url))], [new TimestampClient(Http, new Uri(Stack.TsaUrl + "/api/v1/timestamp"))])
                : new BundleSigner(new RekorClient(Http, new Uri(Stack.RekorUrl)));
            return await bundles.SignBlobAsync(signer, artifact);
        }
    }

    public async Task<(int Status, string Body)> GetAsync(string pathAndQuery)
    {
        using var response = await Http.GetAsync(new Uri(Url + pathAndQuery));
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public async ValueTask DisposeAsync()
    {
        if (Stack is not null) await Stack.DisposeAsync();
        if (_idp is not null) await _idp.DisposeAsync();
        _idpKey?.ECDsa.Dispose();
        Http.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static string Encoded(string text) => System.Text.Encodings.Web.HtmlEncoder.Default.Encode(text);

    internal static string Sha256Hex(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    internal static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}

[CollectionDefinition(Name)]
public sealed class ExplorerGroup : ICollectionFixture<ExplorerFixture>
{
    public const string Name = "explorer stack";
}
