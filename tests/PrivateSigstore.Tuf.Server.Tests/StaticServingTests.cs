using System.Net;
using System.Security.Cryptography;

namespace PrivateSigstore.Tuf.Server.Tests;

/// <summary>The published directory as static files: what is served, with which headers, and what never is.</summary>
public sealed class StaticServingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string TargetPath(byte[] bytes, string name) => $"/targets/{Convert.ToHexStringLower(SHA256.HashData(bytes))}.{name}";

    [Fact]
    public async Task Metadata_and_targets_are_served_as_json_with_the_cache_headers_clients_and_proxies_need()
    {
        await using var host = await TufHost.StartAsync(TufHost.Options(TufHost.CreateRepository(DateTimeOffset.UtcNow)));

        using (var response = await host.Http.GetAsync("/timestamp.json", Ct))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            // Renewed every few hours: caches must revalidate (the ETag makes that a 304).
            Assert.Equal("no-cache", response.Headers.CacheControl?.ToString());
            Assert.NotNull(response.Headers.ETag);
            Assert.Equal(await File.ReadAllBytesAsync(Path.Combine(host.Directory, "published", "timestamp.json"), Ct), await response.Content.ReadAsByteArrayAsync(Ct));
        }

        foreach (var path in new[] { "/1.root.json", "/1.snapshot.json", "/1.targets.json", TargetPath(TufHost.TrustedRoot, TufRepository.TrustedRootTarget), TargetPath(TufHost.SigningConfig, TufRepository.SigningConfigTarget) })
        {
            using var response = await host.Http.GetAsync(path, Ct);
            Assert.True(response.StatusCode == HttpStatusCode.OK, path);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            // Consistent snapshots: a versioned or hash-prefixed name never changes content.
            Assert.Equal("public, max-age=31536000, immutable", response.Headers.CacheControl?.ToString());
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        }

        Assert.Equal(TufHost.TrustedRoot, await host.Http.GetByteArrayAsync(TargetPath(TufHost.TrustedRoot, TufRepository.TrustedRootTarget), Ct));

        // HEAD: the headers without the body.
        using var head = await host.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/1.root.json"), Ct);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(new FileInfo(Path.Combine(host.Directory, "published", "1.root.json")).Length, head.Content.Headers.ContentLength);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync(Ct));

        // A client asking for the next root (is there a rotation?) gets a plain 404.
        Assert.Equal(HttpStatusCode.NotFound, (await host.Http.GetAsync("/2.root.json", Ct)).StatusCode);
        // Nothing but GET and HEAD.
        Assert.NotEqual(HttpStatusCode.OK, (await host.Http.PostAsync("/timestamp.json", new StringContent("{}"), Ct)).StatusCode);
        Assert.NotEqual(HttpStatusCode.OK, (await host.Http.DeleteAsync("/timestamp.json", Ct)).StatusCode);
        Assert.True(File.Exists(Path.Combine(host.Directory, "published", "timestamp.json")));
    }

    [Theory]
    [InlineData("/../repository.json")]
    [InlineData("/targets/../../repository.json")]
    [InlineData("/%2e%2e/repository.json")]
    [InlineData("/%2E%2E/%2E%2E/etc/passwd")]
    [InlineData("/targets/..%2f..%2frepository.json")]
    [InlineData("/targets/..%2F..%2Fkeys%2Froot-key.pem")]
    [InlineData("/..%5c..%5crepository.json")]
    [InlineData("/../keys/root-key.pem")]
    [InlineData("/%2e%2e%2fkeys%2froot-key.pem")]
    [InlineData("//etc/passwd")]
    [InlineData("/published/timestamp.json")]
    [InlineData("/")]
    [InlineData("/targets")]
    [InlineData("/targets/")]
    [InlineData("/targets/.")]
    [InlineData("/.hidden.json")]
    [InlineData("/targets/.hidden.json")]
    [InlineData("/timestamp.json%00.png")]
    [InlineData("http://127.0.0.1/../repository.json")]
    public async Task Hostile_and_directory_paths_get_a_404_and_nothing_outside_published(string target)
    {
        var dir = TufHost.CreateRepository(DateTimeOffset.UtcNow);
        // A dot file inside published/ (the writer's half-written temporary files are dot files) is never served.
        await File.WriteAllTextAsync(Path.Combine(dir, "published", ".hidden.json"), "{}", Ct);
        await File.WriteAllTextAsync(Path.Combine(dir, "published", "targets", ".hidden.json"), "{}", Ct);
        await using var host = await TufHost.StartAsync(TufHost.Options(dir));

        var (status, head) = await host.RawAsync(target);
        Assert.True(status is 404 or 400, $"{target}: {head}");
        Assert.DoesNotContain("Location:", head, StringComparison.OrdinalIgnoreCase);
        // The health and metrics routes still answer (they are endpoints, not files).
        Assert.Equal(200, (await host.RawAsync("/healthz")).Status);
    }

    [Theory]
    [InlineData("/timestamp.json", "no-cache")]
    [InlineData("/1.root.json", "public, max-age=31536000, immutable")]
    [InlineData("/12.snapshot.json", "public, max-age=31536000, immutable")]
    [InlineData("/3.targets.json", "public, max-age=31536000, immutable")]
    [InlineData("/targets/ab12.trusted_root.json", "public, max-age=31536000, immutable")]
    [InlineData("/root.json", "no-cache")]
    [InlineData("/x.root.json", "no-cache")]
    [InlineData("/1.other.json", "no-cache")]
    public void Cache_control_by_name(string path, string expected) => Assert.Equal(expected, TufApp.CacheControlFor(path));
}
