using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrivateSigstore.LoadTests;

/// <summary>
/// POST /api/v2/log/entries against a Rekor v2 service on loopback: C workers each await one request at a time,
/// every request a new, unique, pre-signed hashedRekordRequestV002 (ECDSA P-256), until the count or the duration is reached.
/// 201 is success; 409, other 4xx, 5xx, 503 pushback (after which the worker honours Retry-After, at most 1 s,
/// and re-sends the same entry) and exceptions are errors, counted by kind.
/// </summary>
internal static class Rekor2AppendScenario
{
    private static readonly MediaTypeHeaderValue JsonType = new("application/json");

    public static async Task<int> RunAsync(Args args)
    {
        var baseUri = HttpLoopback.ParseUrl(args.Get("url", "http://127.0.0.1:3001"));
        var concurrency = (int)args.Long("concurrency", 256);
        var duration = TimeSpan.FromSeconds(args.Long("duration", 60));
        var count = args.Long("count", 10_000_000);
        var presign = (int)Math.Min(args.Long("presign", 200_000), count);
        var warmup = TimeSpan.FromSeconds(args.Long("warmup", 0));
        var timeout = TimeSpan.FromSeconds(args.Long("timeout", 30));
        var json = args.Get("json");
        args.RejectUnknown();
        if (concurrency is < 1 or > 65_536) throw new ArgumentException("--concurrency must be in 1..65536");
        if (count < 1 || presign < 0) throw new ArgumentException("--count must be positive and --presign not negative");

        using var http = HttpLoopback.CreateClient(baseUri, concurrency, timeout);
        var before = await Rekor2Checkpoint.ReadAsync(http, CancellationToken.None);
        Console.Error.WriteLine($"rekor2-append: {baseUri} tree size {before.TreeSize:N0}; concurrency {concurrency}, duration {duration.TotalSeconds:F0} s, count {count:N0}");

        var signWatch = Stopwatch.StartNew();
        await using var source = RekorEntrySource.Create(presign, Math.Max(4096, concurrency * 4), v2: true);
        var signSeconds = signWatch.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"  pre-signed {presign:N0} entries in {signSeconds:F1} s ({presign / Math.Max(signSeconds, 1e-9):N0}/s on {Environment.ProcessorCount} threads)");
        await HttpLoopback.WarmUpAsync(http, "api/v2/checkpoint", concurrency, CancellationToken.None);
        if (warmup > TimeSpan.Zero)
        {
            // Untimed appends first, so that the server's JIT tiering settles before measuring (reported, not counted).
            long warmed = 0, warmErrors = 0;
            using var warmEnd = new CancellationTokenSource(warmup);
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
            {
                while (!warmEnd.IsCancellationRequested && await source.NextAsync(CancellationToken.None) is { } e)
                {
                    using var content = new ByteArrayContent(e);
                    content.Headers.ContentType = JsonType;
                    using var response = await http.PostAsync("api/v2/log/entries", content, CancellationToken.None);
                    await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
                    if (response.StatusCode == HttpStatusCode.Created) Interlocked.Increment(ref warmed);
                    else Interlocked.Increment(ref warmErrors);
                }
            })));
            Console.Error.WriteLine($"  warm-up: {warmed:N0} appends in {warmup.TotalSeconds:F0} s (untimed), {warmErrors} non-201");
        }

        var checkpointSizes = new System.Collections.Concurrent.ConcurrentDictionary<long, byte>();
        var latency = new LatencyRecorder();
        var errorLatency = new LatencyRecorder();
        var outcomes = new HttpOutcomes();
        long taken = 0, done = 0, errors = 0, retryAfterWaits = 0;
        using var runEnd = new CancellationTokenSource(duration);
        var stop = Stopwatch.StartNew();
        source.AllowProducer(count - presign);

        async Task Worker()
        {
            byte[]? entry = null;
            while (!runEnd.IsCancellationRequested)
            {
                if (entry is null)
                {
                    if (Interlocked.Increment(ref taken) > count) break;
                    entry = await source.NextAsync(runEnd.Token);
                    if (entry is null) break;
                }
                var started = Stopwatch.GetTimestamp();
                TimeSpan? retryAfter = null;
                try
                {
                    using var content = new ByteArrayContent(entry);
                    content.Headers.ContentType = JsonType;
                    using var response = await http.PostAsync("api/v2/log/entries", content, CancellationToken.None);
                    var answer = await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
                    var elapsed = Stopwatch.GetElapsedTime(started);
                    outcomes.Status((int)response.StatusCode);
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        // Distinct checkpoint sizes acknowledged = checkpoints (batches) that covered the run's entries.
                        checkpointSizes.TryAdd(TreeSizeOf(answer), 0);
                        latency.Record(elapsed);
                        Interlocked.Increment(ref done);
                        entry = null;
                        continue;
                    }
                    errorLatency.Record(elapsed);
                    Interlocked.Increment(ref errors);
                    if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                    {
                        // Pushback: nothing was accepted; wait as told (at most 1 s) and send the same entry again.
                        retryAfter = RetryAfter(response);
                    }
                    else
                    {
                        entry = null;
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                {
                    errorLatency.Record(Stopwatch.GetElapsedTime(started));
                    Interlocked.Increment(ref errors);
                    outcomes.Exception(ex);
                    retryAfter = TimeSpan.FromMilliseconds(100);
                }
                if (retryAfter is { } wait)
                {
                    Interlocked.Increment(ref retryAfterWaits);
                    try
                    {
                        await Task.Delay(wait, runEnd.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            }
        }

        var progress = RunProgress.ReportAsync(stop, () => Interlocked.Read(ref done), () => Interlocked.Read(ref errors), "appended", runEnd.Token);
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker)));
        var elapsed = stop.Elapsed.TotalSeconds;
        await runEnd.CancelAsync();
        await progress;
        var after = await Rekor2Checkpoint.ReadAsync(http, CancellationToken.None);

        var rate = done / elapsed;
        var checkpoints = checkpointSizes.Count;
        Console.Error.WriteLine($"rekor2-append: {done:N0} entries in {elapsed:F1} s = {rate:N0} appends/s, errors {errors:N0}");
        Console.Error.WriteLine($"  latency 201: {latency.Summary()}");
        if (errorLatency.Count > 0) Console.Error.WriteLine($"  latency errors: {errorLatency.Summary()}");
        Console.Error.WriteLine($"  checkpoints covering the 201s: {checkpoints:N0} ({(checkpoints > 0 ? done / (double)checkpoints : 0):N0} entries per checkpoint, one every {(checkpoints > 0 ? elapsed * 1000 / checkpoints : 0):N1} ms)");
        Console.Error.WriteLine($"  outcomes: {outcomes.Summary()}; Retry-After waits {retryAfterWaits:N0}");
        Console.Error.WriteLine($"  tree size {before.TreeSize:N0} -> {after.TreeSize:N0} (+{after.TreeSize - before.TreeSize:N0}; 201s {done:N0})");
        var producerBound = source.Waits > 0;
        if (source.Produced > 0 || producerBound)
        {
            Console.Error.WriteLine($"  producer: signed {source.Produced:N0} on the fly at {source.ProducerRate:N0}/s; workers waited for it {source.Waits:N0} times, {source.WaitTime.TotalSeconds:F1} s in total"
                + (producerBound ? " -- THE PRODUCER WAS A BOTTLENECK: raise --presign" : ""));
        }

        if (json is not null)
        {
            var result = new JsonObject
            {
                ["scenario"] = "rekor2-append",
                ["url"] = baseUri.ToString(),
                ["concurrency"] = concurrency,
                ["duration_s"] = duration.TotalSeconds,
                ["count"] = count,
                ["presigned"] = presign,
                ["presign_s"] = signSeconds,
                ["start_size"] = before.TreeSize,
                ["end_size"] = after.TreeSize,
                ["appended"] = done,
                ["errors"] = errors,
                ["seconds"] = elapsed,
                ["appends_per_s"] = rate,
                ["latency"] = latency.ToJson(),
                ["error_latency"] = errorLatency.ToJson(),
                ["outcomes"] = outcomes.ToJson(),
                ["retry_after_waits"] = retryAfterWaits,
                ["producer"] = new JsonObject
                {
                    ["signed"] = source.Produced,
                    ["per_s"] = source.ProducerRate,
                    ["waits"] = source.Waits,
                    ["wait_s"] = source.WaitTime.TotalSeconds,
                    ["bottleneck"] = producerBound,
                },
                ["checkpoints"] = checkpoints,
                ["processor_count"] = Environment.ProcessorCount,
                ["generated"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            };
            await File.WriteAllTextAsync(json, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        return errors == 0 ? 0 : 1;
    }

    /// <summary>inclusionProof.treeSize of a TransparencyLogEntry ("treeSize":"N"), without parsing the whole answer.</summary>
    private static long TreeSizeOf(byte[] answer)
    {
        var at = answer.AsSpan().IndexOf("\"treeSize\":\""u8);
        if (at < 0) return -1;
        var rest = answer.AsSpan(at + 12);
        var end = rest.IndexOf((byte)'"');
        return end > 0 && long.TryParse(rest[..end], NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : -1;
    }

    /// <summary>Retry-After (delta seconds or a date), at most 1 s; 1 s when absent.</summary>
    private static TimeSpan RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        var wait = header?.Delta ?? (header?.Date is { } date ? date - DateTimeOffset.UtcNow : TimeSpan.FromSeconds(1));
        return wait < TimeSpan.Zero ? TimeSpan.Zero : wait > TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait;
    }
}
