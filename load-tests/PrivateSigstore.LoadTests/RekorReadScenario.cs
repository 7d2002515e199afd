using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrivateSigstore.LoadTests;

/// <summary>
/// Reads against a Rekor v1 service on loopback, C workers each awaiting one request at a time, the kind of each
/// request drawn from a weighted mix:
/// <list type="bullet">
/// <item><c>entries</c>: GET /api/v1/log/entries?logIndex=&lt;random existing index&gt;</item>
/// <item><c>uuid</c>: GET /api/v1/log/entries/{entryUUID} (ids learnt first through logIndex reads)</item>
/// <item><c>proofs</c>: GET /api/v1/log/proof?firstSize=&amp;lastSize= (random sizes ≤ the size at the start)</item>
/// <item><c>log</c>: GET /api/v1/log</item>
/// </list>
/// 200 is success; anything else, and exceptions, are errors. Latency and outcomes are reported per kind.
/// </summary>
internal static class RekorReadScenario
{
    private static readonly string[] Kinds = ["entries", "uuid", "proofs", "log"];

    public static async Task<int> RunAsync(Args args)
    {
        var baseUri = HttpLoopback.ParseUrl(args.Get("url", "http://127.0.0.1:3000"));
        var concurrency = (int)args.Long("concurrency", 64);
        var duration = TimeSpan.FromSeconds(args.Long("duration", 30));
        var count = args.Long("count", 100_000_000);
        var mix = ParseMix(args.Get("mix", "entries=40,uuid=30,proofs=20,log=10"));
        var uuidCount = (int)args.Long("uuids", 1000);
        var timeout = TimeSpan.FromSeconds(args.Long("timeout", 30));
        var json = args.Get("json");
        args.RejectUnknown();
        if (concurrency is < 1 or > 65_536) throw new ArgumentException("--concurrency must be in 1..65536");
        if (uuidCount < 1) throw new ArgumentException("--uuids must be positive");

        using var http = HttpLoopback.CreateClient(baseUri, concurrency, timeout);
        var info = await RekorLogInfo.ReadAsync(http, CancellationToken.None);
        var size = info.TreeSize;
        if (size < 2) throw new ArgumentException($"the log at {baseUri} has {size} entries; run rekor-append first");
        Console.Error.WriteLine($"rekor-read: {baseUri} tree size {size:N0}; concurrency {concurrency}, duration {duration.TotalSeconds:F0} s, mix {string.Join(",", Kinds.Select((k, i) => $"{k}={mix[i]}"))}");

        var learnWatch = Stopwatch.StartNew();
        var uuids = mix[1] > 0 ? await LearnUuidsAsync(http, size, uuidCount, concurrency) : [];
        Console.Error.WriteLine($"  learnt {uuids.Length:N0} entry ids through logIndex reads in {learnWatch.Elapsed.TotalSeconds:F1} s");
        await HttpLoopback.WarmUpAsync(http, "api/v1/log", concurrency, CancellationToken.None);

        var latency = Kinds.Select(_ => new LatencyRecorder()).ToArray();
        var outcomes = Kinds.Select(_ => new HttpOutcomes()).ToArray();
        var ok = new long[Kinds.Length];
        var failed = new long[Kinds.Length];
        long issued = 0;
        var total = mix.Sum();
        using var runEnd = new CancellationTokenSource(duration);
        var stop = Stopwatch.StartNew();

        async Task Worker()
        {
            while (!runEnd.IsCancellationRequested && Interlocked.Increment(ref issued) <= count)
            {
                var kind = Pick(mix, total);
                var path = kind switch
                {
                    0 => $"api/v1/log/entries?logIndex={Random.Shared.NextInt64(size)}",
                    1 => $"api/v1/log/entries/{uuids[Random.Shared.Next(uuids.Length)]}",
                    2 => ProofPath(size),
                    _ => "api/v1/log",
                };
                var started = Stopwatch.GetTimestamp();
                try
                {
                    using var response = await http.GetAsync(path, CancellationToken.None);
                    await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
                    latency[kind].Record(Stopwatch.GetElapsedTime(started));
                    outcomes[kind].Status((int)response.StatusCode);
                    Interlocked.Increment(ref response.StatusCode == HttpStatusCode.OK ? ref ok[kind] : ref failed[kind]);
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
        var reads = ok.Sum();
        var errors = failed.Sum();
        Console.Error.WriteLine($"rekor-read: {reads:N0} reads in {elapsed:F1} s = {reads / elapsed:N0} reads/s, errors {errors:N0}");
        for (var k = 0; k < Kinds.Length; k++)
        {
            if (mix[k] == 0) continue;
            Console.Error.WriteLine($"  {Kinds[k],-8} {ok[k] / elapsed,8:N0}/s  {latency[k].Summary()}");
            Console.Error.WriteLine($"  {"",-8} outcomes: {outcomes[k].Summary()}");
        }

        if (json is not null)
        {
            var kinds = new JsonObject();
            for (var k = 0; k < Kinds.Length; k++)
            {
                kinds[Kinds[k]] = new JsonObject
                {
                    ["weight"] = mix[k],
                    ["ok"] = ok[k],
                    ["errors"] = failed[k],
                    ["per_s"] = ok[k] / elapsed,
                    ["latency"] = latency[k].ToJson(),
                    ["outcomes"] = outcomes[k].ToJson(),
                };
            }
            var result = new JsonObject
            {
                ["scenario"] = "rekor-read",
                ["url"] = baseUri.ToString(),
                ["concurrency"] = concurrency,
                ["duration_s"] = duration.TotalSeconds,
                ["tree_size"] = size,
                ["uuids"] = uuids.Length,
                ["reads"] = reads,
                ["errors"] = errors,
                ["seconds"] = elapsed,
                ["reads_per_s"] = reads / elapsed,
                ["kinds"] = kinds,
                ["processor_count"] = Environment.ProcessorCount,
                ["generated"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            };
            await File.WriteAllTextAsync(json, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        return errors == 0 ? 0 : 1;
    }

    /// <summary>"entries=40,uuid=30,proofs=20,log=10" → weights in <see cref="Kinds"/> order (missing kinds weigh 0).</summary>
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

    private static string ProofPath(long size)
    {
        var last = 1 + Random.Shared.NextInt64(size);
        var first = 1 + Random.Shared.NextInt64(last);
        return string.Create(CultureInfo.InvariantCulture, $"api/v1/log/proof?firstSize={first}&lastSize={last}");
    }

    /// <summary>Entry ids (the single map key of a LogEntry) of up to <paramref name="n"/> random indexes.</summary>
    private static async Task<string[]> LearnUuidsAsync(HttpClient http, long size, int n, int concurrency)
    {
        var ids = new string[n];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Math.Min(concurrency, n)).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < n)
            {
                var index = Random.Shared.NextInt64(size);
                using var response = await http.GetAsync($"api/v1/log/entries?logIndex={index}");
                var body = await response.Content.ReadAsByteArrayAsync();
                if (response.StatusCode != HttpStatusCode.OK) throw new ArgumentException($"GET logIndex={index} answered {(int)response.StatusCode} while learning entry ids");
                using var doc = JsonDocument.Parse(body);
                ids[i] = doc.RootElement.EnumerateObject().First().Name;
            }
        })));
        return ids;
    }
}
