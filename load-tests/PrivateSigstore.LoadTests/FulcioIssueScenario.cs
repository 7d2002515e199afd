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
/// POST /api/v2/signingCert against a Fulcio-compatible CA on loopback, as sigstore-js sends it: a fresh P-256 key per
/// request with its proof of possession over the token's subject, the token in the body. Tokens are pre-minted with the
/// <see cref="LoadIdentity"/> key (one per email, reused round robin), and request bodies are built before the timed
/// phase and cycled. C workers each await one request at a time; 200 with a chain is success, anything else an error.
/// </summary>
internal static class FulcioIssueScenario
{
    private static readonly MediaTypeHeaderValue JsonType = new("application/json");

    public static async Task<int> RunAsync(Args args)
    {
        var baseUri = HttpLoopback.ParseUrl(args.Get("url", "http://127.0.0.1:5555"));
        var setup = args.Get("setup") ?? throw new ArgumentException("--setup <dir> is required (the directory fulcio-setup wrote)");
        var concurrency = (int)args.Long("concurrency", 64);
        var duration = TimeSpan.FromSeconds(args.Long("duration", 60));
        var count = args.Long("count", 100_000_000);
        var bodies = (int)args.Long("bodies", 20_000);
        var tokens = (int)args.Long("tokens", 1_000);
        var warmup = TimeSpan.FromSeconds(args.Long("warmup", 0));
        var timeout = TimeSpan.FromSeconds(args.Long("timeout", 30));
        var json = args.Get("json");
        args.RejectUnknown();
        if (concurrency is < 1 or > 65_536) throw new ArgumentException("--concurrency must be in 1..65536");
        if (bodies < 1 || tokens < 1) throw new ArgumentException("--bodies and --tokens must be positive");

        using var identity = LoadIdentity.Open(setup);
        using var http = HttpLoopback.CreateClient(baseUri, concurrency, timeout);
        var prepare = Stopwatch.StartNew();
        var lifetime = duration + warmup + TimeSpan.FromMinutes(10);
        var minted = Enumerable.Range(0, tokens).Select(i => (Email: $"load-{i}@example.com", Token: identity.Mint($"load-{i}@example.com", lifetime))).ToArray();
        var requests = new byte[bodies][];
        Parallel.For(0, bodies, i =>
        {
            var (email, token) = minted[i % tokens];
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            requests[i] = LoadIdentity.SigningCertificateRequest(token, email, key);
        });
        Console.Error.WriteLine($"fulcio-issue: {baseUri}; {tokens:N0} tokens and {bodies:N0} request bodies prepared in {prepare.Elapsed.TotalSeconds:F1} s; concurrency {concurrency}, duration {duration.TotalSeconds:F0} s");
        await HttpLoopback.WarmUpAsync(http, "api/v2/trustBundle", concurrency, CancellationToken.None);

        long next = 0;
        async Task<(bool Ok, int Status)> SendAsync()
        {
            var body = requests[(int)(Interlocked.Increment(ref next) % bodies)];
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = JsonType;
            using var response = await http.PostAsync("api/v2/signingCert", content, CancellationToken.None);
            var bytes = await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
            return (response.StatusCode == HttpStatusCode.OK && bytes.AsSpan().IndexOf("BEGIN CERTIFICATE"u8) >= 0, (int)response.StatusCode);
        }

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
            Console.Error.WriteLine($"  warm-up: {warmed:N0} certificates in {warmup.TotalSeconds:F0} s (untimed)");
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
                    var (ok, status) = await SendAsync();
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

        var progress = RunProgress.ReportAsync(stop, () => Interlocked.Read(ref done), () => Interlocked.Read(ref errors), "certificates", runEnd.Token);
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker)));
        var seconds = stop.Elapsed.TotalSeconds;
        await runEnd.CancelAsync();
        await progress;

        var rate = done / seconds;
        Console.Error.WriteLine($"fulcio-issue: {done:N0} certificates in {seconds:F1} s = {rate:N0} certificates/s, errors {errors:N0}");
        Console.Error.WriteLine($"  latency 200: {latency.Summary()}");
        if (errorLatency.Count > 0) Console.Error.WriteLine($"  latency errors: {errorLatency.Summary()}");
        Console.Error.WriteLine($"  outcomes: {outcomes.Summary()}");
        if (json is not null)
        {
            var result = new JsonObject
            {
                ["scenario"] = "fulcio-issue",
                ["url"] = baseUri.ToString(),
                ["concurrency"] = concurrency,
                ["duration_s"] = duration.TotalSeconds,
                ["warmup_s"] = warmup.TotalSeconds,
                ["tokens"] = tokens,
                ["bodies"] = bodies,
                ["issued"] = done,
                ["errors"] = errors,
                ["seconds"] = seconds,
                ["certificates_per_s"] = rate,
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
