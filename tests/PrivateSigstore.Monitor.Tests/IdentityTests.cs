using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PrivateSigstore.Monitor.Tests;

/// <summary>Identity watch, alert feed, webhooks, restart.</summary>
public sealed class IdentityTests
{
    private const string Config = """
        monitoredValues:
          certIdentities:
            - certSubject: alice@example\.com
              issuers:
                - https://accounts\.example\.com
        """;

    private static string WriteConfig(string text)
    {
        var path = Path.Combine(MonitorHost.TempDirectory(), "identities.yaml");
        File.WriteAllText(path, text);
        return path;
    }

    [Theory]
    [InlineData(MonitoredLogKind.RekorV1)]
    [InlineData(MonitoredLogKind.Ct)]
    public async Task A_matching_certificate_raises_exactly_one_alert_and_others_none(MonitoredLogKind kind)
    {
        await using var log = await FakeLog.StartAsync();
        log.AddFiller(2);
        var options = MonitorHost.Options(log, kind);
        options.IdentityConfigPath = WriteConfig(Config);
        await using var monitor = await MonitorHost.StartAsync(options);
        await monitor.WaitForSizeAsync(2);
        var matching = Certs.Fulcio("alice@example.com", "https://accounts.example.com");
        Add(log, kind, Certs.Fulcio("bob@example.com", "https://accounts.example.com"));
        Add(log, kind, Certs.Fulcio("alice@example.com", "https://evil.example.com"));
        Add(log, kind, matching);
        Add(log, kind, Certs.Fulcio("alice@example.com.evil", "https://accounts.example.com"));
        await monitor.WaitForSizeAsync(6);
        await monitor.MorePollsAsync();
        var alert = Assert.Single(monitor.Alerts.List());
        Assert.Equal(AlertKinds.IdentityMatch, alert.Kind);
        Assert.Equal(4, alert.LogIndex);
        Assert.Equal("alice@example.com", alert.Identity);
        Assert.Equal("https://accounts.example.com", alert.Issuer);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(matching)), alert.Evidence["certificateSha256"]);
        Assert.NotNull(alert.EntryUuid);
        Assert.NotNull(alert.EntryTime);
        Assert.Equal(log.Url.AbsoluteUri.TrimEnd('/'), alert.Log);
    }

    [Fact]
    public async Task Fingerprints_and_oid_matchers_match()
    {
        await using var log = await FakeLog.StartAsync();
        var byOid = Certs.Fulcio("carol@example.com", "https://x.example", "https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main");
        var byFingerprint = Certs.Fulcio("dave@example.com", "https://x.example");
        var options = MonitorHost.Options(log, MonitoredLogKind.RekorV1);
        options.IdentityConfigPath = WriteConfig($"""
            monitoredValues:
              fingerprints:
                - {Convert.ToHexString(SHA256.HashData(byFingerprint))}
              oidMatchers:
                - objectIdentifier: [1, 3, 6, 1, 4, 1, 57264, 1, 9]
                  extensionValues:
                    - https://github.com/org/repo/.github/workflows/release.yml@refs/heads/main
            """);
        await using var monitor = await MonitorHost.StartAsync(options);
        await monitor.WaitForSizeAsync(0);
        log.AddRekorEntry(Certs.HashedRekord(byOid));
        log.AddRekorEntry(Certs.HashedRekord(Certs.Fulcio("erin@example.com", "https://x.example")));
        log.AddRekorEntry(Certs.HashedRekord(byFingerprint));
        await monitor.WaitForSizeAsync(3);
        var alerts = monitor.Alerts.List();
        Assert.Equal([2L, 0L], alerts.Select(a => a.LogIndex!.Value));
        Assert.Contains("oid 1.3.6.1.4.1.57264.1.9", alerts[1].Evidence["rules"], StringComparison.Ordinal);
        Assert.Contains("fingerprint", alerts[0].Evidence["rules"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_feed_and_a_webhook_carry_the_alert_with_a_verifiable_hmac()
    {
        var received = new List<(string Body, string Signature)>();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var receiver = builder.Build();
        var failFirst = true;
        receiver.MapPost("/hook", async (HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync();
            if (failFirst)
            {
                failFirst = false;
                return Results.StatusCode(503);
            }
            lock (received) received.Add((body, request.Headers["X-PrivateSigstore-Signature"].ToString()));
            return Results.Ok();
        });
        await receiver.StartAsync(TestContext.Current.CancellationToken);
        var hookUrl = receiver.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/hook";

        await using var log = await FakeLog.StartAsync();
        var secretFile = Path.Combine(MonitorHost.TempDirectory(), "secret");
        File.WriteAllText(secretFile, "s3cret\n");
        var options = MonitorHost.Options(log, MonitoredLogKind.RekorV1);
        options.IdentityConfigPath = WriteConfig(Config);
        options.Webhooks = [new WebhookOptions { Url = hookUrl, SecretFile = secretFile }];
        await using var monitor = await MonitorHost.StartAsync(options);
        await monitor.WaitForSizeAsync(0);
        log.AddRekorEntry(Certs.HashedRekord(Certs.Fulcio("alice@example.com", "https://accounts.example.com")));
        await MonitorHost.WaitAsync(() => { lock (received) return received.Count == 1; }, "the webhook POST");

        var (body, signature) = received[0];
        Assert.Equal("sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData("s3cret"u8, Encoding.UTF8.GetBytes(body))), signature);
        Assert.Contains("\"kind\":\"identity-match\"", body, StringComparison.Ordinal);

        using var http = new HttpClient { BaseAddress = monitor.Url };
        var feed = await http.GetFromJsonAsync<List<MonitorAlert>>("/api/v1/alerts", TestContext.Current.CancellationToken);
        var alert = Assert.Single(feed!);
        Assert.Equal("alice@example.com", alert.Identity);
        Assert.Empty((await http.GetFromJsonAsync<List<MonitorAlert>>($"/api/v1/alerts?since={alert.Id}", TestContext.Current.CancellationToken))!);
    }

    [Fact]
    public async Task A_restart_resumes_without_duplicates_and_detects_a_fork_made_while_down()
    {
        await using var log = await FakeLog.StartAsync();
        var data = MonitorHost.TempDirectory();
        var options = MonitorHost.Options(log, MonitoredLogKind.RekorV1, data);
        options.IdentityConfigPath = WriteConfig(Config);
        var alice = Certs.HashedRekord(Certs.Fulcio("alice@example.com", "https://accounts.example.com"));
        await using (var first = await MonitorHost.StartAsync(options))
        {
            await first.WaitForSizeAsync(0);
            log.AddRekorEntry(alice);
            log.AddFiller(2);
            await first.WaitForSizeAsync(3);
            Assert.Single(first.Alerts.List());
        }

        log.AddRekorEntry(alice);
        log.AddFiller(1);
        await using (var second = await MonitorHost.StartAsync(options))
        {
            await second.WaitForSizeAsync(5);
            await second.MorePollsAsync();
            var alerts = second.Alerts.List();
            Assert.Equal([3L, 0L], alerts.Select(a => a.LogIndex!.Value));
            Assert.Equal([2L, 1L], alerts.Select(a => a.Id));
        }

        log.Rewrite(4);
        await using (var third = await MonitorHost.StartAsync(options))
        {
            var fork = Assert.Single(await third.WaitForAlertAsync(AlertKinds.RootChanged));
            Assert.NotEqual(fork.Evidence["previous"], fork.Evidence["current"]);
            await third.MorePollsAsync();
            Assert.Equal(3, third.Alerts.List().Count);
        }

        // The same fork after another restart is not alerted again.
        await using (var fourth = await MonitorHost.StartAsync(options))
        {
            await fourth.MorePollsAsync();
            Assert.Equal(3, fourth.Alerts.List().Count);
        }
    }

    private static void Add(FakeLog log, MonitoredLogKind kind, byte[] cert)
    {
        if (kind == MonitoredLogKind.Ct) log.AddCtCertificate(cert);
        else log.AddRekorEntry(Certs.HashedRekord(cert));
    }
}
