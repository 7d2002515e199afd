using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Pkcs11;
using PrivateSigstore.Log;
using PrivateSigstore.Log.Storage;
using PrivateSigstore.Monitor;
using PrivateSigstore.Rekor.V2;

namespace PrivateSigstore.LoadTests;

/// <summary>
/// How fast the monitor follows a Rekor v2 log from its tiles (issue 16: ≥ 100,000 entries/s). Fills a Rekor v2 log
/// in-process with N unique hashedrekord v0.0.2 bodies (the shape rekor-tiles stores), serves it with the real Rekor v2
/// service on loopback, then starts the real monitor on it with full audit (every entry bundle read over HTTP, every leaf
/// hashed, the tree recomputed and compared with the checkpoint) and an identity watch (every entry parsed and matched),
/// and times how long it takes to read all N entries (from the monitor's durable state).
/// </summary>
internal static class MonitorFollowScenario
{
    public static async Task<int> RunAsync(Args args)
    {
        var count = args.Long("count", 1_000_000);
        var dir = args.Get("dir", Path.Combine(Path.GetTempPath(), $"psig-monitor-follow-{Environment.ProcessId}"));
        var audit = args.Get("audit", "true") != "false";
        var identityWatch = args.Get("watch", "true") != "false";
        var perPoll = (int)args.Long("per-poll", new MonitorOptions().MaxEntriesPerPoll);
        var timeout = TimeSpan.FromSeconds(args.Long("timeout", 600));
        var json = args.Get("json");
        args.RejectUnknown();
        if (count is < 1 or > 100_000_000) throw new ArgumentException("--count must be in 1..100000000");

        var v2 = new RekorV2Options { DataDirectory = Directory.CreateDirectory(Path.Combine(dir, "rekor-v2")).FullName, Origin = "127.0.0.1" };
        var fill = Stopwatch.StartNew();
        var size = await FillAsync(v2, count);
        Console.Error.WriteLine($"monitor-follow: log at size {size} ({fill.Elapsed.TotalSeconds:F1} s to fill)");

        await using var rekor = await RekorV2App.BuildAsync(v2, Quiet);
        await rekor.StartAsync();
        var rekorUrl = Address(rekor);
        var trust = rekor.Services.GetRekorV2TrustInfo();
        var keyPath = Path.Combine(dir, "log.pub.pem");
        await File.WriteAllTextAsync(keyPath, trust.PublicKeyPem);
        var watch = Path.Combine(dir, "watch.yaml");
        // An identity and a key fingerprint that match nothing: every entry is still parsed and compared.
        await File.WriteAllTextAsync(watch, "monitoredValues:\n  certIdentities:\n    - certSubject: nobody@example\\.com\n  fingerprints:\n    - 0000000000000000000000000000000000000000000000000000000000000000\n");
        var monitorDir = Path.Combine(dir, "monitor");
        if (Directory.Exists(monitorDir)) Directory.Delete(monitorDir, recursive: true);
        Directory.CreateDirectory(monitorDir);

        var watchClock = Stopwatch.StartNew();
        await using var monitor = await MonitorApp.BuildAsync(new MonitorOptions
        {
            DataDirectory = monitorDir,
            PollIntervalMilliseconds = 100,
            MaxEntriesPerPoll = perPoll,
            FullAudit = audit,
            IdentityConfigPath = identityWatch ? watch : null,
            Logs = [new MonitoredLogOptions { Kind = MonitoredLogKind.RekorV2, Url = rekorUrl, PublicKeyPath = keyPath, Origin = v2.Origin }],
        }, configure: Quiet);
        await monitor.StartAsync();
        long read = 0;
        long lastReport = 0;
        while (read < (long)size && watchClock.Elapsed < timeout)
        {
            await Task.Delay(100);
            read = ReadProgress(monitorDir);
            if (watchClock.ElapsedMilliseconds - lastReport >= 2000)
            {
                lastReport = watchClock.ElapsedMilliseconds;
                Console.Error.WriteLine($"monitor-follow: {read:N0} of {size:N0} entries read ({watchClock.Elapsed.TotalSeconds:F1} s)");
            }
        }
        var elapsed = watchClock.Elapsed;
        var rate = read / elapsed.TotalSeconds;
        var alerts = JsonNode.Parse(await new HttpClient().GetStringAsync(new Uri(Address(monitor) + "/api/v1/alerts")))!.AsArray().Count;
        var result = new JsonObject
        {
            ["scenario"] = "monitor-follow",
            ["entries"] = read,
            ["treeSize"] = size,
            ["fullAudit"] = audit,
            ["identityWatch"] = identityWatch,
            ["seconds"] = Math.Round(elapsed.TotalSeconds, 2),
            ["entriesPerSecond"] = Math.Round(rate),
            ["alerts"] = alerts,
            ["complete"] = read >= (long)size,
        };
        Console.WriteLine(result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        if (json is not null) await File.WriteAllTextAsync(json, result.ToJsonString());
        await monitor.StopAsync();
        await rekor.StopAsync();
        return read >= (long)size && alerts == 0 ? 0 : 1;
    }

    /// <summary>Grows the log to <paramref name="count"/> entries (kept across runs: only the missing ones are added).</summary>
    private static async Task<ulong> FillAsync(RekorV2Options options, long count)
    {
        using var key = SigningKeyFactory.Create(options.Key, Path.Combine(options.DataDirectory, "checkpoint-key.pem"), NullLogger.Instance);
        var logOptions = options.ToLogOptions();
        logOptions.BatchMaxSize = 16_384;
        logOptions.MaxOutstanding = 65_536;
        var store = LogStorage.OpenLogStore(options.ToStorageOptions(), options.LogId);
        await using (store.ConfigureAwait(false))
        {
            await using var log = await TransparencyLog.OpenAsync(store, logOptions, [new SigningKeyNoteSigner(options.Origin, key)]);
            var spki = Convert.ToBase64String(ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportSubjectPublicKeyInfo());
            var signature = Convert.ToBase64String(RandomNumberGenerator.GetBytes(71));
            long next = (long)log.Size;
            var progress = Stopwatch.StartNew();
            async Task Worker()
            {
                var digest = new byte[32];
                long i;
                while ((i = Interlocked.Increment(ref next)) <= count)
                {
                    RandomNumberGenerator.Fill(digest);
                    // rekor-tiles' canonical hashedrekord v0.0.2 body (sorted keys, as it stores them).
                    var body = Encoding.UTF8.GetBytes(
                        $"{{\"apiVersion\":\"0.0.2\",\"kind\":\"hashedrekord\",\"spec\":{{\"hashedRekordV002\":{{\"data\":{{\"algorithm\":\"SHA2_256\",\"digest\":\"{Convert.ToBase64String(digest)}\"}},\"signature\":{{\"content\":\"{signature}\",\"verifier\":{{\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\",\"publicKey\":{{\"rawBytes\":\"{spki}\"}}}}}}}}}}}}");
                    await log.AddAsync(body);
                    if (i % 200_000 == 0) Console.Error.WriteLine($"monitor-follow: filled {i:N0} ({progress.Elapsed.TotalSeconds:F0} s)");
                }
            }
            await Task.WhenAll(Enumerable.Range(0, 8192).Select(_ => Task.Run(Worker)));
            return log.Size;
        }
    }

    private static long ReadProgress(string monitorDir)
    {
        var stateDir = Path.Combine(monitorDir, "state");
        if (!Directory.Exists(stateDir)) return 0;
        foreach (var file in Directory.EnumerateFiles(stateDir, "*.json"))
        {
            try
            {
                var node = JsonNode.Parse(File.ReadAllText(file))!.AsObject();
                foreach (var (name, value) in node)
                {
                    if (string.Equals(name, "nextEntry", StringComparison.OrdinalIgnoreCase)) return value!.GetValue<long>();
                }
            }
            catch (Exception e) when (e is IOException or JsonException)
            {
                // Replaced while we read it: the next poll sees the new one.
            }
        }
        return 0;
    }

    private static void Quiet(WebApplicationBuilder b)
    {
        b.WebHost.UseUrls("http://127.0.0.1:0");
        b.Logging.ClearProviders();
    }

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');

    internal static string Describe(double rate) => rate.ToString("N0", CultureInfo.InvariantCulture);
}
