using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrivateSigstore.LoadTests;

/// <summary>
/// The whole keyless signing flow as a client performs it: an identity token (pre-minted with the
/// <see cref="LoadIdentity"/> key) → POST /api/v2/signingCert with a fresh key's proof of possession (certificate with
/// an embedded SCT from the CT log) → sign a new artifact digest with that key → POST /api/v1/log/entries (hashedrekord
/// with the certificate). C workers each run one signing at a time; a signing counts when both calls succeed. Latency is
/// recorded for the whole signing and for each service.
/// </summary>
internal static class KeylessSignScenario
{
    private static readonly MediaTypeHeaderValue JsonType = new("application/json");

    public static async Task<int> RunAsync(Args args)
    {
        var fulcio = HttpLoopback.ParseUrl(args.Get("fulcio-url", "http://127.0.0.1:5555"));
        var rekor = HttpLoopback.ParseUrl(args.Get("rekor-url", "http://127.0.0.1:3000"));
        var setup = args.Get("setup") ?? throw new ArgumentException("--setup <dir> is required (the directory fulcio-setup wrote)");
        var concurrency = (int)args.Long("concurrency", 64);
        var duration = TimeSpan.FromSeconds(args.Long("duration", 60));
        var warmup = TimeSpan.FromSeconds(args.Long("warmup", 0));
        var keys = (int)args.Long("keys", 10_000);
        var tokens = (int)args.Long("tokens", 1_000);
        var timeout = TimeSpan.FromSeconds(args.Long("timeout", 30));
        var json = args.Get("json");
        args.RejectUnknown();
        if (concurrency is < 1 or > 65_536) throw new ArgumentException("--concurrency must be in 1..65536");
        if (keys < 1 || tokens < 1) throw new ArgumentException("--keys and --tokens must be positive");

        using var identity = LoadIdentity.Open(setup);
        using var fulcioHttp = HttpLoopback.CreateClient(fulcio, concurrency, timeout);
        using var rekorHttp = HttpLoopback.CreateClient(rekor, concurrency, timeout);
        var prepare = Stopwatch.StartNew();
        var lifetime = duration + warmup + TimeSpan.FromMinutes(10);
        var minted = Enumerable.Range(0, tokens).Select(i => (Email: $"load-{i}@example.com", Token: identity.Mint($"load-{i}@example.com", lifetime))).ToArray();
        var signers = new (ECDsa Key, byte[] Body)[keys];
        Parallel.For(0, keys, i =>
        {
            var (email, token) = minted[i % tokens];
            var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            signers[i] = (key, LoadIdentity.SigningCertificateRequest(token, email, key));
        });
        var before = await RekorLogInfo.ReadAsync(rekorHttp, CancellationToken.None);
        Console.Error.WriteLine($"keyless-sign: CA {fulcio}, Rekor {rekor} (tree size {before.TreeSize:N0}); {tokens:N0} tokens, {keys:N0} keys prepared in {prepare.Elapsed.TotalSeconds:F1} s; concurrency {concurrency}, duration {duration.TotalSeconds:F0} s");
        await HttpLoopback.WarmUpAsync(fulcioHttp, "api/v2/trustBundle", concurrency, CancellationToken.None);
        await HttpLoopback.WarmUpAsync(rekorHttp, "api/v1/log", concurrency, CancellationToken.None);

        var total = new LatencyRecorder();
        var caLatency = new LatencyRecorder();
        var rekorLatency = new LatencyRecorder();
        var outcomes = new HttpOutcomes();
        long next = 0, done = 0, errors = 0;

        async Task<bool> SignOnceAsync(bool record)
        {
            var (key, body) = signers[(int)(Interlocked.Increment(ref next) % keys)];
            var started = Stopwatch.GetTimestamp();

            // 1. The certificate (with its embedded SCT).
            string leafPem;
            using (var content = new ByteArrayContent(body))
            {
                content.Headers.ContentType = JsonType;
                using var response = await fulcioHttp.PostAsync("api/v2/signingCert", content, CancellationToken.None);
                var bytes = await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    outcomes.Add($"ca:{(int)response.StatusCode}");
                    return false;
                }

                using var doc = JsonDocument.Parse(bytes);
                leafPem = doc.RootElement.GetProperty("signedCertificateEmbeddedSct").GetProperty("chain").GetProperty("certificates")[0].GetString()!;
            }

            var caDone = Stopwatch.GetTimestamp();

            // 2. Sign a new artifact and log it.
            var digest = RandomNumberGenerator.GetBytes(32);
            var signature = key.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
            var entry = "{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\",\"spec\":{\"signature\":{\"content\":\"" + Convert.ToBase64String(signature)
                + "\",\"publicKey\":{\"content\":\"" + Convert.ToBase64String(Encoding.ASCII.GetBytes(leafPem + "\n"))
                + "\"}},\"data\":{\"hash\":{\"algorithm\":\"sha256\",\"value\":\"" + Convert.ToHexStringLower(digest) + "\"}}}}";
            using (var content = new StringContent(entry, Encoding.UTF8))
            {
                content.Headers.ContentType = JsonType;
                using var response = await rekorHttp.PostAsync("api/v1/log/entries", content, CancellationToken.None);
                await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
                if (response.StatusCode != HttpStatusCode.Created)
                {
                    outcomes.Add($"rekor:{(int)response.StatusCode}");
                    return false;
                }
            }

            if (record)
            {
                var end = Stopwatch.GetTimestamp();
                caLatency.Record(Stopwatch.GetElapsedTime(started, caDone));
                rekorLatency.Record(Stopwatch.GetElapsedTime(caDone, end));
                total.Record(Stopwatch.GetElapsedTime(started, end));
                outcomes.Add("signed");
            }

            return true;
        }

