using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using PrivateSigstore.Rekor;
using PrivateSigstore.Rekor.V2;

namespace PrivateSigstore.Monitor.Tests;

/// <summary>The monitor against the real Rekor v1 and Rekor v2 services of this repository (Kestrel on port 0, SQLite).</summary>
public sealed class RealLogTests
{
    private const string Config = """
        monitoredValues:
          certIdentities:
            - certSubject: .*@real\.example
              issuers:
                - https://issuer\.real\.example
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Uri Address(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    private static MonitorOptions Options(MonitoredLogKind kind, Uri url, string keyPem)
    {
        var config = Path.Combine(MonitorHost.TempDirectory(), "identities.yaml");
        File.WriteAllText(config, Config);
        return new MonitorOptions
        {
            DataDirectory = MonitorHost.TempDirectory(),
            Logs = [new MonitoredLogOptions { Kind = kind, Url = url.AbsoluteUri, PublicKey = keyPem }],
            PollIntervalMilliseconds = 20,
            FullAudit = true,
            IdentityConfigPath = config,
        };
    }

    [Fact]
    public async Task Follows_a_real_rekor_v1_and_finds_the_identity()
    {
        await using var rekor = await RekorApp.BuildAsync([
            "--urls", "http://127.0.0.1:0",
            "--Rekor:DataDirectory", MonitorHost.TempDirectory(),
            "--Rekor:Hostname", "rekor.monitor.test",
            "--Logging:LogLevel:Default", "Warning",
        ], cancellationToken: Ct);
        await rekor.StartAsync(Ct);
        using var http = new HttpClient { BaseAddress = Address(rekor) };
        var keyPem = await http.GetStringAsync("/api/v1/log/publicKey", Ct);
        await PostV1Async(http, "someone@other.example");
        await using var monitor = await MonitorHost.StartAsync(Options(MonitoredLogKind.RekorV1, http.BaseAddress, keyPem));
        await monitor.WaitForSizeAsync(1);
        await PostV1Async(http, "bob@other.example");
        await PostV1Async(http, "alice@real.example");
        await PostV1Async(http, "carol@other.example");
        await monitor.WaitForSizeAsync(4);
        await monitor.MorePollsAsync();
        var alert = Assert.Single(monitor.Alerts.List());
        Assert.Equal(AlertKinds.IdentityMatch, alert.Kind);
        Assert.Equal(2, alert.LogIndex);
        Assert.Equal("alice@real.example", alert.Identity);
        Assert.Equal("https://issuer.real.example", alert.Issuer);
        Assert.NotNull(alert.EntryUuid);
        await rekor.StopAsync(Ct);
    }

    [Fact]
    public async Task Follows_a_real_rekor_v2_from_its_tiles_and_finds_the_identity()
    {
        await using var rekor = await RekorV2App.BuildAsync([
            "--urls", "http://127.0.0.1:0",
            "--RekorV2:DataDirectory", MonitorHost.TempDirectory(),
            "--Logging:LogLevel:Default", "Warning",
        ], cancellationToken: Ct);
        await rekor.StartAsync(Ct);
        var trust = rekor.Services.GetRekorV2TrustInfo();
        using var http = new HttpClient { BaseAddress = Address(rekor) };
        await PostV2Async(http, "someone@other.example");
        await using var monitor = await MonitorHost.StartAsync(Options(MonitoredLogKind.RekorV2, http.BaseAddress, trust.PublicKeyPem));
        await monitor.WaitForSizeAsync(1);
        await PostV2Async(http, "bob@other.example");
        await PostV2Async(http, "alice@real.example");
        await monitor.WaitForSizeAsync(3);
        await monitor.MorePollsAsync();
        var alert = Assert.Single(monitor.Alerts.List());
        Assert.Equal(2, alert.LogIndex);
        Assert.Equal("alice@real.example", alert.Identity);
        await rekor.StopAsync(Ct);
    }

    private static async Task PostV1Async(HttpClient http, string email)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var cert = Certs.Fulcio(key, email, "https://issuer.real.example");
        var digest = RandomNumberGenerator.GetBytes(32);
        var signature = key.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
        var body = new JsonObject
        {
            ["apiVersion"] = "0.0.1",
            ["kind"] = "hashedrekord",
            ["spec"] = new JsonObject
            {
                ["data"] = new JsonObject { ["hash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = Convert.ToHexStringLower(digest) } },
                ["signature"] = new JsonObject
                {
                    ["content"] = Convert.ToBase64String(signature),
                    ["publicKey"] = new JsonObject { ["content"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(PemEncoding.WriteString("CERTIFICATE", cert))) },
                },
            },
        };
        using var response = await http.PostAsync("/api/v1/log/entries", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, await response.Content.ReadAsStringAsync(Ct));
    }

    private static async Task PostV2Async(HttpClient http, string email)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var cert = Certs.Fulcio(key, email, "https://issuer.real.example");
        var digest = RandomNumberGenerator.GetBytes(32);
        var signature = key.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
        var body = new JsonObject
        {
            ["hashedRekordRequestV002"] = new JsonObject
            {
                ["digest"] = Convert.ToBase64String(digest),
                ["signature"] = new JsonObject
                {
                    ["content"] = Convert.ToBase64String(signature),
                    ["verifier"] = new JsonObject
                    {
                        ["x509Certificate"] = new JsonObject { ["rawBytes"] = Convert.ToBase64String(cert) },
                        ["keyDetails"] = "PKIX_ECDSA_P256_SHA_256",
                    },
                },
            },
        };
        using var response = await http.PostAsync("/api/v2/log/entries", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), Ct);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync(Ct));
    }
}
