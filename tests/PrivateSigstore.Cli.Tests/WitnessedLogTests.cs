using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Keys.Pkcs11;
using PrivateSigstore.Log;
using PrivateSigstore.Monitor;
using PrivateSigstore.Rekor;
using PrivateSigstore.Rekor.V2;
using PrivateSigstore.Witness;

namespace PrivateSigstore.Cli.Tests;

/// <summary>
/// Issue 16: a Rekor v2 log that asks its witness to cosign each new checkpoint (c2sp.org/tlog-witness) and publishes only
/// checkpoints that meet its policy (N of M, fail closed or open): entries' proofs and <c>/api/v2/checkpoint</c> carry the
/// cosignature, psig's <c>--witness-policy</c> accepts the bundle, and with the witness gone a fail-closed log answers 503
/// and keeps serving the last witnessed checkpoint while a fail-open one publishes without.
/// </summary>
public sealed class WitnessedLogTests(RekorV2Fixture v2) : IClassFixture<RekorV2Fixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');

    private static void Loopback(WebApplicationBuilder b)
    {
        b.WebHost.UseUrls("http://127.0.0.1:0");
        b.Logging.ClearProviders();
    }

    private async Task<WebApplication> StartWitnessAsync(string name)
    {
        var logKey = Ed25519NoteVerifier.FromSubjectPublicKeyInfo(v2.Trust.Origin, v2.Trust.SubjectPublicKeyInfo).VerifierKey;
        var witness = await WitnessApp.BuildAsync(new WitnessOptions
        {
            DataDirectory = Directory.CreateDirectory(Path.Combine(v2.Directory, name)).FullName,
            Logs = [new WitnessLogOptions { Origin = v2.Trust.Origin, VerifierKey = logKey }],
        }, configure: Loopback, cancellationToken: Ct);
        await witness.StartAsync(Ct);
        return witness;
    }

    /// <summary>A Rekor v2 with the fixture's key and origin (so its trusted root applies), its own tree, and a witness policy.</summary>
    private async Task<WebApplication> StartLogAsync(string name, CheckpointWitnessOptions witnessing)
    {
        var log = await RekorV2App.BuildAsync(new RekorV2Options
        {
            DataDirectory = Directory.CreateDirectory(Path.Combine(v2.Directory, name)).FullName,
            Origin = v2.Trust.Origin,
            Key = new SigningKeyOptions { Provider = "PemFile", KeyPath = Path.Combine(v2.Directory, "rekor-v2", "checkpoint-key.pem"), Algorithm = Core.Crypto.SigningAlgorithm.Ed25519 },
            Witnessing = witnessing,
        }, Loopback, Ct);
        await log.StartAsync(Ct);
        return log;
    }

    private static async Task<string> VerifierKeyAsync(HttpClient http, string witnessUrl) =>
        JsonNode.Parse(await http.GetStringAsync(new Uri(witnessUrl + "/api/v1/witness"), Ct))!["verifierKey"]!.GetValue<string>();

    private static async Task<HttpResponseMessage> AppendAsync(HttpClient http, string logUrl)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var digest = SHA256.HashData(RandomNumberGenerator.GetBytes(32));
        var request = new JsonObject
        {
            ["hashedRekordRequestV002"] = new JsonObject
            {
                ["digest"] = Convert.ToBase64String(digest),
                ["signature"] = new JsonObject
                {
                    ["content"] = Convert.ToBase64String(key.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence)),
                    ["verifier"] = new JsonObject
                    {
                        ["publicKey"] = new JsonObject { ["rawBytes"] = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()) },
                        ["keyDetails"] = "PKIX_ECDSA_P256_SHA_256",
                    },
                },
            },
        };
        return await http.PostAsync(new Uri(logUrl + "/api/v2/log/entries"), new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json"), Ct);
    }

    private static bool CosignedBy(string note, string vkey)
    {
        var (name, key) = Cosignature.ParseVerifierKey(vkey);
        var parsed = SignedNote.Parse(note);
        return parsed.Signatures.Any(s => Cosignature.Verify(s, name, key, parsed.Text, out _));
    }

    [Fact]
    public async Task The_log_publishes_witnessed_checkpoints_and_psig_accepts_them_under_a_witness_policy()
    {
        using var http = new HttpClient();
        await using var witness = await StartWitnessAsync("witness-a");
        var witnessUrl = Address(witness);
        var vkey = await VerifierKeyAsync(http, witnessUrl);
        await using var log = await StartLogAsync("witnessed-log", new CheckpointWitnessOptions { Witnesses = [new WitnessTarget { Url = witnessUrl, VerifierKey = vkey }] });
        var logUrl = Address(log);

        // Three entries: the witness sees old size 0, then consistency proofs from the size it last cosigned.
        var signed = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var artifact = v2.NewFile($"witnessed-{i}.txt", $"witnessed {i}\n");
            var sign = await Psig.RunAsync("sign-blob", artifact, "--key", v2.KeyPath, "--rekor-url", logUrl, "--rekor-version", "2", "--tsa-url", v2.TsaUrl);
            Assert.True(sign.ExitCode == 0, sign.Error);
            signed.Add(artifact);
            var entry = JsonNode.Parse(await File.ReadAllTextAsync(artifact + ".sigstore.json", Ct))!["verificationMaterial"]!["tlogEntries"]![0]!;
            Assert.True(CosignedBy(entry["inclusionProof"]!["checkpoint"]!["envelope"]!.GetValue<string>(), vkey), "the entry's checkpoint lacks the witness's cosignature");
        }
        var head = await http.GetStringAsync(new Uri(logUrl + "/api/v2/checkpoint"), Ct);
        Assert.True(CosignedBy(head, vkey), head);
        Assert.Equal(3UL, SignedCheckpoint.Parse(head).Checkpoint.Size);
        var status = JsonNode.Parse(await http.GetStringAsync(new Uri(witnessUrl + "/api/v1/witness"), Ct))!["logs"]![0]!;
        Assert.Equal(3UL, status["size"]!.GetValue<ulong>());

        // psig: a policy that needs this witness accepts every bundle as the log wrote it (no hand-added cosignature).
        var policy = v2.NewFile("log-witness.policy", $"witness w {vkey}\nquorum w\n");
        foreach (var artifact in signed)
        {
            var verify = await Psig.RunAsync("verify-blob", artifact, "--key", v2.PublicKeyPath, "--trusted-root", v2.TrustedRootPath, "--witness-policy", policy);
            Assert.True(verify.ExitCode == 0, verify.Error);
        }
    }

    [Fact]
    public async Task Failing_closed_without_the_witness_answers_503_and_keeps_the_last_witnessed_checkpoint()
    {
        using var http = new HttpClient();
        var witness = await StartWitnessAsync("witness-b");
        var witnessUrl = Address(witness);
        var vkey = await VerifierKeyAsync(http, witnessUrl);
        await using var log = await StartLogAsync("closed-log", new CheckpointWitnessOptions
        {
            Witnesses = [new WitnessTarget { Url = witnessUrl, VerifierKey = vkey }],
            Threshold = 1,
            Timeout = TimeSpan.FromSeconds(2),
        });
        var logUrl = Address(log);
        using (var first = await AppendAsync(http, logUrl)) Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var witnessed = await http.GetStringAsync(new Uri(logUrl + "/api/v2/checkpoint"), Ct);
        Assert.True(CosignedBy(witnessed, vkey));

        await witness.StopAsync(Ct);
        await witness.DisposeAsync();
        using var refused = await AppendAsync(http, logUrl);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("witness policy needs 1 (fail closed)", await refused.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        Assert.NotNull(refused.Headers.RetryAfter);
        // The entry is in the tree, but the published checkpoint is still the witnessed one.
        Assert.Equal(witnessed, await http.GetStringAsync(new Uri(logUrl + "/api/v2/checkpoint"), Ct));
    }

    [Fact]
    public async Task Failing_open_publishes_without_the_cosignature()
    {
        using var http = new HttpClient();
        var witness = await StartWitnessAsync("witness-c");
        var witnessUrl = Address(witness);
        var vkey = await VerifierKeyAsync(http, witnessUrl);
        await witness.StopAsync(Ct);
        await witness.DisposeAsync();
        await using var log = await StartLogAsync("open-log", new CheckpointWitnessOptions
        {
            Witnesses = [new WitnessTarget { Url = witnessUrl, VerifierKey = vkey }],
            FailOpen = true,
            Timeout = TimeSpan.FromSeconds(2),
        });
        var logUrl = Address(log);
        using (var first = await AppendAsync(http, logUrl)) Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var head = await http.GetStringAsync(new Uri(logUrl + "/api/v2/checkpoint"), Ct);
        Assert.Equal(1UL, SignedCheckpoint.Parse(head).Checkpoint.Size);
        Assert.False(CosignedBy(head, vkey));
    }

    [Fact]
    public void A_bad_witness_policy_fails_at_start_up_naming_the_setting()
    {
        var e = Assert.Throws<ArgumentException>(() => new RekorV2Options
        {
            Witnessing = new CheckpointWitnessOptions { Witnesses = [new WitnessTarget { Url = "http://127.0.0.1:1", VerifierKey = "not-a-key" }] },
        }.Validate());
        Assert.StartsWith("RekorV2:Witnessing:Witnesses:0:VerifierKey", e.Message, StringComparison.Ordinal);
        var threshold = Assert.Throws<ArgumentException>(() => new RekorV2Options
        {
            Witnessing = new CheckpointWitnessOptions { Threshold = 2, Witnesses = [new WitnessTarget { Url = "http://127.0.0.1:1", VerifierKey = Cosignature.VerifierKey("w", new byte[32]) }] },
        }.Validate());
        Assert.Contains("Threshold must be in 0..1", threshold.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_monitor_shown_a_fork_feeds_it_to_the_witness_and_alerts_split_view_when_the_witness_refuses()
    {
        using var http = new HttpClient();
        await using var witness = await StartWitnessAsync("witness-d");
        var witnessUrl = Address(witness);
        var vkey = await VerifierKeyAsync(http, witnessUrl);
        // The honest view, cosigned by the witness through the log's own witnessing; the fork: same key and origin, another tree of the same size.
        await using var honest = await StartLogAsync("honest-log", new CheckpointWitnessOptions { Witnesses = [new WitnessTarget { Url = witnessUrl, VerifierKey = vkey }] });
        await using var fork = await StartLogAsync("forked-log", new CheckpointWitnessOptions());
        using (var a = await AppendAsync(http, Address(honest))) Assert.Equal(HttpStatusCode.Created, a.StatusCode);
        using (var b = await AppendAsync(http, Address(fork))) Assert.Equal(HttpStatusCode.Created, b.StatusCode);
        var honestHead = await http.GetStringAsync(new Uri(Address(honest) + "/api/v2/checkpoint"), Ct);

        // A monitor that only ever sees the fork (a client the log singled out) shows it to the witness.
        var keyPath = v2.NewFile("fork-log.pub.pem", Core.Pem.GoPem.EncodePublicKey(v2.Trust.SubjectPublicKeyInfo));
        await using var monitor = await MonitorApp.BuildAsync(new MonitorOptions
        {
            DataDirectory = Directory.CreateDirectory(Path.Combine(v2.Directory, "monitor-d")).FullName,
            PollIntervalMilliseconds = 100,
            Logs = [new MonitoredLogOptions { Kind = MonitoredLogKind.RekorV2, Url = Address(fork), PublicKeyPath = keyPath, Origin = v2.Trust.Origin }],
            Witnesses = [witnessUrl],
        }, configure: Loopback, cancellationToken: Ct);
        await monitor.StartAsync(Ct);
        var monitorUrl = Address(monitor);
        JsonNode? alert = null;
        for (var i = 0; i < 100 && alert is null; i++)
        {
            alert = JsonNode.Parse(await http.GetStringAsync(new Uri(monitorUrl + "/api/v1/alerts"), Ct))!.AsArray().FirstOrDefault(x => x!["kind"]!.GetValue<string>() == "split-view");
            if (alert is null) await Task.Delay(100, Ct);
        }
        Assert.True(alert is not null, "the monitor raised no split-view alert");
        Assert.Contains("HTTP 422", alert!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var evidence = alert["evidence"]!;
        Assert.Equal(await http.GetStringAsync(new Uri(Address(fork) + "/api/v2/checkpoint"), Ct), evidence["current"]!.GetValue<string>());
        // The witness's own view is the honest checkpoint, with its cosignature.
        Assert.StartsWith(SignedNote.Parse(honestHead).Text, evidence["witnessCheckpoint"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.True(CosignedBy(evidence["witnessCheckpoint"]!.GetValue<string>(), vkey));
    }

    [Fact]
    public async Task Rekor_v1_gets_its_ecdsa_checkpoints_cosigned_and_serves_them_in_entries_and_log_info()
    {
        using var http = new HttpClient();
        // The log's key is known up front, so the witness can be told the log (origin "<host> - <tree ID>", ECDSA note key).
        var dir = Directory.CreateDirectory(Path.Combine(v2.Directory, "rekor-v1-witnessed")).FullName;
        using var logKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keyPath = Path.Combine(dir, "log-key.pem");
        await File.WriteAllTextAsync(keyPath, logKey.ExportPkcs8PrivateKeyPem(), Ct);
        var spki = logKey.ExportSubjectPublicKeyInfo();
        var origin = $"127.0.0.1 - {RekorApp.DeriveTreeId(spki)}";
        await using var witness = await WitnessApp.BuildAsync(new WitnessOptions
        {
            DataDirectory = Directory.CreateDirectory(Path.Combine(v2.Directory, "witness-v1")).FullName,
            Logs = [new WitnessLogOptions { Origin = origin, VerifierKey = NoteVerifierKeys.FormatEcdsa("127.0.0.1", spki) }],
        }, configure: Loopback, cancellationToken: Ct);
        await witness.StartAsync(Ct);
        var witnessUrl = Address(witness);
        var vkey = await VerifierKeyAsync(http, witnessUrl);
        await using var log = await RekorApp.BuildAsync(new RekorOptions
        {
            DataDirectory = dir,
            Hostname = "127.0.0.1",
            Key = new SigningKeyOptions { Provider = "PemFile", KeyPath = keyPath, Algorithm = Core.Crypto.SigningAlgorithm.EcdsaP256Sha256 },
            Witnessing = new CheckpointWitnessOptions { Witnesses = [new WitnessTarget { Url = witnessUrl, VerifierKey = vkey }] },
        }, Loopback, Ct);
        await log.StartAsync(Ct);
        var logUrl = Address(log);

        for (var i = 0; i < 2; i++)
        {
            var artifact = v2.NewFile($"v1-witnessed-{i}.txt", $"v1 witnessed {i}\n");
            var sign = await Psig.RunAsync("sign-blob", artifact, "--key", v2.KeyPath, "--rekor-url", logUrl, "--rekor-version", "1");
            Assert.True(sign.ExitCode == 0, sign.Error);
            var entry = JsonNode.Parse(await File.ReadAllTextAsync(artifact + ".sigstore.json", Ct))!["verificationMaterial"]!["tlogEntries"]![0]!;
            Assert.True(CosignedBy(entry["inclusionProof"]!["checkpoint"]!["envelope"]!.GetValue<string>(), vkey), "the v1 entry's checkpoint lacks the witness's cosignature");
        }
        var head = JsonNode.Parse(await http.GetStringAsync(new Uri(logUrl + "/api/v1/log"), Ct))!["signedTreeHead"]!.GetValue<string>();
        Assert.True(CosignedBy(head, vkey), head);
        Assert.StartsWith(origin + "\n2\n", head, StringComparison.Ordinal);
    }
}
