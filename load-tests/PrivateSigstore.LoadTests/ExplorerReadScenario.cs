using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrivateSigstore.LoadTests;

/// <summary>
/// Page loads against the log explorer on loopback, C workers each awaiting one page at a time, the kind of each
/// request drawn from a weighted mix over a Rekor v1 log named <c>--log</c> (default <c>rekor</c>):
/// <list type="bullet">
/// <item><c>entry</c>: GET /logs/{log}/entries/&lt;random index&gt; (certificate, SCT → CT entry lookup, body)</item>
/// <item><c>proof</c>: GET /logs/{log}/entries/&lt;random index&gt;/proof.json (what the browser verifies)</item>
/// <item><c>search</c>: GET /?q=sha256:&lt;digest of a random entry&gt; (Rekor's index, then the entries)</item>
/// <item><c>index</c>: GET /?q=&lt;random index&gt; (answered with a redirect to the entry: 302 counts as success)</item>
/// <item><c>log</c>: GET /logs/{log} (checkpoint, history, the entries-per-hour plot)</item>
/// </list>
/// The explorer's rate limits must be off for the run (<c>RateLimits__pages__PermitLimit=0</c>, <c>…search…=0</c>).
/// </summary>
internal static class ExplorerReadScenario
{
    private static readonly string[] Kinds = ["entry", "proof", "search", "index", "log"];

