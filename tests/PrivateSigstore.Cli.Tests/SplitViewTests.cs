using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Keys.Pkcs11;
using PrivateSigstore.Monitor;
using PrivateSigstore.Rekor.V2;
using PrivateSigstore.Witness;

namespace PrivateSigstore.Cli.Tests;

/// <summary>
/// Issue 16's split-view proof: a Rekor v2 log forked on purpose (a second instance with the same key and origin) shows
/// two different trees of the same size. The witness cosigns the first view and refuses the second; the monitor, shown
/// the second view at the same URL after the first, alerts with both checkpoints as evidence; psig with a witness policy
/// accepts the cosigned bundle and refuses the forked log's bundle, whose checkpoint lacks the cosignature.
/// </summary>
public sealed class SplitViewTests(RekorV2Fixture v2) : IClassFixture<RekorV2Fixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

    private static void Loopback(WebApplicationBuilder b)
    {
        b.WebHost.UseUrls("http://127.0.0.1:0");
        b.Logging.ClearProviders();
    }

    /// <summary>Shows its clients whichever view <see cref="Target"/> names (the fork a misbehaving log shows chosen clients).</summary>
    private sealed class SwitchingProxy : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly HttpClient _http = new();

        private SwitchingProxy(WebApplication app) => _app = app;

        public string Target { get; set; } = "";

        public string Url => Address(_app);

        public static async Task<SwitchingProxy> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            Loopback(builder);
            var app = builder.Build();
            var proxy = new SwitchingProxy(app);
            app.Run(async context =>
            {
                using var response = await proxy._http.GetAsync(new Uri(proxy.Target + context.Request.Path + context.Request.QueryString), context.RequestAborted);
                context.Response.StatusCode = (int)response.StatusCode;
                context.Response.ContentType = response.Content.Headers.ContentType?.ToString();
                await context.Response.Body.WriteAsync(await response.Content.ReadAsByteArrayAsync(context.RequestAborted), context.RequestAborted);
            });
            await app.StartAsync(Ct);
            return proxy;
        }

        public async ValueTask DisposeAsync()
        {
            _http.Dispose();
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
    }

    private async Task<string> SignAsync(string name, string rekorUrl)
    {
        var artifact = v2.NewFile(name, name + "\n");
        var sign = await Psig.RunAsync("sign-blob", artifact, "--key", v2.KeyPath, "--rekor-url", rekorUrl, "--rekor-version", "2", "--tsa-url", v2.TsaUrl);
        Assert.True(sign.ExitCode == 0, sign.Error);
        return artifact;
    }

    [Fact]
    public async Task A_forked_log_is_refused_by_the_witness_alerted_by_the_monitor_and_its_bundles_fail_a_witness_policy()
    {
        // The fork: a second Rekor v2 with the same Ed25519 checkpoint key and origin, and its own tree.
        var forkDir = Directory.CreateDirectory(Path.Combine(v2.Directory, "fork")).FullName;
        await using var fork = await RekorV2App.BuildAsync(new RekorV2Options
        {
            DataDirectory = forkDir,
            Origin = v2.Trust.Origin,
            Key = new SigningKeyOptions { Provider = "PemFile", KeyPath = Path.Combine(v2.Directory, "rekor-v2", "checkpoint-key.pem"), Algorithm = SigningAlgorithm.Ed25519 },
        }, Loopback, Ct);
        await fork.StartAsync(Ct);
        var forkUrl = Address(fork);

        var honest = await SignAsync("honest.txt", v2.RekorUrl);
        var forked = await SignAsync("forked.txt", forkUrl);
        using var http = new HttpClient();
        var honestHead = await http.GetStringAsync(new Uri(v2.RekorUrl + "/api/v2/checkpoint"), Ct);
        var forkHead = await http.GetStringAsync(new Uri(forkUrl + "/api/v2/checkpoint"), Ct);
        var (a, b) = (SignedCheckpoint.Parse(honestHead).Checkpoint, SignedCheckpoint.Parse(forkHead).Checkpoint);
        Assert.Equal(a.Size, b.Size);
        Assert.NotEqual(Convert.ToHexString(a.RootHash), Convert.ToHexString(b.RootHash));

        // The witness cosigns the first view and refuses the second.
        var logKey = Ed25519NoteVerifier.FromSubjectPublicKeyInfo(v2.Trust.Origin, v2.Trust.SubjectPublicKeyInfo).VerifierKey;
        await using var witness = await WitnessApp.BuildAsync(new WitnessOptions
        {
            DataDirectory = Directory.CreateDirectory(Path.Combine(v2.Directory, "witness")).FullName,
            Logs = [new WitnessLogOptions { Origin = v2.Trust.Origin, VerifierKey = logKey }],
        }, configure: Loopback, cancellationToken: Ct);
        await witness.StartAsync(Ct);
        var witnessUrl = Address(witness);
        using var first = await http.PostAsync(new Uri(witnessUrl + "/add-checkpoint"), new StringContent("old 0\n\n" + honestHead), Ct);
        var cosignature = await first.Content.ReadAsStringAsync(Ct);
        Assert.True(first.StatusCode == HttpStatusCode.OK, cosignature);
        using var second = await http.PostAsync(new Uri(witnessUrl + "/add-checkpoint"), new StringContent($"old {b.Size}\n\n" + forkHead), Ct);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, second.StatusCode);

        // The monitor follows the log through a proxy that shows it the honest view, then the forked one.
        await using var proxy = await SwitchingProxy.StartAsync();
        proxy.Target = v2.RekorUrl;
        await File.WriteAllTextAsync(Path.Combine(v2.Directory, "log.pub.pem"), Core.Pem.GoPem.EncodePublicKey(v2.Trust.SubjectPublicKeyInfo), Ct);
        await using var monitor = await MonitorApp.BuildAsync(new MonitorOptions
        {
            DataDirectory = Directory.CreateDirectory(Path.Combine(v2.Directory, "monitor")).FullName,
            PollIntervalMilliseconds = 100,
            Logs = [new MonitoredLogOptions { Kind = MonitoredLogKind.RekorV2, Url = proxy.Url, PublicKeyPath = Path.Combine(v2.Directory, "log.pub.pem"), Origin = v2.Trust.Origin }],
        }, configure: Loopback, cancellationToken: Ct);
        await monitor.StartAsync(Ct);
        var monitorUrl = Address(monitor);
        for (var i = 0; i < 100 && (await http.GetAsync(new Uri(monitorUrl + "/readyz"), Ct)).StatusCode != HttpStatusCode.OK; i++) await Task.Delay(100, Ct);
        proxy.Target = forkUrl;
        JsonNode? alert = null;
        for (var i = 0; i < 100 && alert is null; i++)
        {
            alert = JsonNode.Parse(await http.GetStringAsync(new Uri(monitorUrl + "/api/v1/alerts"), Ct))!.AsArray().FirstOrDefault(x => x!["kind"]!.GetValue<string>() == "root-changed");
            if (alert is null) await Task.Delay(100, Ct);
        }
        Assert.True(alert is not null, "the monitor raised no root-changed alert");
        var evidence = alert!["evidence"]!;
        Assert.Contains(Convert.ToBase64String(a.RootHash), evidence["previous"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(Convert.ToBase64String(b.RootHash), evidence["current"]!.GetValue<string>(), StringComparison.Ordinal);

        // psig with a witness policy: the honest bundle, its checkpoint cosigned as a witnessing log serves it, verifies;
        // the forked log's bundle lacks the cosignature and is refused.
        var vkey = JsonNode.Parse(await http.GetStringAsync(new Uri(witnessUrl + "/api/v1/witness"), Ct))!["verifierKey"]!.GetValue<string>();
        var (name, _) = Cosignature.ParseVerifierKey(vkey);
        var policy = v2.NewFile("split.policy", $"witness w {vkey}\nquorum w\n");
        var bundle = JsonNode.Parse(await File.ReadAllTextAsync(honest + ".sigstore.json", Ct))!;
        var envelope = bundle["verificationMaterial"]!["tlogEntries"]![0]!["inclusionProof"]!["checkpoint"]!;
        Assert.Equal(honestHead, envelope["envelope"]!.GetValue<string>());
        envelope["envelope"] = honestHead + cosignature;
        await File.WriteAllTextAsync(honest + ".sigstore.json", bundle.ToJsonString(), Ct);
        Assert.Contains(name, cosignature, StringComparison.Ordinal);
        Task<Psig.Result> Verify(string artifact) =>
            Psig.RunAsync("verify-blob", artifact, "--key", v2.PublicKeyPath, "--trusted-root", v2.TrustedRootPath, "--witness-policy", policy);
        var good = await Verify(honest);
        Assert.True(good.ExitCode == 0, good.Error);
        var bad = await Verify(forked);
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("no valid cosignature of the policy's witnesses", bad.Error, StringComparison.Ordinal);
    }
}
