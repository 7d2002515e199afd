using System.Diagnostics;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace PrivateSigstore.Cli.Tests;

/// <summary>
/// Debian's docker-registry (distribution 2.8, no referrers API) as a plain process on a loopback port it picks
/// itself (<c>addr: 127.0.0.1:0</c>; the port is read from its "listening on" log line), storage in a temporary
/// directory; optionally htpasswd (Basic) or token (Bearer) auth. <see cref="Http"/> is a plain HTTP client for the
/// tests' own pushes and reads, independent of psig's registry code.
/// </summary>
internal sealed partial class DistributionRegistry : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private DistributionRegistry(Process process, string directory, string host, System.Security.Cryptography.X509Certificates.X509Certificate2? ca)
    {
        (_process, _directory, Host) = (process, directory, host);
        if (ca is null)
        {
            Http = new HttpClient { BaseAddress = new Uri("http://" + host) };
        }
        else
        {
            // TLS with a private CA: the tests' own client trusts exactly that CA.
            var handler = new SocketsHttpHandler();
            var policy = new System.Security.Cryptography.X509Certificates.X509ChainPolicy { TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust, RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck };
            policy.CustomTrustStore.Add(ca);
            handler.SslOptions = new System.Net.Security.SslClientAuthenticationOptions { CertificateChainPolicy = policy };
            Http = new HttpClient(handler) { BaseAddress = new Uri("https://" + host) };
        }
    }

    /// <summary>host:port.</summary>
    public string Host { get; }

    public HttpClient Http { get; }

    /// <summary>
    /// Starts the registry; <paramref name="auth"/> is the YAML under <c>auth:</c> (null: anonymous); <paramref name="tls"/>
    /// serves HTTPS with that certificate and key (PEM files), trusted by the tests' client through <c>Ca</c>.
    /// </summary>
    public static async Task<DistributionRegistry> StartAsync(string? auth = null, (string Certificate, string Key, System.Security.Cryptography.X509Certificates.X509Certificate2 Ca)? tls = null)
    {
        var directory = Directory.CreateTempSubdirectory("psig-registry-").FullName;
        var config = Path.Combine(directory, "config.yml");
        var yaml = $"""
            version: 0.1
            log:
              level: info
              accesslog:
                disabled: true
            storage:
              filesystem:
                rootdirectory: {Path.Combine(directory, "data")}
              delete:
                enabled: true
            http:
              addr: 127.0.0.1:0
            """;
        if (tls is { } t)
        {
            yaml += $"\n  tls:\n    certificate: {t.Certificate}\n    key: {t.Key}";
        }
        if (auth is not null)
        {
            yaml += "\nauth:\n" + string.Join('\n', auth.Split('\n').Select(l => "  " + l));
        }
        await File.WriteAllTextAsync(config, yaml + "\n");
        var start = new ProcessStartInfo("docker-registry", ["serve", config]) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        var process = Process.Start(start) ?? throw new InvalidOperationException("docker-registry did not start");
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new StringBuilder();
        void OnLine(object? _, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }
            lock (log)
            {
                log.AppendLine(e.Data);
            }
            if (ListeningLine().Match(e.Data) is { Success: true } match)
            {
                listening.TrySetResult(match.Groups[1].Value);
            }
        }
        process.ErrorDataReceived += OnLine;
        process.OutputDataReceived += OnLine;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var done = await Task.WhenAny(listening.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(30)));
        if (done != listening.Task)
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
            process.Dispose();
            throw new InvalidOperationException("docker-registry did not start listening: " + log);
        }
        return new DistributionRegistry(process, directory, await listening.Task, tls?.Ca);
    }

    [GeneratedRegex("listening on (127\\.0\\.0\\.1:[0-9]+)")]
    private static partial Regex ListeningLine();

    /// <summary>Uploads a blob (POST + monolithic PUT, distribution-spec "Pushing a blob monolithically"); returns its descriptor.</summary>
    public async Task<JsonObject> PushBlobAsync(string repository, byte[] blob, string mediaType, AuthenticationHeaderValue? auth = null)
    {
        var digest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(blob));
        using var post = new HttpRequestMessage(HttpMethod.Post, $"/v2/{repository}/blobs/uploads/");
        post.Headers.Authorization = auth;
        using var started = await Http.SendAsync(post);
        Assert.True(started.IsSuccessStatusCode, $"blob upload start: {(int)started.StatusCode}");
        var location = started.Headers.Location!;
        var url = (location.IsAbsoluteUri ? location : new Uri(Http.BaseAddress!, location)).AbsoluteUri;
        using var put = new HttpRequestMessage(HttpMethod.Put, url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "digest=" + Uri.EscapeDataString(digest))
        {
            Content = new ByteArrayContent(blob),
        };
        put.Content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        put.Headers.Authorization = auth;
        using var done = await Http.SendAsync(put);
        Assert.True(done.IsSuccessStatusCode, $"blob upload: {(int)done.StatusCode} {await done.Content.ReadAsStringAsync()}");
        return new JsonObject { ["mediaType"] = mediaType, ["digest"] = digest, ["size"] = blob.Length };
    }

    /// <summary>Puts manifest bytes under a tag or digest; returns the digest.</summary>
    public async Task<string> PutManifestAsync(string repository, string reference, byte[] manifest, string mediaType, AuthenticationHeaderValue? auth = null)
    {
        using var put = new HttpRequestMessage(HttpMethod.Put, $"/v2/{repository}/manifests/{reference}") { Content = new ByteArrayContent(manifest) };
        put.Content.Headers.ContentType = new MediaTypeHeaderValue(mediaType);
        put.Headers.Authorization = auth;
        using var response = await Http.SendAsync(put);
        Assert.True(response.IsSuccessStatusCode, $"manifest put {reference}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(manifest));
    }

    /// <summary>Pushes a small random single-platform OCI image under <paramref name="tag"/>; returns its manifest digest.</summary>
    public async Task<(string Digest, byte[] Manifest)> PushRandomImageAsync(string repository, string tag, string? architecture = null, AuthenticationHeaderValue? auth = null)
    {
        var config = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = architecture ?? "amd64", ["os"] = "linux",
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray() },
            ["config"] = new JsonObject { ["Labels"] = new JsonObject { ["nonce"] = Guid.NewGuid().ToString() } },
        }.ToJsonString());
        var layer = RandomNumberGenerator.GetBytes(512);
        var manifest = Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = await PushBlobAsync(repository, config, "application/vnd.oci.image.config.v1+json", auth),
            ["layers"] = new JsonArray(await PushBlobAsync(repository, layer, "application/vnd.oci.image.layer.v1.tar", auth)),
        }.ToJsonString());
        return (await PutManifestAsync(repository, tag, manifest, "application/vnd.oci.image.manifest.v1+json", auth), manifest);
    }

    /// <summary>GET with an Accept header; the status and body.</summary>
    public async Task<(int Status, byte[] Body)> GetAsync(string path, string accept = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Accept", accept);
        using var response = await Http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsByteArrayAsync());
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // The OS cleans temp.
        }
    }
}
