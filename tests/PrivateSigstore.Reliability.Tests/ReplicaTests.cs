using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PrivateSigstore.Reliability.Tests;

/// <summary>
/// Two replicas of a service as two processes on one PostgreSQL database (a cluster of the test's own), as a load
/// balancer spreads clients over them; one is SIGKILLed and the other carries on without loss.
/// </summary>
public sealed partial class ReplicaTests
{
    private const int Writers = 4;
    private const int WritesPerWriter = 12;
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(20) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Two_CT_log_replicas_on_one_PostgreSQL_database_serve_one_tree_and_the_survivor_of_a_SIGKILL_keeps_every_SCT()
    {
        await using var pg = await PostgresCluster.StartAsync();
        var data = Directory.CreateTempSubdirectory("psig-replicas-ctlog-").FullName;
        using var ca = new CtTestCa();
        // One key file for both (in production: the same HSM key or the same mounted secret), one database.
        var log = CtLogState.Create(data, ca.Root.ExportCertificatePem() + "\n", ca, ["--CtLog:Storage=Postgres", $"--CtLog:PostgresConnectionString={pg.ConnectionString}", "--CtLog:RefreshIntervalMilliseconds=250"]);
        Task<ServiceProcess> Start(string replica) => ServiceProcess.StartAsync("CtLog", [.. log.Args, $"--CtLog:DataDirectory={Path.Combine(data, replica)}"], data);

        // Both start at once on the empty database: one creates the schema and the empty tree, the other follows it.
        var started = await Task.WhenAll(Start("a"), Start("b"));
        await using var a = started[0];
        await using var b = started[1];

        // Round 1: four writers alternate between the replicas; every SCT verifies (CtLogState.WriteAsync checks it).
        var failed = await WriteRoundAsync((w, i) => (w + i) % 2 == 0 ? a : b, log.WriteAsync);
        Assert.Equal(0, failed);
        var round1 = log.Acked.Count;

        // Each replica follows the other's appends: within its refresh interval both serve one STH covering all of them.
        var converge = Stopwatch.StartNew();
        var (sizeA, rootA, sizeB, rootB) = await ConvergedSthsAsync(log, a, b, (ulong)round1);
        converge.Stop();
        Assert.Equal((ulong)round1, sizeA);
        Assert.Equal(rootA, rootB);
        // Every SCT, whichever replica issued it, is honoured by both: its entry is in each one's tree (inclusion proof
        // against that replica's STH), and each index serves the same leaf at both.
        await log.VerifyAllAsync(a);
        await log.VerifyAllAsync(b);

        // Round 2: the same writers; replica A is SIGKILLed under load, the writers move to B.
        var kill = Task.Run(async () =>
        {
            while (log.Acked.Count < round1 + (Writers * WritesPerWriter / 3))
            {
                await Task.Delay(10, Ct);
            }

            await a.KillAsync();
        }, Ct);
        failed = await WriteRoundAsync((w, i) => !a.HasExited && (w + i) % 2 == 0 ? a : b, log.WriteAsync);
        await kill;

        // B lost nothing: every SCT either replica acknowledged (before and after the kill) is in B's tree.
        var (sizeAfter, rootAfter) = await log.VerifiedSthAsync(b);
        Assert.True(sizeAfter >= (ulong)log.Acked.Count, $"B's tree has {sizeAfter} entries, {log.Acked.Count} SCTs were acknowledged");
        await log.VerifyAllAsync(b);

        // A comes back (a new process) and serves the same tree, including what B appended while it was gone.
        await using var again = await Start("a");
        var (sizeAgain, rootAgain, _, rootB2) = await ConvergedSthsAsync(log, again, b, sizeAfter);
        Assert.Equal(sizeAfter, sizeAgain);
        Assert.Equal(rootAfter, rootAgain);
        Assert.Equal(rootAfter, rootB2);
        await log.VerifyAllAsync(again);

        Report.Line($"CT log, 2 replicas on one PostgreSQL: {round1} SCTs from both, one tree (both STHs at size {round1} {converge.ElapsedMilliseconds} ms after the last append, refresh interval 250 ms); " +
            $"replica A SIGKILLed under 4 writers, {failed} submissions cut or refused, {log.Acked.Count} acknowledged SCTs all in B's tree (size {sizeAfter}) and in restarted A's, {log.Sths.Count} STHs consistent");
        Directory.Delete(data, recursive: true);
    }

