using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PrivateSigstore.Fulcio.Tests.Oidc;
using PrivateSigstore.Tests.Support;

namespace PrivateSigstore.Stack.Tests;

/// <summary>
/// Issue 16's identity-watch proof in the stack: the unchanged sigstore-js signs keylessly as the watched identity; the
/// monitor's alert appears in its feed within 5 s and reaches a webhook receiver whose HMAC-SHA256 verifies; a signing as an
/// identity nobody watches raises nothing.
/// </summary>
public sealed class IdentityWatchTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed record Delivery(string Body, string Signature);

    [Fact]
    public async Task Sigstore_js_signing_as_a_watched_identity_alerts_in_the_feed_and_a_signed_webhook_and_an_unwatched_one_does_not()
    {
        NodeScript.Require();
        await using var idp = await TestOidcIssuer.StartAsync();
        var idpKey = TestOidcIssuer.NewEcKey("ec-1");
        idp.Publish(idpKey);
        var dir = Directory.CreateTempSubdirectory("psig-watch-").FullName;

        // The webhook receiver: records every delivery with its signature header.
        var deliveries = new ConcurrentQueue<Delivery>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var receiver = builder.Build();
        receiver.MapPost("/hook", async (HttpContext http) =>
        {
            using var reader = new StreamReader(http.Request.Body);
            deliveries.Enqueue(new Delivery(await reader.ReadToEndAsync(), http.Request.Headers["X-PrivateSigstore-Signature"].ToString()));
            return Results.Ok();
        });
        await receiver.StartAsync(Ct);
        var hookUrl = receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/hook";
        var secret = "watch-secret-" + Guid.NewGuid().ToString("N");
        var secretPath = Path.Combine(dir, "webhook.secret");
        await File.WriteAllTextAsync(secretPath, secret + "\n", Ct);

        // rekor-monitor's YAML: watch one identity under our test issuer.
        var watch = Path.Combine(dir, "monitor.yaml");
        await File.WriteAllTextAsync(watch, $"monitoredValues:\n  certIdentities:\n    - certSubject: watched@example\\.com\n      issuers:\n        - {System.Text.RegularExpressions.Regex.Escape(idp.BaseUrl)}\n", Ct);
        var config = Path.Combine(dir, "fulcio-config.json");
        await File.WriteAllTextAsync(config, new JsonObject
        {
            ["OIDCIssuers"] = new JsonObject { [idp.BaseUrl] = new JsonObject { ["IssuerURL"] = idp.BaseUrl, ["ClientID"] = "sigstore", ["Type"] = "email" } },
        }.ToJsonString(), Ct);
        await using var stack = await StackHost.StartAsync(new StackOptions
        {
            DataDirectory = Path.Combine(dir, "data"),
            RekorPort = 0, FulcioPort = 0, CtLogPort = 0, IdentityPort = 0, TsaPort = 0, RekorV2Port = 0, TufPort = 0, WitnessPort = 0, MonitorPort = 0, ExplorerPort = 0,
            FulcioConfigPath = config,
            MonitorConfigPath = watch,
            MonitorWebhookUrl = hookUrl,
            MonitorWebhookSecretPath = secretPath,
            LogLevel = "Warning",
            UseSoftHsm = false,
        }, Ct);
        var monitorUrl = JsonNode.Parse(await File.ReadAllTextAsync(stack.ServiceRegistryPath, Ct))!["monitor"]!.GetValue<string>();
        using var http = new HttpClient();

        async Task SignAsync(string email)
        {
            var now = DateTimeOffset.UtcNow;
            var token = TestOidcIssuer.Mint(idpKey, new Dictionary<string, object>
            {
                ["iss"] = idp.BaseUrl, ["aud"] = "sigstore", ["sub"] = email, ["email"] = email, ["email_verified"] = true,
                ["iat"] = now.ToUnixTimeSeconds(), ["nbf"] = now.ToUnixTimeSeconds(), ["exp"] = now.AddMinutes(5).ToUnixTimeSeconds(),
            });
            var artifact = Path.Combine(dir, email + ".txt");
            await File.WriteAllTextAsync(artifact, $"signed as {email} {Guid.NewGuid()}\n", Ct);
            var run = await NodeScript.RunAsync("sigstore-js-keyless-sign.mjs", new Dictionary<string, string>
            {
                ["FULCIO_URL"] = stack.FulcioUrl, ["REKOR_URL"] = stack.RekorUrl, ["ID_TOKEN"] = token,
                ["ARTIFACT"] = artifact, ["BUNDLE"] = artifact + ".sigstore.json",
            }, Ct);
            Assert.True(run.ExitCode == 0, run.Report());
        }

        async Task<JsonArray> IdentityAlertsAsync() =>
            new([.. JsonNode.Parse(await http.GetStringAsync(new Uri(monitorUrl + "/api/v1/alerts"), Ct))!.AsArray()
                .Where(a => a!["kind"]!.GetValue<string>() == "identity-match").Select(a => a!.DeepClone())]);

        // An identity nobody watches: signed, then (after the watched one is seen, so the monitor has read past it) no alert names it.
        await SignAsync("unwatched@example.com");
        await SignAsync("watched@example.com");
        var signedAt = DateTimeOffset.UtcNow;
        JsonNode? alert = null;
        while (alert is null && DateTimeOffset.UtcNow - signedAt < TimeSpan.FromSeconds(5))
        {
            // The Rekor entry's alert (the CT log's precertificate of the same signing may alert too).
            alert = (await IdentityAlertsAsync()).FirstOrDefault(a => a!["log"]!.GetValue<string>() == stack.RekorUrl.TrimEnd('/'));
            if (alert is null) await Task.Delay(100, Ct);
        }
        Assert.True(alert is not null, "no identity-match alert in the monitor's feed within 5 s of the signing");
        Assert.Equal("watched@example.com", alert!["identity"]!.GetValue<string>());
        Assert.Equal(idp.BaseUrl, alert["issuer"]!.GetValue<string>());
        Assert.NotNull(alert["logIndex"]);
        var all = await IdentityAlertsAsync();
        Assert.All(all, a => Assert.Equal("watched@example.com", a!["identity"]!.GetValue<string>()));
        Assert.DoesNotContain("unwatched@example.com", all.ToJsonString(), StringComparison.Ordinal);

        // The monitor showed the Rekor v1 checkpoint it verified to the stack's witness, which cosigned it.
        var witnessUrl = JsonNode.Parse(await File.ReadAllTextAsync(stack.ServiceRegistryPath, Ct))!["witness"]!.GetValue<string>();
        JsonArray witnessed = [];
        for (var i = 0; i < 50; i++)
        {
            witnessed = JsonNode.Parse(await http.GetStringAsync(new Uri(witnessUrl + "/api/v1/witness"), Ct))!["logs"]!.AsArray();
            if (witnessed.Any(l => l!["origin"]!.GetValue<string>().Contains(" - ", StringComparison.Ordinal) && l["size"]?.GetValue<ulong>() >= 2)) break;
            await Task.Delay(100, Ct);
        }
        Assert.True(witnessed.Any(l => l!["origin"]!.GetValue<string>().Contains(" - ", StringComparison.Ordinal) && l["size"]?.GetValue<ulong>() >= 2), witnessed.ToJsonString() + "\nalerts: " + await http.GetStringAsync(new Uri(monitorUrl + "/api/v1/alerts"), Ct));

        // The webhook got it, signed: HMAC-SHA256 of the exact body under the secret.
        Delivery? delivery = null;
        for (var i = 0; i < 100 && delivery is null; i++)
        {
            delivery = deliveries.FirstOrDefault(d => d.Body.Contains("identity-match", StringComparison.Ordinal));
            if (delivery is null) await Task.Delay(100, Ct);
        }
        Assert.True(delivery is not null, "the webhook received no identity-match alert");
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(delivery!.Body)));
        Assert.Equal(expected, delivery.Signature);
        Assert.Contains("watched@example.com", delivery.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(deliveries, d => d.Body.Contains("unwatched@example.com", StringComparison.Ordinal));
    }
}
