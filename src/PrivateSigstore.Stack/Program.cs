using Microsoft.AspNetCore.Builder;
using PrivateSigstore.Rekor;

// The embedded default: every service that exists so far, in one process, on loopback, with its data under
// ./data (or --data <dir>). Today that is the Rekor-compatible log (port 3000); the CA (5555), CT log (6962)
// and identity provider (5556) join when they exist.
var dataDir = Path.GetFullPath(ArgValue(args, "--data") ?? "data");
var rekorPort = int.Parse(ArgValue(args, "--rekor-port") ?? "3000", System.Globalization.CultureInfo.InvariantCulture);
Directory.CreateDirectory(dataDir);
Console.WriteLine($"PrivateSigstore stack — data in {dataDir}");

var rekorUrl = $"http://127.0.0.1:{rekorPort}";
var rekor = await RekorApp.BuildAsync([
    "--urls", rekorUrl,
    "--Rekor:DataDirectory", Path.Combine(dataDir, "rekor"),
    "--Rekor:Hostname", $"127.0.0.1:{rekorPort}",
    "--Logging:LogLevel:Default", "Warning",
    "--Logging:LogLevel:PrivateSigstore", "Information",
]);
await rekor.StartAsync();

using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
var services = new (string Name, string Url, string Status)[]
{
    ("Rekor (transparency log, Rekor v1 API)", rekorUrl, "running"),
    ("Fulcio-compatible CA", "http://127.0.0.1:5555", "not built yet"),
    ("CT log", "http://127.0.0.1:6962", "not built yet"),
    ("Identity provider", "http://127.0.0.1:5556", "not built yet"),
};
Console.WriteLine();
foreach (var (name, url, status) in services)
{
    var ready = status == "running" ? await ReadyAsync(http, url) : status;
    Console.WriteLine($"  {name,-40} {url,-24} {ready}");
}
Console.WriteLine($"""

    Try it:
      curl -s {rekorUrl}/api/v1/log
      curl -s {rekorUrl}/api/v1/log/publicKey

    Press Ctrl-C to stop (queued log batches are written before exit).
    """);

var stop = new TaskCompletionSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.TrySetResult();
};
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.TrySetResult();
await stop.Task;
Console.WriteLine("stopping…");
await rekor.StopAsync();
await rekor.DisposeAsync();
Console.WriteLine("stopped.");
return 0;

static string? ArgValue(string[] args, string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static async Task<string> ReadyAsync(HttpClient http, string url)
{
    try
    {
        var r = await http.GetAsync($"{url}/readyz");
        return r.IsSuccessStatusCode ? "ready" : $"NOT READY ({(int)r.StatusCode})";
    }
    catch (HttpRequestException ex)
    {
        return $"NOT READY ({ex.Message})";
    }
}
