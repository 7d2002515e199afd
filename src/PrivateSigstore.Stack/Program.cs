using PrivateSigstore.Stack;

// The embedded default: every service in one process, on loopback, with its data under ./data (or --data <dir>).
var options = new StackOptions
{
    DataDirectory = ArgValue(args, "--data") ?? "data",
    RekorPort = Port(args, "--rekor-port", 3000),
    FulcioPort = Port(args, "--fulcio-port", 5555),
    CtLogPort = Port(args, "--ctlog-port", 6962),
    IdentityPort = Port(args, "--identity-port", 5556),
    FulcioConfigPath = ArgValue(args, "--fulcio-config"),
    // --pem-keys: development PEM keys even when SoftHSM2 is installed (a first start decides; keys are not migrated).
    UseSoftHsm = !args.Contains("--pem-keys"),
};
Console.WriteLine($"PrivateSigstore stack — data in {Path.GetFullPath(options.DataDirectory)}");
await using var stack = await StackHost.StartAsync(options);

using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
Console.WriteLine();
foreach (var service in stack.Services)
{
    Console.WriteLine($"  {service.Name,-40} {service.Url,-24} {await ReadyAsync(http, service.Url)}");
}

Console.WriteLine($"""

    Trust material for clients:
      {stack.TrustedRootPath}
      {stack.SigningConfigPath}

    Try it:
      curl -s {stack.RekorUrl}/api/v1/log
      curl -s {stack.FulcioUrl}/api/v2/trustBundle
      curl -s {stack.CtLogUrl}/ct/v1/get-sth
    """);
if (stack.Demo is { } demo)
{
    string issuer = stack.Issuer;
    Console.WriteLine($"""

    Demo identities (kept in {Path.Combine(stack.DataDirectory, "identity", "demo-credentials.json")}, mode 0600):
      person:   {demo.Username} / {demo.Password}   (sign in at {issuer}account/login)
      workload: client id {demo.ClientId}, secret {demo.ClientSecret}, certificate identity {demo.WorkloadEmail}

    Sign a file keylessly as the demo workload, then verify it (from this checkout; psig is src/PrivateSigstore.Cli):
      dotnet run --project src/PrivateSigstore.Cli -- sign-blob README.md --bundle README.md.sigstore.json --signing-config {stack.SigningConfigPath} --oidc-issuer {issuer} --oidc-client-id {demo.ClientId} --oidc-client-secret {demo.ClientSecret}
      dotnet run --project src/PrivateSigstore.Cli -- verify-blob README.md --bundle README.md.sigstore.json --trusted-root {stack.TrustedRootPath} --certificate-identity {demo.WorkloadEmail} --certificate-oidc-issuer {issuer}
    """);
}

Console.WriteLine("""

    Press Ctrl-C to stop (queued log batches are written before exit).
    """);

// Ctrl-C (SIGINT), SIGTERM (systemd, kill, container stop) and SIGQUIT all stop the services cleanly: queued log
// batches are written before the process exits.
var stop = new TaskCompletionSource();
using var onInt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Stop);
using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Stop);
using var onQuit = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGQUIT, Stop);
await stop.Task;
Console.WriteLine("stopping…");
await stack.StopAsync();
Console.WriteLine("stopped.");
return 0;

void Stop(System.Runtime.InteropServices.PosixSignalContext context)
{
    context.Cancel = true;
    stop.TrySetResult();
}

static string? ArgValue(string[] args, string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static int Port(string[] args, string name, int fallback) =>
    ArgValue(args, name) is { } v ? int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : fallback;

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
