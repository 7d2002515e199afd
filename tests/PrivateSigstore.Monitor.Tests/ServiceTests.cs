using System.Security.Cryptography;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Trust;

namespace PrivateSigstore.Monitor.Tests;

/// <summary>The service around the followers: trusted-root log discovery, readiness, metrics.</summary>
public sealed class ServiceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void Logs_come_from_the_trusted_root_and_explicit_entries_override_them()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var ed25519Spki = PrivateSigstore.Core.Crypto.Ed25519.ToSubjectPublicKeyInfo(PrivateSigstore.Core.Crypto.Ed25519.PublicKeyFromSeed(RandomNumberGenerator.GetBytes(32)));
        var root = new TrustedRoot
        {
            MediaType = "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            Tlogs =
            [
                new TransparencyLogInstance { BaseUrl = "https://rekor.example", PublicKey = new PublicKeyMaterial { RawBytes = ecdsa.ExportSubjectPublicKeyInfo(), KeyDetails = PublicKeyDetails.PkixEcdsaP256Sha256 } },
                new TransparencyLogInstance { BaseUrl = "https://log2026.rekor.example", PublicKey = new PublicKeyMaterial { RawBytes = ed25519Spki, KeyDetails = PublicKeyDetails.PkixEd25519 } },
            ],
            Ctlogs = [new TransparencyLogInstance { BaseUrl = "https://ct.example/test", PublicKey = new PublicKeyMaterial { RawBytes = ecdsa.ExportSubjectPublicKeyInfo(), KeyDetails = PublicKeyDetails.PkixEcdsaP256Sha256 } }],
        };
        var path = Path.Combine(MonitorHost.TempDirectory(), "trusted_root.json");
        File.WriteAllText(path, TrustedRootJson.Serialize(root));
        var options = new MonitorOptions
        {
            TrustedRootPath = path,
            Logs = [new MonitoredLogOptions { Kind = MonitoredLogKind.RekorV2, Url = "https://rekor.example/", PublicKey = Convert.ToBase64String(ecdsa.ExportSubjectPublicKeyInfo()) }],
        };
        options.Validate();
        var logs = MonitorApp.ResolveLogs(options).ToDictionary(l => l.Url.AbsoluteUri.TrimEnd('/'), l => l.Kind);
        Assert.Equal(MonitoredLogKind.RekorV2, logs["https://rekor.example"]);
        Assert.Equal(MonitoredLogKind.RekorV2, logs["https://log2026.rekor.example"]);
        Assert.Equal(MonitoredLogKind.Ct, logs["https://ct.example/test"]);
        Assert.Equal(3, logs.Count);
    }

    [Fact]
    public async Task Readiness_waits_for_a_verified_checkpoint_and_metrics_are_exported()
    {
        await using var log = await FakeLog.StartAsync();
        log.AddFiller(3);
        log.Misbehaviour = Misbehaviour.BadSignature;
        await using var monitor = await MonitorHost.StartAsync(MonitorHost.Options(log, MonitoredLogKind.RekorV1));
        using var http = new HttpClient { BaseAddress = monitor.Url };
        await monitor.WaitForAlertAsync(AlertKinds.InvalidSignature);
        using (var response = await http.GetAsync("/readyz", Ct))
        {
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, response.StatusCode);
        }
        log.Misbehaviour = Misbehaviour.None;
        await monitor.WaitForSizeAsync(3);
        Assert.Equal("Healthy", await http.GetStringAsync("/readyz", Ct));
        var metrics = await http.GetStringAsync("/metrics", Ct);
        Assert.Contains("privatesigstore_monitor_checkpoints_verified", metrics, StringComparison.Ordinal);
        Assert.Contains("privatesigstore_monitor_alerts", metrics, StringComparison.Ordinal);
        Assert.Contains("privatesigstore_monitor_tree_size", metrics, StringComparison.Ordinal);
    }
}