    public static async Task<int> RunAsync(Args args)
    {
        var baseUri = HttpLoopback.ParseUrl(args.Get("url", "http://127.0.0.1:8080"));
        var rekorUri = HttpLoopback.ParseUrl(args.Get("rekor-url", "http://127.0.0.1:3000"));
        var log = args.Get("log", "rekor");
        var concurrency = (int)args.Long("concurrency", 16);
        var duration = TimeSpan.FromSeconds(args.Long("duration", 30));
        var mix = ParseMix(args.Get("mix", "entry=30,proof=20,search=20,index=10,log=20"));
        var digestCount = (int)args.Long("digests", 200);
        var timeout = TimeSpan.FromSeconds(args.Long("timeout", 30));
        var json = args.Get("json");
        args.RejectUnknown();
        if (concurrency is < 1 or > 4096) throw new ArgumentException("--concurrency must be in 1..4096");

        using var rekor = HttpLoopback.CreateClient(rekorUri, 8, timeout);
        var size = (await RekorLogInfo.ReadAsync(rekor, CancellationToken.None)).TreeSize;
        if (size < 2) throw new ArgumentException($"the log at {rekorUri} has {size} entries; fill it first (rekor-append)");
        var digests = await LearnDigestsAsync(rekor, size, digestCount);
        Console.Error.WriteLine($"explorer-read: {baseUri} over {rekorUri} (tree size {size:N0}); concurrency {concurrency}, duration {duration.TotalSeconds:F0} s, {digests.Length} digests learnt");

        using var handler = new SocketsHttpHandler { AllowAutoRedirect = false, MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = TimeSpan.FromMinutes(10) };
        using var http = new HttpClient(handler) { BaseAddress = baseUri, Timeout = timeout };
        // Warm-up (untimed): JIT, caches of the checkpoint and the chart.
        for (var i = 0; i < 20; i++)
        {
            foreach (var path in new[] { $"logs/{log}", $"logs/{log}/entries/{Random.Shared.NextInt64(size)}", $"?q=sha256:{digests[0]}" })
            {
                using var r = await http.GetAsync(path);
                await r.Content.ReadAsByteArrayAsync();
            }
        }

        var latency = Kinds.Select(_ => new LatencyRecorder()).ToArray();
        var outcomes = Kinds.Select(_ => new HttpOutcomes()).ToArray();
        var ok = new long[Kinds.Length];
        var failed = new long[Kinds.Length];
        var total = mix.Sum();
        using var runEnd = new CancellationTokenSource(duration);
        var stop = Stopwatch.StartNew();

        async Task Worker()
        {
            while (!runEnd.IsCancellationRequested)
            {
                var kind = Pick(mix, total);
                var index = Random.Shared.NextInt64(size);
                var path = kind switch
                {
                    0 => $"logs/{log}/entries/{index}",
                    1 => $"logs/{log}/entries/{index}/proof.json",
                    2 => $"?q=sha256:{digests[Random.Shared.Next(digests.Length)]}",
                    3 => $"?q={index}",
                    _ => $"logs/{log}",
                };
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.GetAsync(path, CancellationToken.None);
                    await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
                    latency[kind].Record(Stopwatch.GetElapsedTime(started));
                    outcomes[kind].Status((int)response.StatusCode);
                    var good = response.StatusCode == HttpStatusCode.OK || (kind == 3 && response.StatusCode == HttpStatusCode.Redirect);
                    Interlocked.Increment(ref good ? ref ok[kind] : ref failed[kind]);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                {
                    outcomes[kind].Exception(ex);
                    Interlocked.Increment(ref failed[kind]);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker)));
        var elapsed = stop.Elapsed.TotalSeconds;
        var pages = ok.Sum();
        var errors = failed.Sum();
        var all = new LatencyRecorder();
        Console.Error.WriteLine($"explorer-read: {pages:N0} pages in {elapsed:F1} s = {pages / elapsed:N0} pages/s, errors {errors:N0}");
        for (var k = 0; k < Kinds.Length; k++)
        {
            if (mix[k] == 0) continue;
            Console.Error.WriteLine($"  {Kinds[k],-7} {ok[k] / elapsed,8:N0}/s  {latency[k].Summary()}");
            Console.Error.WriteLine($"  {"",-7} outcomes: {outcomes[k].Summary()}");
        }
        if (json is not null)
        {
            var kinds = new JsonObject();
            for (var k = 0; k < Kinds.Length; k++)
            {
                kinds[Kinds[k]] = new JsonObject
                {
                    ["weight"] = mix[k], ["ok"] = ok[k], ["errors"] = failed[k], ["per_s"] = ok[k] / elapsed,
                    ["latency"] = latency[k].ToJson(), ["outcomes"] = outcomes[k].ToJson(),
                };
            }
            var result = new JsonObject
            {
                ["scenario"] = "explorer-read", ["url"] = baseUri.ToString(), ["rekor_url"] = rekorUri.ToString(), ["concurrency"] = concurrency,
                ["duration_s"] = duration.TotalSeconds, ["tree_size"] = size, ["pages"] = pages, ["errors"] = errors, ["seconds"] = elapsed,
                ["pages_per_s"] = pages / elapsed, ["kinds"] = kinds, ["processor_count"] = Environment.ProcessorCount,
                ["generated"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            };
            await File.WriteAllTextAsync(json, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        return errors == 0 ? 0 : 1;
    }

    /// <summary>Artifact digests (hashedrekord spec.data.hash.value) of random entries, read from Rekor directly.</summary>
    private static async Task<string[]> LearnDigestsAsync(HttpClient rekor, long size, int n)
    {
        var digests = new List<string>();
        for (var i = 0; i < n; i++)
        {
            using var response = await rekor.GetAsync($"api/v1/log/entries?logIndex={Random.Shared.NextInt64(size)}");
            var bytes = await response.Content.ReadAsByteArrayAsync();
            if (response.StatusCode != HttpStatusCode.OK) continue;
            using var doc = JsonDocument.Parse(bytes);
            var body = Convert.FromBase64String(doc.RootElement.EnumerateObject().First().Value.GetProperty("body").GetString()!);
            using var entry = JsonDocument.Parse(body);
            if (entry.RootElement.TryGetProperty("spec", out var spec) && spec.TryGetProperty("data", out var data) && data.TryGetProperty("hash", out var hash))
            {
                digests.Add(hash.GetProperty("value").GetString()!);
            }
        }
        return digests.Count > 0 ? [.. digests] : throw new ArgumentException("no hashedrekord entries found to learn digests from");
    }

    private static int[] ParseMix(string text)
    {
        var weights = new int[Kinds.Length];
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            var k = eq > 0 ? Array.IndexOf(Kinds, part[..eq]) : -1;
            if (k < 0 || !int.TryParse(part[(eq + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var w))
            {
                throw new ArgumentException($"--mix part '{part}' is not <kind>=<weight> with kind one of {string.Join(", ", Kinds)}");
            }
            weights[k] = w;
        }
        if (weights.Sum() <= 0) throw new ArgumentException("--mix needs at least one positive weight");
        return weights;
    }

    private static int Pick(int[] weights, int total)
    {
        var r = Random.Shared.Next(total);
        for (var k = 0; k < weights.Length; k++)
        {
            if (r < weights[k]) return k;
            r -= weights[k];
        }
        return weights.Length - 1;
    }
}