    [Fact]
    public async Task Two_Identity_replicas_on_one_PostgreSQL_database_share_keys_sessions_and_device_codes_and_the_survivor_of_a_SIGKILL_carries_on()
    {
        await using var pg = await PostgresCluster.StartAsync();
        var data = Directory.CreateTempSubdirectory("psig-replicas-identity-").FullName;
        // Both replicas answer for one issuer (the load balancer's URL); nothing else is shared but the database.
        const string Issuer = "http://identity.replicas.test/";
        var environment = new Dictionary<string, string>
        {
            ["Identity__Storage"] = "Postgres",
            ["Identity__PostgresConnectionString"] = pg.ConnectionString,
            ["Identity__Issuer"] = Issuer,
        };
        Task<ServiceProcess> Start(string replica) => ServiceProcess.StartAsync("Identity", [$"--Identity:DataDirectory={Path.Combine(data, replica)}"], data, environment);

        // Both start at once on the empty database: one creates the schema and the shared keys, the other reads them.
        var started = await Task.WhenAll(Start("a"), Start("b"));
        await using var a = started[0];
        await using var b = started[1];
        var jwks = await Http.GetStringAsync(new Uri(a.BaseUrl, ".well-known/jwks"), Ct);
        Assert.Equal(JsonNode.Parse(jwks)!.ToJsonString(), JsonNode.Parse(await Http.GetStringAsync(new Uri(b.BaseUrl, ".well-known/jwks"), Ct))!.ToJsonString());
        var keys = JsonNode.Parse(jwks)!["keys"]!.AsArray();
        Assert.Single(keys);
        Assert.DoesNotContain(Directory.EnumerateFiles(data, "*", SearchOption.AllDirectories), f => f.EndsWith(".pem", StringComparison.Ordinal) || f.EndsWith(".key", StringComparison.Ordinal) || f.EndsWith(".xml", StringComparison.Ordinal));

        var password = Secret(await AdminAsync(data, environment, "users", "add", "pat", "--email", "pat@example.com", "--email-verified"), "password (shown once): ");
        var secret = Secret(await AdminAsync(data, environment, "clients", "add", "replica-builder", "--subject", "https://ci.example.com/builder", "--audience", "sigstore"), "client secret (shown once): ");

        // A workload token from A verifies under B's JWKS (as a Fulcio in front of B would check it).
        var workload = await TokenAsync(a, new() { ["grant_type"] = "client_credentials", ["client_id"] = "replica-builder", ["client_secret"] = secret });
        var claims = IdentityCrashTests.VerifyJwt(workload["id_token"]!.GetValue<string>(), JsonNode.Parse(await Http.GetStringAsync(new Uri(b.BaseUrl, ".well-known/jwks"), Ct))!["keys"]!.AsArray());
        Assert.Equal(Issuer, claims["iss"]!.GetValue<string>());
        Assert.Equal("https://ci.example.com/builder", claims["sub"]!.GetValue<string>());

        // A person's browser, spread over both replicas: cookies go to both (one host, as behind one load balancer).
        using var handler = new HttpClientHandler { AllowAutoRedirect = false, CookieContainer = new CookieContainer() };
        using var browser = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(20) };
        // The login form from A (antiforgery token and cookie from A) is posted to B, which signs the person in.
        var (field, value) = Antiforgery(await browser.GetStringAsync(new Uri(a.BaseUrl, "account/login?returnUrl=%2F"), Ct));
        using (var login = await browser.PostAsync(new Uri(b.BaseUrl, "account/login"), Form(new() { [field] = value, ["returnUrl"] = "/", ["username"] = "pat", ["password"] = password }), Ct))
        {
            Assert.True(login.StatusCode == HttpStatusCode.Redirect, $"login at B with A's form: {(int)login.StatusCode} {await login.Content.ReadAsStringAsync(Ct)}");
        }

        // The device flow starts at A; the person opens the verification page at A with B's login cookie.
        var device = await PostJsonAsync(a, "connect/device", new() { ["client_id"] = "sigstore", ["scope"] = "openid email" });
        var userCode = device["user_code"]!.GetValue<string>();
        var deviceCode = device["device_code"]!.GetValue<string>();
        using var page = await browser.GetAsync(new Uri(a.BaseUrl, "connect/verify?user_code=" + Uri.EscapeDataString(userCode)), Ct);
        var html = await page.Content.ReadAsStringAsync(Ct);
        Assert.True(page.StatusCode == HttpStatusCode.OK, $"verification page at A with B's login cookie: {(int)page.StatusCode} {page.Headers.Location}");
        (field, value) = Antiforgery(html);

        // A dies (SIGKILL) before the person approves: B takes the approval and the device's polls.
        await a.KillAsync();
        using (var approve = await browser.PostAsync(new Uri(b.BaseUrl, "connect/verify"), Form(new() { [field] = value, ["user_code"] = userCode, ["action"] = "approve" }), Ct))
        {
            Assert.True(approve.StatusCode == HttpStatusCode.Redirect, $"approval at B: {(int)approve.StatusCode} {await approve.Content.ReadAsStringAsync(Ct)}");
            Assert.EndsWith("/connect/verify/done", approve.Headers.Location!.OriginalString, StringComparison.Ordinal);
        }

