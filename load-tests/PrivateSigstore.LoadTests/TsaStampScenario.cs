using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrivateSigstore.LoadTests;

/// <summary>
/// POST /api/v1/timestamp against a timestamp authority on loopback, as Sigstore clients send it: an RFC 3161
/// TimeStampReq (DER, <c>application/timestamp-query</c>) over the SHA-256 of a signature, with a nonce and certReq, or
/// upstream's JSON form. Request bodies (unique imprints and nonces) are built before the timed phase and cycled; before
/// it, a sample of replies is checked with the BCL (<see cref="Rfc3161TimestampRequest.ProcessResponse"/> and the
/// token's signature against the served chain). C workers each await one request at a time; 200 with a granted
/// TimeStampResp is success, anything else an error.
/// </summary>
internal static class TsaStampScenario
{
    // TimeStampResp ::= SEQUENCE { PKIStatusInfo SEQUENCE { status INTEGER 0 } ...: the granted status right after the outer header.
    private static readonly byte[] Granted = [0x30, 0x03, 0x02, 0x01, 0x00];

    public static async Task<int> RunAsync(Args args)
    {
        var baseUri = HttpLoopback.ParseUrl(args.Get("url", "http://127.0.0.1:3004"));
        var concurrency = (int)args.Long("concurrency", 64);
        var duration = TimeSpan.FromSeconds(args.Long("duration", 60));
        var count = args.Long("count", 100_000_000);
        var bodies = (int)args.Long("bodies", 100_000);
        var warmup = TimeSpan.FromSeconds(args.Long("warmup", 0));
        var timeout = TimeSpan.FromSeconds(args.Long("timeout", 30));
        var format = args.Get("format", "der");
        var check = (int)args.Long("check", 200);
        var json = args.Get("json");
        args.RejectUnknown();
        if (concurrency is < 1 or > 65_536) throw new ArgumentException("--concurrency must be in 1..65536");
        if (bodies < 1) throw new ArgumentException("--bodies must be positive");
        if (format is not ("der" or "json")) throw new ArgumentException("--format must be der or json");

        using var http = HttpLoopback.CreateClient(baseUri, concurrency, timeout);
        var mediaType = new MediaTypeHeaderValue(format == "der" ? "application/timestamp-query" : "application/json");
        var prepare = Stopwatch.StartNew();
        var requests = new Rfc3161TimestampRequest[bodies];
        var encoded = new byte[bodies][];
        Parallel.For(0, bodies, i =>
        {
            var hash = SHA256.HashData(RandomNumberGenerator.GetBytes(64)); // the SHA-256 of a signature, as clients send
            var nonce = RandomNumberGenerator.GetBytes(8);
            nonce[0] &= 0x7F;
            nonce[0] |= 0x01; // positive and minimal, as a client's random nonce
            requests[i] = Rfc3161TimestampRequest.CreateFromHash(hash, HashAlgorithmName.SHA256, nonce: nonce, requestSignerCertificates: true);
            encoded[i] = format == "der"
                ? requests[i].Encode()
                : Encoding.UTF8.GetBytes($"{{\"artifactHash\":\"{Convert.ToBase64String(hash)}\",\"hashAlgorithm\":\"sha256\",\"certificates\":true,\"nonce\":{new System.Numerics.BigInteger(nonce, isUnsigned: true, isBigEndian: true)}}}");
        });
        Console.Error.WriteLine($"tsa-stamp: {baseUri}; {bodies:N0} {format} request bodies prepared in {prepare.Elapsed.TotalSeconds:F1} s; concurrency {concurrency}, duration {duration.TotalSeconds:F0} s");
        await HttpLoopback.WarmUpAsync(http, "api/v1/timestamp/certchain", concurrency, CancellationToken.None);
        var chainPem = await http.GetStringAsync("api/v1/timestamp/certchain");
        var leaf = X509Certificate2.CreateFromPem(chainPem);

        long next = 0;
        async Task<(bool Ok, int Status, int Index, byte[] Body)> SendAsync()
        {
            var index = (int)(Interlocked.Increment(ref next) % bodies);
            using var content = new ByteArrayContent(encoded[index]);
            content.Headers.ContentType = mediaType;
            using var response = await http.PostAsync("api/v1/timestamp", content, CancellationToken.None);
            var bytes = await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
            var ok = response.StatusCode == HttpStatusCode.OK && bytes.Length > 8 && bytes.AsSpan(0, Math.Min(12, bytes.Length)).IndexOf(Granted) is >= 2 and <= 5;
            return (ok, (int)response.StatusCode, index, bytes);
        }

        // Untimed correctness sample: each reply must match its request and verify against the TSA certificate.
        for (var i = 0; i < check; i++)
        {
            var (ok, status, index, body) = await SendAsync();
            if (!ok) throw new InvalidOperationException($"check {i}: HTTP {status}, not a granted TimeStampResp");
            var token = requests[index].ProcessResponse(body, out _);
            if (!token.VerifySignatureForHash(requests[index].GetMessageHash().Span, HashAlgorithmName.SHA256, out _, [leaf]))
            {
                throw new InvalidOperationException($"check {i}: the token's signature does not verify against the served TSA certificate");
            }
        }
        Console.Error.WriteLine($"  checked {check} replies (imprint, nonce, signature against {leaf.Subject})");

        if (warmup > TimeSpan.Zero)
        {
            long warmed = 0;
            using var warmEnd = new CancellationTokenSource(warmup);
            await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
            {
                while (!warmEnd.IsCancellationRequested)
                {
                    if ((await SendAsync()).Ok) Interlocked.Increment(ref warmed);
                }
            })));
            Console.Error.WriteLine($"  warm-up: {warmed:N0} timestamps in {warmup.TotalSeconds:F0} s (untimed)");
        }

        var latency = new LatencyRecorder();
        var errorLatency = new LatencyRecorder();
        var outcomes = new HttpOutcomes();
        long taken = 0, done = 0, errors = 0;
        using var runEnd = new CancellationTokenSource(duration);
        var stop = Stopwatch.StartNew();

        async Task Worker()
        {
            while (!runEnd.IsCancellationRequested && Interlocked.Increment(ref taken) <= count)
            {
                var started = Stopwatch.GetTimestamp();
                try
                {
                    var (ok, status, _, _) = await SendAsync();
                    var elapsed = Stopwatch.GetElapsedTime(started);
                    outcomes.Status(status);
                    if (ok)
                    {
                        latency.Record(elapsed);
                        Interlocked.Increment(ref done);
                    }
                    else
                    {
                        errorLatency.Record(elapsed);
                        Interlocked.Increment(ref errors);
                    }
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                {
                    errorLatency.Record(Stopwatch.GetElapsedTime(started));
                    Interlocked.Increment(ref errors);
                    outcomes.Exception(ex);
                }
            }
        }

        var progress = RunProgress.ReportAsync(stop, () => Interlocked.Read(ref done), () => Interlocked.Read(ref errors), "timestamps", runEnd.Token);
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker)));
        var seconds = stop.Elapsed.TotalSeconds;
        await runEnd.CancelAsync();
        await progress;

        var rate = done / seconds;
        Console.Error.WriteLine($"tsa-stamp: {done:N0} timestamps in {seconds:F1} s = {rate:N0} timestamps/s, errors {errors:N0}");
        Console.Error.WriteLine($"  latency 200: {latency.Summary()}");
        if (errorLatency.Count > 0) Console.Error.WriteLine($"  latency errors: {errorLatency.Summary()}");
        Console.Error.WriteLine($"  outcomes: {outcomes.Summary()}");
        if (json is not null)
        {
            var result = new JsonObject
            {
                ["scenario"] = "tsa-stamp",
                ["url"] = baseUri.ToString(),
                ["format"] = format,
                ["concurrency"] = concurrency,
                ["duration_s"] = duration.TotalSeconds,
                ["warmup_s"] = warmup.TotalSeconds,
                ["bodies"] = bodies,
                ["checked"] = check,
                ["issued"] = done,
                ["errors"] = errors,
                ["seconds"] = seconds,
                ["timestamps_per_s"] = rate,
                ["latency"] = latency.ToJson(),
                ["error_latency"] = errorLatency.ToJson(),
                ["outcomes"] = outcomes.ToJson(),
                ["processor_count"] = Environment.ProcessorCount,
                ["generated"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            };
            await File.WriteAllTextAsync(json, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }

        return errors == 0 ? 0 : 1;
    }
}
