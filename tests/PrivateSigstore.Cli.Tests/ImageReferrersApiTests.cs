using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PrivateSigstore.Cli.Tests;

/// <summary>
/// What Debian's distribution 2.8 cannot show: a registry with the OCI 1.1 referrers API (answers <c>OCI-Subject</c>
/// and lists referrers itself), a registry that serves a garbage manifest, and one that fails transiently (503) before
/// answering. The registry is a small in-memory one written here to distribution-spec v1.1.
/// </summary>
public sealed class ImageReferrersApiTests(RekorFixture rekor) : IClassFixture<RekorFixture>
{
    [Fact]
    public async Task A_registry_with_the_referrers_api_gets_no_fallback_tag_and_is_read_through_the_api()
    {
        await using var registry = await OciRegistry.StartAsync();
        var digest = registry.PutImage("api/app", "v1");
        var sign = await Psig.RunAsync("sign-image", $"{registry.Host}/api/app:v1", "--allow-insecure-registry", "--key", rekor.KeyPath, "--rekor-url", rekor.Url);
        Assert.True(sign.ExitCode == 0, sign.Error);
        Assert.Contains("(referrers API)", sign.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(registry.Tags("api/app"), t => t.StartsWith("sha256-", StringComparison.Ordinal));

        var verify = await Psig.RunAsync("verify-image", $"{registry.Host}/api/app@{digest}", "--allow-insecure-registry", "--key", rekor.PublicKeyPath,
            "--trusted-root", rekor.TrustedRootPath, "--output", "json");
        Assert.True(verify.ExitCode == 0, verify.Error);
        Assert.Equal("referrers-api", Assert.Single(JsonNode.Parse(verify.Out)!["signatures"]!.AsArray())!["source"]!.GetValue<string>());
        Assert.DoesNotContain("no referrers API", verify.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_garbage_manifest_is_one_clear_line()
    {
        await using var registry = await OciRegistry.StartAsync();
        registry.PutRaw("junk/app", "v1", "{this is not json"u8.ToArray());
        var verify = await Psig.RunAsync("verify-image", $"{registry.Host}/junk/app:v1", "--allow-insecure-registry", "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath);
        Assert.Equal(1, verify.ExitCode);
        Assert.StartsWith($"psig: {registry.Host}/junk/app: manifest v1 is not JSON", verify.Error, StringComparison.Ordinal);
        Assert.Single(verify.Error.Trim().Split('\n'));
    }

    [Fact]
    public async Task Transient_failures_are_retried_with_backoff_and_then_reported()
    {
        await using var registry = await OciRegistry.StartAsync();
        var digest = registry.PutImage("flaky/app", "v1");
        registry.FailNext = 2;
        var sign = await Psig.RunAsync("sign-image", $"{registry.Host}/flaky/app:v1", "--allow-insecure-registry", "--key", rekor.KeyPath, "--rekor-url", rekor.Url);
        Assert.True(sign.ExitCode == 0, sign.Error);
        Assert.Equal(0, registry.FailNext);

        registry.FailNext = 100;
        var giveUp = await Psig.RunAsync("verify-image", $"{registry.Host}/flaky/app@{digest}", "--allow-insecure-registry", "--registry-retries", "2",
            "--key", rekor.PublicKeyPath, "--trusted-root", rekor.TrustedRootPath);
        Assert.Equal(1, giveUp.ExitCode);
        Assert.Equal(97, registry.FailNext);
        Assert.StartsWith($"psig: registry {registry.Host} answered 503 Service Unavailable for manifest", giveUp.Error, StringComparison.Ordinal);
    }

    /// <summary>An in-memory registry: manifests, blobs, monolithic uploads and the referrers API (distribution-spec v1.1).</summary>
    private sealed class OciRegistry : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly ConcurrentDictionary<string, (byte[] Bytes, string MediaType)> _manifests = new();
        private readonly ConcurrentDictionary<string, byte[]> _blobs = new();
        private int _failNext;

        private OciRegistry(WebApplication app) => _app = app;

        public string Host { get; private set; } = "";

        /// <summary>Answer the next N requests with 503.</summary>
        public int FailNext { get => Volatile.Read(ref _failNext); set => Volatile.Write(ref _failNext, value); }

        public IEnumerable<string> Tags(string repository) =>
            _manifests.Keys.Where(k => k.StartsWith(repository + "@", StringComparison.Ordinal)).Select(k => k[(repository.Length + 1)..]).Where(r => !r.StartsWith("sha256:", StringComparison.Ordinal));

        public string PutImage(string repository, string tag)
        {
            var config = Encoding.UTF8.GetBytes("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]},\"n\":\"" + Guid.NewGuid() + "\"}");
            _blobs[Digest(config)] = config;
            var manifest = Encoding.UTF8.GetBytes(new JsonObject
            {
                ["schemaVersion"] = 2, ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
                ["config"] = new JsonObject { ["mediaType"] = "application/vnd.oci.image.config.v1+json", ["digest"] = Digest(config), ["size"] = config.Length },
                ["layers"] = new JsonArray(),
            }.ToJsonString());
            PutRaw(repository, tag, manifest);
            return Digest(manifest);
        }

        public void PutRaw(string repository, string reference, byte[] bytes, string mediaType = "application/vnd.oci.image.manifest.v1+json")
        {
            _manifests[repository + "@" + reference] = (bytes, mediaType);
            _manifests[repository + "@" + Digest(bytes)] = (bytes, mediaType);
        }

        private static string Digest(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

        public static async Task<OciRegistry> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var registry = new OciRegistry(app);
            app.Map("/v2/{**rest}", (HttpContext http, string rest) => registry.Handle(http, rest));
            await app.StartAsync(TestContext.Current.CancellationToken);
            registry.Host = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Authority;
            return registry;
        }

        private async Task<IResult> Handle(HttpContext http, string rest)
        {
            if (Interlocked.Decrement(ref _failNext) >= 0)
            {
                return Results.StatusCode(503);
            }
            Interlocked.Exchange(ref _failNext, Math.Max(0, Volatile.Read(ref _failNext)));
            var method = http.Request.Method;
            foreach (var kind in new[] { "/manifests/", "/blobs/uploads/", "/blobs/", "/referrers/" })
            {
                var at = rest.LastIndexOf(kind, StringComparison.Ordinal);
                if (at < 0 && kind == "/blobs/uploads/" && rest.EndsWith("/blobs/uploads", StringComparison.Ordinal))
                {
                    at = rest.Length - "/blobs/uploads".Length;
                }
                if (at < 0)
                {
                    continue;
                }
                var repository = rest[..at];
                var reference = rest.Length > at + kind.Length ? rest[(at + kind.Length)..] : "";
                using var body = new MemoryStream();
                await http.Request.Body.CopyToAsync(body);
                switch (kind)
                {
                    case "/manifests/" when method is "GET" or "HEAD":
                        return _manifests.TryGetValue(repository + "@" + reference, out var m) ? Results.Bytes(m.Bytes, m.MediaType) : Results.NotFound();
                    case "/manifests/" when method == "PUT":
                        var bytes = body.ToArray();
                        PutRaw(repository, reference, bytes, http.Request.ContentType ?? "application/vnd.oci.image.manifest.v1+json");
                        if (JsonNode.Parse(bytes)?["subject"]?["digest"]?.GetValue<string>() is { } subject)
                        {
                            http.Response.Headers["OCI-Subject"] = subject;
                        }
                        return Results.Created($"/v2/{repository}/manifests/{Digest(bytes)}", null);
                    case "/blobs/uploads/" when method == "POST":
                        return Results.Accepted($"/v2/{repository}/blobs/uploads/{Guid.NewGuid():N}");
                    case "/blobs/uploads/" when method == "PUT":
                        var blob = body.ToArray();
                        var digest = http.Request.Query["digest"].ToString();
                        if (digest != Digest(blob))
                        {
                            return Results.BadRequest();
                        }
                        _blobs[digest] = blob;
                        return Results.Created($"/v2/{repository}/blobs/{digest}", null);
                    case "/blobs/" when method is "GET" or "HEAD":
                        return _blobs.TryGetValue(reference, out var b) ? Results.Bytes(b, "application/octet-stream") : Results.NotFound();
                    case "/referrers/" when method == "GET":
                        var manifests = new JsonArray();
                        foreach (var (key, value) in _manifests.Where(p => p.Key.StartsWith(repository + "@sha256:", StringComparison.Ordinal)))
                        {
                            var json = JsonNode.Parse(value.Bytes);
                            if (json?["subject"]?["digest"]?.GetValue<string>() == reference)
                            {
                                manifests.Add(new JsonObject
                                {
                                    ["mediaType"] = value.MediaType, ["digest"] = key[(repository.Length + 1)..], ["size"] = value.Bytes.Length,
                                    ["artifactType"] = json["artifactType"]?.GetValue<string>(), ["annotations"] = json["annotations"]?.DeepClone(),
                                });
                            }
                        }
                        var index = new JsonObject { ["schemaVersion"] = 2, ["mediaType"] = "application/vnd.oci.image.index.v1+json", ["manifests"] = manifests };
                        return Results.Bytes(Encoding.UTF8.GetBytes(index.ToJsonString()), "application/vnd.oci.image.index.v1+json");
                }
            }
            return Results.NotFound();
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
    }
}