        var person = await TokenAsync(b, new() { ["grant_type"] = "urn:ietf:params:oauth:grant-type:device_code", ["client_id"] = "sigstore", ["device_code"] = deviceCode });
        claims = IdentityCrashTests.VerifyJwt(person["id_token"]!.GetValue<string>(), keys);
        Assert.Equal(Issuer, claims["iss"]!.GetValue<string>());
        Assert.Equal("pat", claims["sub"]!.GetValue<string>());
        Assert.Equal("pat@example.com", claims["email"]!.GetValue<string>());

        // B carries on alone, and A restarted serves the same keys.
        var more = 0;
        for (; more < 10; more++)
        {
            var token = await TokenAsync(b, new() { ["grant_type"] = "client_credentials", ["client_id"] = "replica-builder", ["client_secret"] = secret });
            IdentityCrashTests.VerifyJwt(token["id_token"]!.GetValue<string>(), keys);
        }

        await using var again = await Start("a");
        Assert.Equal(JsonNode.Parse(jwks)!.ToJsonString(), JsonNode.Parse(await Http.GetStringAsync(new Uri(again.BaseUrl, ".well-known/jwks"), Ct))!.ToJsonString());
        Report.Line($"Identity, 2 replicas on one PostgreSQL: one JWKS; a workload token from A verified under B's JWKS; login form from A posted to B; B's login cookie accepted by A; device flow started at A, A SIGKILLed, approved and redeemed at B; {more} more tokens from B; restarted A serves the same JWKS");
        Directory.Delete(data, recursive: true);
    }

    /// <summary>Writers send <see cref="WritesPerWriter"/> acknowledged writes each to <paramref name="target"/>(writer, attempt); returns the writes cut or refused.</summary>
    private static async Task<int> WriteRoundAsync(Func<int, int, ServiceProcess> target, Func<ServiceProcess, int, CancellationToken, Task> write)
    {
        var failed = 0;
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            for (int attempt = 0, done = 0; done < WritesPerWriter; attempt++)
            {
                Assert.True(attempt < WritesPerWriter * 10, $"writer {w}: {attempt} attempts for {done} writes");
                try
                {
                    await write(target(w, attempt), w, Ct);
                    done++;
                }
                catch (Exception e) when ((e is HttpRequestException || e is TaskCanceledException) && !Ct.IsCancellationRequested)
                {
                    Interlocked.Increment(ref failed);
                    await Task.Delay(50, Ct);
                }
            }
        })));
        return failed;
    }

    /// <summary>Polls both replicas' STHs (each verified and chained by <paramref name="log"/>) until both are at least <paramref name="size"/> and agree.</summary>
    private static async Task<(ulong SizeA, byte[] RootA, ulong SizeB, byte[] RootB)> ConvergedSthsAsync(CtLogState log, ServiceProcess a, ServiceProcess b, ulong size)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            var (sizeA, rootA) = await log.VerifiedSthAsync(a);
            var (sizeB, rootB) = await log.VerifiedSthAsync(b);
            if (sizeA >= size && sizeA == sizeB && rootA.AsSpan().SequenceEqual(rootB))
            {
                return (sizeA, rootA, sizeB, rootB);
            }

            Assert.True(DateTime.UtcNow < deadline, $"the replicas did not converge on one tree of size >= {size}: A {sizeA}, B {sizeB}");
            await Task.Delay(50, Ct);
        }
    }

    private static FormUrlEncodedContent Form(Dictionary<string, string> fields) => new(fields);

    private static async Task<JsonObject> PostJsonAsync(ServiceProcess service, string path, Dictionary<string, string> form)
    {
        using var response = await Http.PostAsync(new Uri(service.BaseUrl, path), Form(form), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{service.BaseUrl}{path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!.AsObject();
    }

    private static Task<JsonObject> TokenAsync(ServiceProcess service, Dictionary<string, string> form) => PostJsonAsync(service, "connect/token", form);

    private static (string Name, string Value) Antiforgery(string html)
    {
        var m = AntiforgeryField().Match(html);
        Assert.True(m.Success, "the page has no antiforgery field: " + html);
        return (WebUtility.HtmlDecode(m.Groups["name"].Value), WebUtility.HtmlDecode(m.Groups["value"].Value));
    }

    private static string Secret(string output, string prefix) =>
        output.Split('\n').Single(l => l.StartsWith(prefix, StringComparison.Ordinal))[prefix.Length..].Trim();

    /// <summary>Runs <c>PrivateSigstore.Identity admin ARGS</c> against the store <paramref name="environment"/> names.</summary>
    private static async Task<string> AdminAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])[Repository.ServiceDll("Identity"), "admin", .. args])
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment)
        {
            start.Environment[k] = v;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Ct);
        var error = process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        Assert.True(process.ExitCode == 0, $"admin {string.Join(' ', args)}: exit {process.ExitCode}\n{await output}\n{await error}");
        return await output;
    }

    [GeneratedRegex("<input type=\"hidden\" name=\"(?<name>__RequestVerificationToken[^\"]*)\" value=\"(?<value>[^\"]*)\">")]
    private static partial Regex AntiforgeryField();
}
