using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;

namespace PrivateSigstore.Reliability.Tests;

/// <summary>
/// Rekor v1, the CT log and Identity on one PostgreSQL cluster of their own (a database each), the CT log and Identity
/// under 4 writers each: the database is stopped, started, restarted (<c>-m fast</c>). While it is down every service's
/// <c>/readyz</c> says so (503) within a few seconds and writes are refused with 503 (never another 5xx); once it is back
/// readiness recovers, writes succeed again, and everything acknowledged is still there and verifies.
/// </summary>
public sealed class DatabaseOutageTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(20) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Readiness_follows_the_database_and_ct_log_and_identity_answer_503_while_it_is_down_and_lose_nothing()
    {
        await using var pg = await PostgresCluster.StartAsync();
        foreach (var db in new[] { "rekor", "ctlog", "identity" })
        {
            await pg.CreateDatabaseAsync(db);
        }

        var data = Directory.CreateTempSubdirectory("psig-db-outage-").FullName;
        var clock = Stopwatch.StartNew();

        // The CT log (its state class checks SCTs, STHs and entries) and Rekor v1 on their own databases.
        using var ca = new CtTestCa();
        var ctData = Path.Combine(data, "ct");
        Directory.CreateDirectory(ctData);
        var ct = CtLogState.Create(ctData, ca.Root.ExportCertificatePem() + "\n", ca);
        string[] ctArgs = [.. ct.Args, "--CtLog:Storage=Postgres", $"--CtLog:PostgresConnectionString={pg.ConnectionStringFor("ctlog")}"];
        string[] rekorArgs = [$"--Rekor:DataDirectory={Path.Combine(data, "rekor")}", "--Rekor:Storage=Postgres", $"--Rekor:PostgresConnectionString={pg.ConnectionStringFor("rekor")}"];

        // Identity: its store in PostgreSQL, 4 workload clients added with the admin command on the same store.
        var identityStore = Path.Combine(data, "identity");
        var identityEnv = new Dictionary<string, string> { ["Identity__Storage"] = "Postgres", ["Identity__PostgresConnectionString"] = pg.ConnectionStringFor("identity") };
        // No per-address token limit (on by default, 300/min): the 4 writers all come from 127.0.0.1.
        string[] identityArgs = [$"--Identity:DataDirectory={identityStore}", "--RateLimits:token:PermitLimit=0"];

        await using var ctLog = await ServiceProcess.StartAsync("CtLog", ctArgs, ctData);
        await using var rekor = await ServiceProcess.StartAsync("Rekor", rekorArgs, data);
        await using var identity = await ServiceProcess.StartAsync("Identity", identityArgs, data, identityEnv);
        var secrets = new string[KillLoop.Writers];
        for (var w = 0; w < secrets.Length; w++)
        {
            var (output, _) = await IdentityCrashTests.AdminAsync(data, identityStore, identityEnv, "clients", "add", $"outage-writer-{w}", "--subject", $"workload-{w}", "--email", $"workload-{w}@example.com", "--email-verified", "--audience", "sigstore");
            secrets[w] = output.Split('\n').Single(l => l.StartsWith("client secret (shown once): ", StringComparison.Ordinal))["client secret (shown once): ".Length..].Trim();
        }

        ServiceProcess[] services = [rekor, ctLog, identity];
        foreach (var s in services)
        {
            await WaitForReadyAsync(s, HttpStatusCode.OK, "ready at start");
        }

        var tokens = new ConcurrentBag<(int Writer, string Token)>();
        var statuses = new ConcurrentDictionary<string, int>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        async Task IdentityWriteAsync(int w, CancellationToken token)
        {
            var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["grant_type"] = "client_credentials", ["client_id"] = $"outage-writer-{w}", ["client_secret"] = secrets[w] });
            using var response = await Http.PostAsync(new Uri(identity.BaseUrl, "connect/token"), form, token);
            var text = await response.Content.ReadAsStringAsync(token);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new HttpRequestException($"{(int)response.StatusCode} {text}", null, response.StatusCode);
            }

            tokens.Add((w, JsonNode.Parse(text)!["id_token"]!.GetValue<string>()));
        }

        Task[] Writers(string name, Func<int, CancellationToken, Task> write) => [.. Enumerable.Range(0, KillLoop.Writers).Select(w => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await write(w, stop.Token);
                    statuses.AddOrUpdate($"{name} 200", 1, (_, n) => n + 1);
                }
                catch (HttpRequestException e) when (e.StatusCode is not null)
                {
                    statuses.AddOrUpdate($"{name} {(int)e.StatusCode}", 1, (_, n) => n + 1);
                    if (e.StatusCode != HttpStatusCode.ServiceUnavailable)
                    {
                        TestContext.Current.SendDiagnosticMessage($"{name}: {e.Message}");
                    }

                    await Task.Delay(50, CancellationToken.None);
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
            }
        }))];

        int Count(string key) => statuses.GetValueOrDefault(key);
        var writers = Writers("ct", (w, token) => ct.WriteAsync(ctLog, w, token)).Concat(Writers("identity", IdentityWriteAsync)).ToArray();
        try
        {
            await WaitForAsync(() => Count("ct 200") > 10 && Count("identity 200") > 10, "writes succeed");
            var readinessDown = new List<double>();
            var readinessUp = new List<double>();
            for (var cycle = 0; cycle < 1; cycle++)
            {
                // Down: readiness says so (a failure is cached 1 s, a success no longer than the store check's 1 s), writes get 503.
                await pg.CtlAsync("stop");
                var down = Stopwatch.StartNew();
                var (ct503, id503) = (Count("ct 503"), Count("identity 503"));
                foreach (var s in services)
                {
                    await WaitForReadyAsync(s, HttpStatusCode.ServiceUnavailable, "/readyz says 503 while the database is down", TimeSpan.FromSeconds(8));
                }

                readinessDown.Add(down.Elapsed.TotalSeconds);
                await WaitForAsync(() => Count("ct 503") > ct503 + 3 && Count("identity 503") > id503 + 3, "writes are refused with 503 while the database is down", services);

                // Back: readiness and writes recover.
                await pg.CtlAsync("start");
                var up = Stopwatch.StartNew();
                foreach (var s in services)
                {
                    await WaitForReadyAsync(s, HttpStatusCode.OK, "/readyz is 200 again once the database is back", TimeSpan.FromSeconds(20));
                }

                readinessUp.Add(up.Elapsed.TotalSeconds);
                var (ctOk, idOk) = (Count("ct 200"), Count("identity 200"));
                await WaitForAsync(() => Count("ct 200") > ctOk + 10 && Count("identity 200") > idOk + 10, "writes succeed again once the database is back", services);
                await pg.CtlAsync("restart");
                (ctOk, idOk) = (Count("ct 200"), Count("identity 200"));
                await WaitForAsync(() => Count("ct 200") > ctOk + 10 && Count("identity 200") > idOk + 10, "writes succeed again after pg_ctl restart -m fast", services);
            }

            await stop.CancelAsync();
            await Task.WhenAll(writers);
            var answers = string.Join(", ", statuses.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}×{kv.Value}"));
            Assert.True(statuses.Keys.All(k => k.EndsWith(" 200", StringComparison.Ordinal) || k.EndsWith(" 503", StringComparison.Ordinal)), $"answers while the database restarted: {answers}\n{ctLog.Output}\n{identity.Output}");

            // Nothing acknowledged is lost: every SCT's entry is in the log, every token verifies under the JWKS.
            await ct.VerifyAllAsync(ctLog);
            var keys = JsonNode.Parse(await Http.GetStringAsync(new Uri(identity.BaseUrl, ".well-known/jwks"), Ct))!["keys"]!.AsArray();
            foreach (var (w, token) in tokens)
            {
                Assert.Equal($"workload-{w}", IdentityCrashTests.VerifyJwt(token, keys)["sub"]!.GetValue<string>());
            }

            for (var w = 0; w < secrets.Length; w++)
            {
                var audit = (await IdentityCrashTests.AdminAsync(data, identityStore, identityEnv, "audit", "--client", $"outage-writer-{w}", "--limit", "100000", "--json")).Output;
                var records = audit.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
                Assert.True(records >= tokens.Count(t => t.Writer == w), $"outage-writer-{w}: {tokens.Count(t => t.Writer == w)} tokens acknowledged, {records} audit records");
            }

            Report.Line($"PostgreSQL outage (Rekor v1 + CT log + Identity, 4 writers each on the CT log and Identity): pg_ctl stop, start, restart -m fast, {clock.Elapsed.TotalSeconds:F1} s: answers {answers}; /readyz 503 within {readinessDown.Max():F1} s of the stop, 200 within {readinessUp.Max():F1} s of the start; {ct.Acked.Count} acknowledged SCTs and {tokens.Count} tokens all present and verified");
        }
        finally
        {
            await stop.CancelAsync();
            await Task.WhenAll(writers.Select(w => w.ContinueWith(_ => { }, TaskScheduler.Default)));
        }

        Directory.Delete(data, recursive: true);
    }

    private static async Task WaitForReadyAsync(ServiceProcess service, HttpStatusCode wanted, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(30));
        var last = "";
        while (true)
        {
            try
            {
                using var response = await Http.GetAsync(new Uri(service.BaseUrl, "readyz"), Ct);
                if (response.StatusCode == wanted)
                {
                    return;
                }

                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{service.Service}: timed out waiting until {what} (last answer: {last})");
            await Task.Delay(100, Ct);
        }
    }

    private static async Task WaitForAsync(Func<bool> condition, string what, ServiceProcess[]? services = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}\n{string.Join("\n", services?.Select(s => s.Output) ?? [])}");
            await Task.Delay(50, Ct);
        }
    }
}
