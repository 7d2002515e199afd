using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Log;
using PrivateSigstore.Log.Storage;

namespace PrivateSigstore.LoadTests;

/// <summary>
/// In-process appends to the log engine: C concurrent appenders each await <c>AddAsync</c> (which returns once
/// the entry is durably integrated) in a loop, until the count or the duration is reached.
/// </summary>
internal static class LogAppendScenario
{
    public static async Task<int> RunAsync(Args args)
    {
        var storeKind = args.Get("store", "sqlite");
        var path = args.Get("path", Path.Combine(Path.GetTempPath(), $"psig-load-{Environment.ProcessId}.db"));
        var connection = args.Get("connection");
        var leafSize = (int)args.Long("leaf-size", 1024);
        var count = args.Long("count", 1_000_000);
        var duration = TimeSpan.FromSeconds(args.Long("duration", 60));
        var concurrency = (int)args.Long("concurrency", 4096);
        var batchSize = (int)args.Long("batch-size", LogOptions.DefaultBatchMaxSize);
        var batchAge = TimeSpan.FromMilliseconds(args.Long("batch-age-ms", (long)LogOptions.DefaultBatchMaxAge.TotalMilliseconds));
        var durability = args.Get("durability", "full") == "normal" ? SqliteDurability.Normal : SqliteDurability.Full;
        var window = args.Long("window", 0);
        var proofSamples = (int)args.Long("proof-samples", 0);
        var ack = args.Flag("ack");
        var json = args.Get("json");
        var keyFile = args.Get("key-file");
        args.RejectUnknown();
        if (leafSize < 40 || leafSize > LogOptions.DefaultMaxLeafSize) throw new ArgumentException("--leaf-size must be in 40..65536");
        if (concurrency < 1) throw new ArgumentException("--concurrency must be positive");

        ILogStore store = storeKind switch
        {
            "sqlite" => new SqliteLogStore(path, "log", durability),
            "postgres" => new PostgresLogStore(connection ?? throw new ArgumentException("--connection is required for postgres"), "log"),
            _ => throw new ArgumentException("--store must be sqlite or postgres"),
        };
        var options = new LogOptions
        {
            Origin = "load.test - 1",
            BatchMaxSize = batchSize,
            BatchMaxAge = batchAge,
            MaxOutstanding = Math.Max(concurrency * 2, batchSize),
        };
        var signer = new EcdsaNoteSigner("load.test", LoadKey(keyFile));
        var openWatch = Stopwatch.StartNew();
        await using var log = await TransparencyLog.OpenAsync(store, options, [signer]);
        var openMs = openWatch.Elapsed.TotalMilliseconds;
        var startSize = log.Size;
        Console.Error.WriteLine($"log-append: {storeKind} opened at size {startSize} in {openMs:F0} ms; leaf {leafSize} B, concurrency {concurrency}, batch {batchSize}/{batchAge.TotalMilliseconds} ms");

        var latency = new LatencyRecorder();
        long issued = 0, done = 0, errors = 0;
        var windows = new List<JsonObject>();
        var windowWatch = Stopwatch.StartNew();
        long windowStart = 0;
        var stop = Stopwatch.StartNew();
        var ackLock = new Lock();
        var stdout = Console.Out;

        async Task Worker()
        {
            var leaf = new byte[leafSize];
            while (stop.Elapsed < duration && Interlocked.Increment(ref issued) <= count)
            {
                RandomNumberGenerator.Fill(leaf.AsSpan(0, 32));
                var started = Stopwatch.GetTimestamp();
                try
                {
                    var r = await log.AddAsync(leaf);
                    latency.Record(Stopwatch.GetElapsedTime(started));
                    if (ack)
                    {
                        var line = $"ack {r.Index} {Convert.ToHexStringLower(SHA256.HashData([0, .. leaf]))}";
                        lock (ackLock)
                        {
                            stdout.WriteLine(line);
                            stdout.Flush();
                        }
                    }
                    var n = Interlocked.Increment(ref done);
                    if (window > 0 && n % window == 0)
                    {
                        var secs = windowWatch.Elapsed.TotalSeconds;
                        windowWatch.Restart();
                        var rate = (n - Interlocked.Exchange(ref windowStart, n)) / secs;
                        Console.Error.WriteLine($"  size {startSize + (ulong)n,12:N0}: {rate,10:N0} entries/s");
                        lock (windows) windows.Add(new JsonObject { ["size"] = startSize + (ulong)n, ["entries_per_s"] = rate });
                    }
                }
                catch (Exception ex) when (ex is LogPushbackException or InvalidEntryException or LogFrozenException)
                {
                    Interlocked.Increment(ref errors);
                    await Task.Delay(10);
                }
            }
        }

        var progress = Task.Run(async () =>
        {
            while (stop.Elapsed < duration && Interlocked.Read(ref done) + Interlocked.Read(ref errors) < count)
            {
                await Task.Delay(1000);
                if (!ack) Console.Error.WriteLine($"  {stop.Elapsed.TotalSeconds,5:F0} s: {Interlocked.Read(ref done),12:N0} appended, size {log.Size:N0}");
            }
        });
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker)));
        var elapsed = stop.Elapsed.TotalSeconds;
        await progress;
        var rateAll = done / elapsed;
        Console.Error.WriteLine($"log-append: {done:N0} entries in {elapsed:F1} s = {rateAll:N0} entries/s, errors {errors}; latency AddAsync→integrated {latency.Summary()}");

        var proof = new LatencyRecorder();
        if (proofSamples > 0 && log.Size > 0)
        {
            var size = log.Size;
            for (var i = 0; i < proofSamples; i++)
            {
                var index = (ulong)Random.Shared.NextInt64((long)size);
                var started = Stopwatch.GetTimestamp();
                await log.GetInclusionProofAsync(index, size);
                proof.Record(Stopwatch.GetElapsedTime(started));
            }
            Console.Error.WriteLine($"inclusion proofs at size {size:N0}: {proof.Summary()}");
        }
        var storageBytes = storeKind == "sqlite" ? SqliteBytes(path) : 0;
        if (storageBytes > 0) Console.Error.WriteLine($"storage: {storageBytes:N0} bytes = {(double)storageBytes / Math.Max(1, (double)log.Size):F1} bytes/entry at size {log.Size:N0}");

        if (json is not null)
        {
            var result = new JsonObject
            {
                ["scenario"] = "log-append",
                ["store"] = storeKind,
                ["leaf_size"] = leafSize,
                ["concurrency"] = concurrency,
                ["batch_size"] = batchSize,
                ["batch_age_ms"] = batchAge.TotalMilliseconds,
                ["open_ms"] = openMs,
                ["start_size"] = startSize,
                ["end_size"] = log.Size,
                ["appended"] = done,
                ["errors"] = errors,
                ["seconds"] = elapsed,
                ["entries_per_s"] = rateAll,
                ["latency"] = latency.ToJson(),
                ["windows"] = new JsonArray([.. windows]),
                ["inclusion_proof_latency"] = proof.ToJson(),
                ["storage_bytes"] = storageBytes,
                ["generated"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            };
            await File.WriteAllTextAsync(json, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        return errors == 0 ? 0 : 1;
    }

    private static ECDsa LoadKey(string? keyFile)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        if (keyFile is null) return key;
        if (File.Exists(keyFile))
        {
            key.ImportFromPem(File.ReadAllText(keyFile));
        }
        else
        {
            File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
        }
        return key;
    }

    private static long SqliteBytes(string path) =>
        new[] { path, path + "-wal", path + "-shm" }.Where(File.Exists).Sum(p => new FileInfo(p).Length);
}