        if (warmup > TimeSpan.Zero)
        {
            long warmed = 0;
            using var warmEnd = new CancellationTokenSource(warmup);
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
            {
                while (!warmEnd.IsCancellationRequested)
                {
                    if (await SignOnceAsync(record: false)) Interlocked.Increment(ref warmed);
                }
            })));
            Console.Error.WriteLine($"  warm-up: {warmed:N0} signings in {warmup.TotalSeconds:F0} s (untimed)");
        }

        using var runEnd = new CancellationTokenSource(duration);
        var stop = Stopwatch.StartNew();
        async Task Worker()
        {
            while (!runEnd.IsCancellationRequested)
            {
                try
                {
                    if (await SignOnceAsync(record: true)) Interlocked.Increment(ref done);
                    else Interlocked.Increment(ref errors);
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or JsonException or KeyNotFoundException)
                {
                    Interlocked.Increment(ref errors);
                    outcomes.Exception(ex);
                }
            }
        }

        var progress = RunProgress.ReportAsync(stop, () => Interlocked.Read(ref done), () => Interlocked.Read(ref errors), "signings", runEnd.Token);
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker)));
        var seconds = stop.Elapsed.TotalSeconds;
        await runEnd.CancelAsync();
        await progress;
        var after = await RekorLogInfo.ReadAsync(rekorHttp, CancellationToken.None);

        var rate = done / seconds;
        Console.Error.WriteLine($"keyless-sign: {done:N0} complete signings in {seconds:F1} s = {rate:N0} signings/s, errors {errors:N0}");
        Console.Error.WriteLine($"  latency total: {total.Summary()}");
        Console.Error.WriteLine($"  latency CA (certificate + SCT): {caLatency.Summary()}");
        Console.Error.WriteLine($"  latency Rekor (entry): {rekorLatency.Summary()}");
        Console.Error.WriteLine($"  outcomes: {outcomes.Summary()}; Rekor tree {before.TreeSize:N0} -> {after.TreeSize:N0}");
        if (json is not null)
        {
            var result = new JsonObject
            {
                ["scenario"] = "keyless-sign",
                ["fulcio_url"] = fulcio.ToString(),
                ["rekor_url"] = rekor.ToString(),
                ["concurrency"] = concurrency,
                ["duration_s"] = duration.TotalSeconds,
                ["warmup_s"] = warmup.TotalSeconds,
                ["signed"] = done,
                ["errors"] = errors,
                ["seconds"] = seconds,
                ["signings_per_s"] = rate,
                ["latency_total"] = total.ToJson(),
                ["latency_ca"] = caLatency.ToJson(),
                ["latency_rekor"] = rekorLatency.ToJson(),
                ["outcomes"] = outcomes.ToJson(),
                ["rekor_tree_before"] = before.TreeSize,
                ["rekor_tree_after"] = after.TreeSize,
                ["processor_count"] = Environment.ProcessorCount,
                ["generated"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            };
            await File.WriteAllTextAsync(json, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }

        foreach (var (key, _) in signers)
        {
            key.Dispose();
        }

        return errors == 0 ? 0 : 1;
    }
}
