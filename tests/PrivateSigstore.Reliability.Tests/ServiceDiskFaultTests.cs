using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PrivateSigstore.Client.Rekor;
using PrivateSigstore.Client.Signing;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Reliability.Tests;

/// <summary>
/// The CT log, Rekor v2, the witness, Identity (all on SQLite or state files) and the TSA with their data directories on
/// one small tmpfs (mounted by the test: root, as in CI), each under 4 writers at once: the disk fills up, then is freed;
/// then each is started on the file system remounted read-only. A stateful service must refuse writes with 503 (never
/// another 5xx, never a 4xx to a valid request) while the disk is full, log why, keep everything it acknowledged and
/// carry on once there is room; on a read-only data directory it must exit 1 with one line, no stack trace.
/// </summary>
public sealed class ServiceDiskFaultTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(20) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Ct_log_rekor_v2_witness_and_identity_answer_503_on_a_full_disk_refuse_a_read_only_one_and_lose_nothing()
    {
        var mount = Directory.CreateTempSubdirectory("psig-disk2-").FullName;
        await DiskFaultTests.RunAsync("mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", mount]);
        var services = new List<ServiceProcess>();
        try
        {
            // CT log.
            using var ca = new CtTestCa();
            var ctData = Path.Combine(mount, "ct");
            Directory.CreateDirectory(ctData);
            var ct = CtLogState.Create(ctData, ca.Root.ExportCertificatePem() + "\n", ca);

            // Rekor v2.
            string[] rekorArgs = ["v2", "serve", $"--RekorV2:DataDirectory={Path.Combine(mount, "rekor-v2")}"];
            var signers = Enumerable.Range(0, KillLoop.Writers).Select(_ => new SignerMaterial(InMemorySigningKey.Generate(Core.Crypto.SigningAlgorithm.EcdsaP256Sha256))).ToArray();
            var rekorAcked = new ConcurrentDictionary<long, TransparencyLogEntry>();

            // Witness, with one test log per writer.
            var logs = Enumerable.Range(0, KillLoop.Writers).Select(i => new WitnessCrashTests.TestLog($"disk.test/log{i}")).ToArray();
            List<string> witnessArgs = [$"--Witness:DataDirectory={Path.Combine(mount, "witness")}"];
            for (var i = 0; i < logs.Length; i++)
            {
                witnessArgs.Add($"--Witness:Logs:{i}:Origin={logs[i].Origin}");
                witnessArgs.Add($"--Witness:Logs:{i}:VerifierKey={logs[i].Signer.Verifier.VerifierKey}");
            }

            // Identity, with one workload client per writer.
            var identityStore = Path.Combine(mount, "identity");
            string[] identityArgs = [$"--Identity:DataDirectory={identityStore}", "--RateLimits:token:PermitLimit=0"];
            var tokens = new ConcurrentBag<(int Writer, string Token)>();

            // TSA (nothing written per request: it must simply keep answering).
            string[] tsaArgs = [$"--Timestamp:DataDirectory={Path.Combine(mount, "tsa")}"];

            var ctLog = await ServiceProcess.StartAsync("CtLog", ct.Args, ctData);
            services.Add(ctLog);
            var rekor = await ServiceProcess.StartAsync("Rekor", rekorArgs, mount);
            services.Add(rekor);
            var witness = await ServiceProcess.StartAsync("Witness", witnessArgs, mount);
            services.Add(witness);
            var tsa = await ServiceProcess.StartAsync("Timestamp", tsaArgs, mount);
            services.Add(tsa);
            var identity = await ServiceProcess.StartAsync("Identity", identityArgs, mount);
            services.Add(identity);
            var secrets = new string[KillLoop.Writers];
            for (var w = 0; w < secrets.Length; w++)
            {
                var (output, _) = await IdentityCrashTests.AdminAsync(mount, identityStore, "clients", "add", $"disk-writer-{w}", "--subject", $"workload-{w}", "--email", $"workload-{w}@example.com", "--email-verified", "--audience", "sigstore");
                secrets[w] = output.Split('\n').Single(l => l.StartsWith("client secret (shown once): ", StringComparison.Ordinal))["client secret (shown once): ".Length..].Trim();
            }

            var witnessMatch = WitnessCrashTests.VerifierKeyLine().Match(witness.Output);
            Assert.True(witnessMatch.Success, witness.Output);
            var witnessKey = (Name: witnessMatch.Groups[1].Value, Key: Convert.FromBase64String(witnessMatch.Groups[2].Value)[1..]);
            var witnessGate = logs.Select(_ => new SemaphoreSlim(1, 1)).ToArray();

            var statuses = new ConcurrentDictionary<string, int>();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            int Count(string key) => statuses.GetValueOrDefault(key);

            Task[] Writers(string name, Func<int, CancellationToken, Task> write) => [.. Enumerable.Range(0, KillLoop.Writers).Select(w => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        await write(w, stop.Token);
                        statuses.AddOrUpdate($"{name} 2xx", 1, (_, n) => n + 1);
                    }
                    catch (Exception e) when (e is HttpRequestException { StatusCode: not null } or Client.ServiceClientException { StatusCode: not 0 })
                    {
                        var code = e is HttpRequestException h ? (int)h.StatusCode!.Value : ((Client.ServiceClientException)e).StatusCode;
                        statuses.AddOrUpdate($"{name} {code}", 1, (_, n) => n + 1);
                        await Task.Delay(50, CancellationToken.None);
                    }
                    catch (OperationCanceledException) when (stop.IsCancellationRequested)
                    {
                        return;
                    }
                }
            }))];

            async Task RekorWrite(int w, CancellationToken token)
            {
                var artifact = RandomNumberGenerator.GetBytes(64);
                var entry = await new RekorV2Client(Http, rekor.BaseUrl).LogMessageSignatureAsync(signers[w], Core.Bundle.HashAlgorithm.Sha2_256, SHA256.HashData(artifact), signers[w].Key.Sign(artifact), token);
                rekorAcked[entry.LogIndex] = entry;
            }

            async Task WitnessWrite(int w, CancellationToken token)
            {
                await witnessGate[w].WaitAsync(token);
                try
                {
                    var log = logs[w];
                    var (size, signed) = log.Grow();
                    var body = AddCheckpointRequest.Format(log.KnownSize, log.KnownSize == 0 ? [] : log.ConsistencyProof(log.KnownSize, size), signed.Serialize());
                    using var response = await Http.PostAsync(new Uri(witness.BaseUrl, "add-checkpoint"), new StringContent(body, Encoding.UTF8, "text/plain"), token);
                    var text = await response.Content.ReadAsStringAsync(token);
                    if (response.StatusCode == HttpStatusCode.Conflict)
                    {
                        var known = ulong.Parse(text.Trim(), System.Globalization.CultureInfo.InvariantCulture);
                        Assert.True(known >= log.AckedSize && known <= size, $"{log.Origin}: the witness knows size {known}, but cosigned {log.AckedSize}");
                        log.KnownSize = known;
                        throw new HttpRequestException("409", null, HttpStatusCode.Conflict);
                    }

                    if (response.StatusCode != HttpStatusCode.OK)
                    {
                        throw new HttpRequestException($"{(int)response.StatusCode} {text}", null, response.StatusCode);
                    }

                    var note = SignedNote.Parse(signed.Note.Text + "\n" + text);
                    var cosignature = Assert.Single(note.Signatures, s => s.Name == witnessKey.Name);
                    Assert.True(Cosignature.Verify(cosignature, witnessKey.Name, witnessKey.Key, signed.Note.Text, out _), "the cosignature does not verify");
                    log.KnownSize = size;
                    log.AckedSize = size;
                }
                finally
                {
                    witnessGate[w].Release();
                }
            }

            async Task IdentityWrite(int w, CancellationToken token)
            {
                var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = $"disk-writer-{w}", ["client_secret"] = secrets[w] });
                using var response = await Http.PostAsync(new Uri(identity.BaseUrl, "connect/token"), form, token);
                var text = await response.Content.ReadAsStringAsync(token);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw new HttpRequestException($"{(int)response.StatusCode} {text}", null, response.StatusCode);
                }

                tokens.Add((w, JsonNode.Parse(text)!["id_token"]!.GetValue<string>()));
            }

            async Task TsaWrite(int w, CancellationToken token) =>
                await new Client.Timestamp.TimestampClient(Http, new Uri(tsa.BaseUrl, "api/v1/timestamp")).TimestampAsync(RandomNumberGenerator.GetBytes(64), token);

            string[] stateful = ["ct", "rekor-v2", "witness", "identity"];
            var writers = Writers("ct", (w, token) => ct.WriteAsync(ctLog, w, token))
                .Concat(Writers("rekor-v2", RekorWrite)).Concat(Writers("witness", WitnessWrite))
                .Concat(Writers("identity", IdentityWrite)).Concat(Writers("tsa", TsaWrite)).ToArray();
            string Answers() => string.Join(", ", statuses.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}×{kv.Value}"));
            try
            {
                await WaitForAsync(() => stateful.Append("tsa").All(s => Count($"{s} 2xx") > 10), "writes succeed", Answers, services);

                // Full: every stateful service refuses with 503.
                var filler = Path.Combine(mount, "filler");
                await DiskFaultTests.FillAsync(filler);
                var before = stateful.ToDictionary(s => s, s => Count($"{s} 503"));
                await WaitForAsync(() => stateful.All(s => Count($"{s} 503") > before[s] + 3), "every stateful service answers 503 on the full disk", Answers, services);

                // Room again: they all carry on.
                File.Delete(filler);
                var ok = stateful.ToDictionary(s => s, s => Count($"{s} 2xx"));
                await WaitForAsync(() => stateful.All(s => Count($"{s} 2xx") > ok[s] + 10), "writes succeed again once there is room", Answers, services);
            }
            finally
            {
                await stop.CancelAsync();
                await Task.WhenAll(writers.Select(w => w.ContinueWith(_ => { }, TaskScheduler.Default)));
            }

            await Task.WhenAll(writers);
            var answers = Answers();
            var bad = statuses.Keys.Where(k => !k.EndsWith(" 2xx", StringComparison.Ordinal) && !k.EndsWith(" 503", StringComparison.Ordinal) && k != "witness 409").ToList();
            Assert.True(bad.Count == 0, $"answers: {answers}\n{string.Join("\n", services.Select(s => s.Output))}");
            foreach (var (name, service) in new[] { ("ct", ctLog), ("rekor-v2", rekor), ("witness", witness), ("identity", identity) })
            {
                // One clear line in the log (not a 500's stack trace per request).
                var at = service.Output.IndexOf("An unhandled exception has occurred", StringComparison.Ordinal);
                Assert.True(at < 0, $"{name}: {(at < 0 ? "" : service.Output.Substring(Math.Max(0, at - 300), Math.Min(3000, service.Output.Length - Math.Max(0, at - 300))))}");
            }

            // Nothing acknowledged is lost, also after a restart on the same data.
            foreach (var s in services)
            {
                await s.KillAsync();
            }

            ctLog = await ServiceProcess.StartAsync("CtLog", ct.Args, ctData);
            services.Add(ctLog);
            await ct.VerifyAllAsync(ctLog);
            rekor = await ServiceProcess.StartAsync("Rekor", rekorArgs, mount);
            services.Add(rekor);
            var v2 = new RekorV2Client(Http, rekor.BaseUrl);
            var latest = SignedCheckpoint.Parse(await v2.GetCheckpointAsync(Ct)).Checkpoint;
            var reader = new TiledLogReader(v2, latest.Size);
            foreach (var (index, entry) in rekorAcked)
            {
                Assert.Equal(entry.CanonicalizedBody, await reader.GetEntryAsync((ulong)index, Ct));
            }

            witness = await ServiceProcess.StartAsync("Witness", witnessArgs, mount);
            services.Add(witness);
            foreach (var log in logs.Where(l => l.AckedSize > 0))
            {
                var held = SignedCheckpoint.Parse(await Http.GetStringAsync(new Uri(witness.BaseUrl, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(log.Origin))) + "/checkpoint"), Ct)).Checkpoint;
                Assert.True(held.Size >= log.AckedSize, $"{log.Origin}: the witness forgot size {log.AckedSize} (holds {held.Size})");
                Assert.Equal(log.RootAt(held.Size), held.RootHash);
            }

            identity = await ServiceProcess.StartAsync("Identity", identityArgs, mount);
            services.Add(identity);
            var keys = JsonNode.Parse(await Http.GetStringAsync(new Uri(identity.BaseUrl, ".well-known/jwks"), Ct))!["keys"]!.AsArray();
            foreach (var (w, token) in tokens)
            {
                Assert.Equal($"workload-{w}", IdentityCrashTests.VerifyJwt(token, keys)["sub"]!.GetValue<string>());
            }

            foreach (var s in services)
            {
                await s.KillAsync();
            }

            // Read-only: each stateful service refuses to start with one line and exit code 1.
            await DiskFaultTests.RunAsync("mount", ["-o", "remount,ro", mount]);
            var readOnly = await Task.WhenAll(
                DiskFaultTests.RunServiceOnceAsync("CtLog", ct.Args, ctData),
                DiskFaultTests.RunServiceOnceAsync("Rekor", rekorArgs, mount),
                DiskFaultTests.RunServiceOnceAsync("Witness", witnessArgs, mount),
                DiskFaultTests.RunServiceOnceAsync("Identity", identityArgs, mount));
            foreach (var (name, (exit, output)) in new[] { "CT log", "Rekor v2", "witness", "Identity" }.Zip(readOnly))
            {
                Assert.True(exit == 1, $"{name} on a read-only data directory: exit code {exit}:\n{output}");
                Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
                Assert.Contains("error: cannot open", output, StringComparison.Ordinal);
                Assert.DoesNotContain("in use by another", output, StringComparison.Ordinal); // the witness said so for a read-only disk
            }

            await DiskFaultTests.RunAsync("mount", ["-o", "remount,rw", mount]);
            Report.Line($"CT log, Rekor v2, witness, Identity and TSA on one 16 MiB tmpfs, 4 writers each: disk full, then freed: answers {answers}; {ct.Acked.Count} SCTs, {rekorAcked.Count} Rekor v2 entries, {logs.Sum(l => (long)l.AckedSize)} witnessed leaves and {tokens.Count} tokens acknowledged, all present after a restart; on the file system remounted read-only each stateful service exits 1 with one line: " + string.Join(" | ", readOnly.Select(r => r.Output.Split('\n').FirstOrDefault(l => l.StartsWith("error:", StringComparison.Ordinal)) ?? "?")));
        }
        finally
        {
            foreach (var s in services)
            {
                await s.DisposeAsync();
            }

            await DiskFaultTests.RunAsync("umount", ["-l", mount]);
            Directory.Delete(mount, recursive: true);
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, string what, Func<string> answers, IEnumerable<ServiceProcess> services)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what} (answers: {answers()})\n{string.Join("\n", services.Select(s => $"--- {s.Service}\n{s.Output}"))}");
            await Task.Delay(50, Ct);
        }
    }
}
