using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrivateSigstore.LoadTests;

/// <summary>
/// POST /ct/v1/add-pre-chain against a CT log on loopback, as Fulcio submits: C workers each await one request at a
/// time; every request a unique precertificate (critical poison, code-signing EKU, unique serial and SAN) issued by a
/// load-test intermediate, with the intermediate and root. The CA lives in <c>--ca-dir</c> (created on first use;
/// start the log with <c>--CtLog:RootsPemFile &lt;ca-dir&gt;/root.pem</c>). Chains are built before the timed phase.
/// 200 is success; anything else is an error, counted by kind (a 503 is retried with the same chain after 100 ms).
/// </summary>
internal static class CtAddPreChainScenario
{
    private static readonly MediaTypeHeaderValue JsonType = new("application/json");

    public static async Task<int> RunAsync(Args args)
    {
        var caDir = args.Get("ca-dir", "ct-load-ca");
        var initOnly = args.Flag("init");
        var baseUri = HttpLoopback.ParseUrl(args.Get("url", "http://127.0.0.1:6962"));
        var concurrency = (int)args.Long("concurrency", 64);
        var duration = TimeSpan.FromSeconds(args.Long("duration", 30));
        var count = args.Long("count", 50_000);
        var timeout = TimeSpan.FromSeconds(args.Long("timeout", 30));
        var json = args.Get("json");
        args.RejectUnknown();
        if (concurrency is < 1 or > 65_536) throw new ArgumentException("--concurrency must be in 1..65536");
        if (count is < 1 or > 2_000_000) throw new ArgumentException("--count must be in 1..2000000 (chains are built in memory first)");

        var (root, intermediate, intermediateKey) = LoadOrCreateCa(caDir);
        if (initOnly)
        {
            Console.Error.WriteLine($"ct-add-pre-chain: CA ready in {caDir}; start the log with --CtLog:RootsPemFile {Path.Combine(caDir, "root.pem")}");
            return 0;
        }
        using var http = HttpLoopback.CreateClient(baseUri, concurrency, timeout);
        var sizeBefore = await TreeSizeAsync(http);
        Console.Error.WriteLine($"ct-add-pre-chain: {baseUri} tree size {sizeBefore:N0}; concurrency {concurrency}, duration {duration.TotalSeconds:F0} s, count {count:N0}");

        var buildWatch = Stopwatch.StartNew();
        var bodies = BuildBodies((int)count, root, intermediate, intermediateKey);
        var buildSeconds = buildWatch.Elapsed.TotalSeconds;
        Console.Error.WriteLine($"  built {count:N0} precertificate chains in {buildSeconds:F1} s");
        await HttpLoopback.WarmUpAsync(http, "ct/v1/get-sth", concurrency, CancellationToken.None);

        var latency = new LatencyRecorder();
        var outcomes = new HttpOutcomes();
        long next = -1, done = 0, errors = 0;
        using var runEnd = new CancellationTokenSource(duration);
        var stop = Stopwatch.StartNew();
        async Task Worker()
        {
            byte[]? body = null;
            while (!runEnd.IsCancellationRequested)
            {
                if (body is null)
                {
                    var i = Interlocked.Increment(ref next);
                    if (i >= bodies.Length) break;
                    body = bodies[i];
                }
                var started = Stopwatch.GetTimestamp();
                var retry = false;
                try
                {
                    using var content = new ByteArrayContent(body);
                    content.Headers.ContentType = JsonType;
                    using var response = await http.PostAsync("ct/v1/add-pre-chain", content, CancellationToken.None);
                    await response.Content.ReadAsByteArrayAsync(CancellationToken.None);
                    outcomes.Status((int)response.StatusCode);
                    if (response.StatusCode == HttpStatusCode.OK)
                    {
                        latency.Record(Stopwatch.GetElapsedTime(started));
                        Interlocked.Increment(ref done);
                        body = null;
                        continue;
                    }
                    Interlocked.Increment(ref errors);
                    retry = response.StatusCode == HttpStatusCode.ServiceUnavailable;
                    if (!retry) body = null;
                }
                catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException)
                {
                    Interlocked.Increment(ref errors);
                    outcomes.Exception(ex);
                    retry = true;
                }
                if (retry)
                {
                    try
                    {
                        await Task.Delay(100, runEnd.Token);
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                }
            }
        }
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Task.Run(Worker)));
        var elapsed = stop.Elapsed.TotalSeconds;
        var sizeAfter = await TreeSizeAsync(http);
        var rate = done / elapsed;
        Console.Error.WriteLine($"ct-add-pre-chain: {done:N0} SCTs in {elapsed:F1} s = {rate:N0} SCTs/s, errors {errors:N0}");
        Console.Error.WriteLine($"  latency 200: {latency.Summary()}");
        Console.Error.WriteLine($"  outcomes: {outcomes.Summary()}");
        Console.Error.WriteLine($"  tree size {sizeBefore:N0} -> {sizeAfter:N0} (+{sizeAfter - sizeBefore:N0}; 200s {done:N0})");
        if (json is not null)
        {
            var result = new JsonObject
            {
                ["scenario"] = "ct-add-pre-chain",
                ["url"] = baseUri.ToString(),
                ["concurrency"] = concurrency,
                ["duration_s"] = duration.TotalSeconds,
                ["count"] = count,
                ["start_size"] = sizeBefore,
                ["end_size"] = sizeAfter,
                ["scts"] = done,
                ["errors"] = errors,
                ["seconds"] = elapsed,
                ["scts_per_s"] = rate,
                ["latency"] = latency.ToJson(),
                ["outcomes"] = outcomes.ToJson(),
                ["processor_count"] = Environment.ProcessorCount,
                ["generated"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture),
            };
            await File.WriteAllTextAsync(json, result.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        }
        return errors == 0 ? 0 : 1;
    }

    private static async Task<ulong> TreeSizeAsync(HttpClient http)
    {
        var sth = JsonNode.Parse(await http.GetStringAsync("ct/v1/get-sth"))!;
        return sth["tree_size"]!.GetValue<ulong>();
    }

    /// <summary>Unique precertificate chains as add-pre-chain bodies, built on every core. One leaf key serves all (uniqueness is the serial and SAN).</summary>
    private static byte[][] BuildBodies(int count, X509Certificate2 root, X509Certificate2 intermediate, ECDsa intermediateKey)
    {
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafPublic = new PublicKey(leafKey);
        var tail = $",\"{Convert.ToBase64String(intermediate.RawData)}\",\"{Convert.ToBase64String(root.RawData)}\"]}}";
        var notBefore = DateTimeOffset.UtcNow.AddMinutes(-1);
        var bodies = new byte[count][];
        Parallel.For(0, count, () => X509SignatureGenerator.CreateForECDsa(intermediateKey), (i, _, generator) =>
        {
            var req = new CertificateRequest(new X500DistinguishedName(""), leafPublic, HashAlgorithmName.SHA256);
            req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.3")], false));
            var san = new SubjectAlternativeNameBuilder();
            san.AddEmailAddress($"load-{i}-{Guid.NewGuid():N}@example.com");
            req.CertificateExtensions.Add(san.Build(true));
            req.CertificateExtensions.Add(new X509Extension(new Oid("1.3.6.1.4.1.11129.2.4.3"), [0x05, 0x00], true));
            var serial = RandomNumberGenerator.GetBytes(16);
            serial[0] = (byte)((serial[0] & 0x7F) | 0x01);
            using var precert = req.Create(intermediate.SubjectName, generator, notBefore, notBefore.AddMinutes(10), serial);
            bodies[i] = Encoding.ASCII.GetBytes($"{{\"chain\":[\"{Convert.ToBase64String(precert.RawData)}\"{tail}");
            return generator;
        }, _ => { });
        return bodies;
    }

    /// <summary>The load-test CA: root.pem, intermediate.pem, intermediate-key.pem in <paramref name="dir"/>, created when missing.</summary>
    private static (X509Certificate2 Root, X509Certificate2 Intermediate, ECDsa IntermediateKey) LoadOrCreateCa(string dir)
    {
        var rootPath = Path.Combine(dir, "root.pem");
        var intPath = Path.Combine(dir, "intermediate.pem");
        var keyPath = Path.Combine(dir, "intermediate-key.pem");
        if (!File.Exists(rootPath) || !File.Exists(intPath) || !File.Exists(keyPath))
        {
            Directory.CreateDirectory(dir);
            using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var rootReq = new CertificateRequest("CN=ct load root, O=PrivateSigstore load test", rootKey, HashAlgorithmName.SHA256);
            rootReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            using var newRoot = rootReq.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(5));
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var intReq = new CertificateRequest("CN=ct load intermediate, O=PrivateSigstore load test", key, HashAlgorithmName.SHA256);
            intReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
            using var newInt = intReq.Create(newRoot, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(4), RandomNumberGenerator.GetBytes(8));
            File.WriteAllText(rootPath, newRoot.ExportCertificatePem() + "\n");
            File.WriteAllText(intPath, newInt.ExportCertificatePem() + "\n");
            File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem() + "\n");
        }
        var intermediateKey = ECDsa.Create();
        intermediateKey.ImportFromPem(File.ReadAllText(keyPath));
        return (X509CertificateLoader.LoadCertificate(PemDer(rootPath)), X509CertificateLoader.LoadCertificate(PemDer(intPath)), intermediateKey);
    }

    private static byte[] PemDer(string path)
    {
        var pem = File.ReadAllText(path);
        var fields = PemEncoding.Find(pem);
        return Convert.FromBase64String(pem[fields.Base64Data]);
    }
}
