using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Core.Ct;

namespace PrivateSigstore.Reliability.Tests;

/// <summary>
/// The CA (Fulcio, embedded SCTs) and its CT log as two processes: the CA SIGKILLed under 4 writers 10 times, the CT log
/// SIGKILLed too in every third round while the CA is writing to it.
/// </summary>
public sealed class FulcioCrashTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Ca_survives_ten_sigkills_and_every_acknowledged_certificate_chains_to_its_root_with_an_SCT_whose_precertificate_is_logged()
    {
        var data = Directory.CreateTempSubdirectory("psig-crash-fulcio-").FullName;
        await using var idp = await OidcIssuer.StartAsync();
        var issuers = Path.Combine(data, "issuers.json");
        File.WriteAllText(issuers, new JsonObject { ["OIDCIssuers"] = new JsonObject { [idp.BaseUrl] = new JsonObject { ["IssuerURL"] = idp.BaseUrl, ["ClientID"] = "sigstore", ["Type"] = "email" } } }.ToJsonString());
        List<string> args = [$"--Fulcio:DataDirectory={Path.Combine(data, "fulcio")}", $"--Fulcio:ConfigPath={issuers}", "--Fulcio:AllowHttpIssuers=true"];

        // First start without a CT log: the CA creates its (development) chain; the CT log is then set up to trust its root.
        string bundle;
        await using (var first = await ServiceProcess.StartAsync("Fulcio", args, data))
        {
            bundle = await Http.GetStringAsync(new Uri(first.BaseUrl, "api/v2/trustBundle"), Ct);
        }

        var chainPems = JsonNode.Parse(bundle)!["chains"]![0]!["certificates"]!.AsArray().Select(c => c!.GetValue<string>()).ToArray();
        using var root = X509Certificate2.CreateFromPem(chainPems[^1]);
        var ct = CtLogState.Create(data, root.ExportCertificatePem() + "\n");
        var ctKeyPath = Path.Combine(data, "ctlog-public.pem");
        File.WriteAllText(ctKeyPath, ct.Key.ExportSubjectPublicKeyInfoPem());
        ServiceProcess? ctLog = null;
        var ctKills = 0;
        Task ctKill = Task.CompletedTask;
        var run = 0;
        var runAcks = 0;
        var certificates = new ConcurrentBag<(X509Certificate2 Leaf, X509Certificate2[] Chain, SignedCertificateTimestamp Sct)>();

        async Task<ServiceProcess> StartAsync()
        {
            // A CT log kill scheduled in the last round happens (at the latest when that round's CA dies) before this start.
            await ctKill;
            if (ctLog is null || ctLog.HasExited)
            {
                if (ctLog is not null)
                {
                    await ctLog.DisposeAsync();
                }

                ctLog = await ct.StartAsync();
                await ct.CheckAsync(ctLog);
            }

            var fulcio = await ServiceProcess.StartAsync("Fulcio", [.. args, $"--Fulcio:CtLog:Url={ctLog.BaseUrl}", $"--Fulcio:CtLog:PublicKeyPath={ctKeyPath}", "--Fulcio:CtLog:Mode=Embedded"], data);
            if (++run % 3 == 0)
            {
                // This round the CT log dies too, under load: after the CA's 5th acknowledged certificate of the run.
                var log = ctLog;
                var from = Volatile.Read(ref runAcks);
                ctKill = Task.Run(async () =>
                {
                    while (Volatile.Read(ref runAcks) < from + 5 && !fulcio.HasExited)
                    {
                        await Task.Delay(10, CancellationToken.None);
                    }

                    await log.KillAsync();
                    Interlocked.Increment(ref ctKills);
                }, CancellationToken.None);
            }

            return fulcio;
        }

        async Task CheckAsync(ServiceProcess fulcio)
        {
            // The restarted CA serves the same chain.
            Assert.Equal(bundle, await Http.GetStringAsync(new Uri(fulcio.BaseUrl, "api/v2/trustBundle"), Ct));
        }

        async Task WriteAsync(ServiceProcess fulcio, int writer, CancellationToken token)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var subject = $"writer-{writer}";
            var body = new JsonObject
            {
                ["credentials"] = new JsonObject { ["oidcIdentityToken"] = idp.Mint(subject, $"{subject}@example.com") },
                ["publicKeyRequest"] = new JsonObject
                {
                    ["publicKey"] = new JsonObject { ["content"] = key.ExportSubjectPublicKeyInfoPem() },
                    ["proofOfPossession"] = Convert.ToBase64String(key.SignData(Encoding.UTF8.GetBytes(subject), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)),
                },
            };
            using var response = await Http.PostAsync(new Uri(fulcio.BaseUrl, "api/v2/signingCert"), new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), token);
            var text = await response.Content.ReadAsStringAsync(token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                // The CA refuses (500/503) while its CT log is down; it never issues a certificate without an SCT.
                Assert.True((int)response.StatusCode >= 500, $"{(int)response.StatusCode} {text}");
                throw new HttpRequestException($"{(int)response.StatusCode}");
            }

            var pems = JsonNode.Parse(text)!["signedCertificateEmbeddedSct"]!["chain"]!["certificates"]!.AsArray().Select(c => c!.GetValue<string>()).ToArray();
            var leaf = X509Certificate2.CreateFromPem(pems[0]);
            var sct = Assert.Single(SctList.FromExtension(leaf.Extensions[SigstoreOids.SctList]!));
            X509Certificate2[] chain = [.. pems[1..].Select(p => X509Certificate2.CreateFromPem(p))];
            var issuerSpki = chain[0].PublicKey.ExportSubjectPublicKeyInfo();
            Assert.True(SctVerification.VerifyEmbedded(leaf.RawData, issuerSpki, sct, ct.Key), "the embedded SCT of an acknowledged certificate does not verify");

            // What the CT log promised: the precertificate entry (the final TBS without the SCT list, the issuer's key hash).
            ct.Acked.Enqueue((sct, MerkleTreeLeaf.ForPrecert(sct.Timestamp, SHA256.HashData(issuerSpki), Precertificate.GetTbsWithoutSctList(leaf.RawData), []).Serialize()));
            certificates.Add((leaf, chain, sct));
            Interlocked.Increment(ref runAcks);
        }

        var loop = new KillLoop { Start = StartAsync, Check = CheckAsync, Write = WriteAsync };
        var (kills, acked, failed, took) = await loop.RunAsync();

        // Last: the CT log (restarted if it died) holds every acknowledged precertificate; every certificate chains to the root.
        var verify = System.Diagnostics.Stopwatch.StartNew();
        await ctKill;
        if (ctLog!.HasExited)
        {
            await ctLog.DisposeAsync();
            ctLog = await ct.StartAsync();
        }

        await ct.VerifyAllAsync(ctLog);
        foreach (var (leaf, chain, _) in certificates)
        {
            using var build = new X509Chain { ChainPolicy = { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck, VerificationTime = leaf.NotBefore.AddSeconds(1) } };
            build.ChainPolicy.CustomTrustStore.Add(root);
            build.ChainPolicy.ExtraStore.AddRange(chain);
            Assert.True(build.Build(leaf), "an acknowledged certificate does not chain to the CA root: " + string.Join(", ", build.ChainStatus.Select(s => s.StatusInformation)));
            Assert.True(chain[^1].RawData.AsSpan().SequenceEqual(root.RawData), "a certificate came with another root");
        }

        await ctLog.DisposeAsync();
        Report.Line($"CA (Fulcio + CT log): {kills} CA kills and {ctKills} CT log kills, {acked} acknowledged certificates all chain to the CA root with an embedded SCT that verifies, and the CT log holds every precertificate ({ct.Sths.Count} STHs consistent), {failed} requests cut or refused, {took.TotalSeconds:F1} s + {verify.Elapsed.TotalSeconds:F1} s to verify");
        Report.Line(string.Join("\n", loop.Timings));
        Assert.True(acked >= 20, $"only {acked} certificates acknowledged");
        Directory.Delete(data, recursive: true);
    }
}
