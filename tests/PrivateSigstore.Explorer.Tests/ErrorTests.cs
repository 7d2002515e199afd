using Microsoft.Extensions.DependencyInjection;
using System.Text.Json.Nodes;

namespace PrivateSigstore.Explorer.Tests;

/// <summary>Bad input and a log that is down get a clear page with the right status, never a stack trace.</summary>
[Collection(ExplorerGroup.Name)]
public sealed class ErrorTests(ExplorerFixture s)
{
    [Theory]
    [InlineData("/?q=%3C%3E%7B%7D", 400)]
    [InlineData("/?q=%01abc", 400)]
    [InlineData("/?q=abc123xyz%20with%20spaces", 400)]
    [InlineData("/?q=sha256:1234", 400)]
    [InlineData("/?q=123&page=0", 400)]
    [InlineData("/?q=999999", 404)]
    [InlineData("/?q=" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 404)]
    [InlineData("/logs/rekor/entries/999999", 404)]
    [InlineData("/logs/rekor/entries/-1", 400)]
    [InlineData("/logs/rekor/entries/abc", 400)]
    [InlineData("/logs/ct/entries/999999", 404)]
    [InlineData("/logs/rekor-v2/entries/999999", 404)]
    [InlineData("/logs/nope", 404)]
    [InlineData("/logs/rekor?first=abc", 400)]
    [InlineData("/logs/rekor?first=5&second=2", 400)]
    [InlineData("/nothing/here", 404)]
    public async Task Bad_or_unknown_input_gets_a_clear_page_and_status(string path, int expected)
    {
        var (status, body) = await s.GetAsync(path);
        Assert.True(expected == status, $"{status}: {body}");
        Assert.Contains("<h1>", body, StringComparison.Ordinal);
        Assert.DoesNotContain(" at PrivateSigstore", body, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_query_longer_than_the_limit_is_refused()
    {
        var (status, body) = await s.GetAsync("/?q=" + new string('a', 600) + "@example.com");
        Assert.Equal(400, status);
        Assert.Contains("longer than 512", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_log_that_is_down_gets_a_503_page_and_searches_are_rate_limited()
    {
        // A trusted root whose logs listen nowhere (a port just closed).
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        var dead = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var root = JsonNode.Parse(await File.ReadAllTextAsync(s.Stack.TrustedRootPath, TestContext.Current.CancellationToken))!;
        foreach (var list in new[] { "tlogs", "ctlogs" })
        {
            foreach (var log in root[list]!.AsArray()) log!["baseUrl"] = $"http://127.0.0.1:{dead}/{list}";
        }
        var path = Path.Combine(Path.GetTempPath(), $"explorer-dead-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, root.ToJsonString(), TestContext.Current.CancellationToken);
        await using var app = await ExplorerApp.BuildAsync(new ExplorerOptions { TrustedRootPath = path, HttpTimeoutSeconds = 5 },
            ["--urls", "http://127.0.0.1:0", "--RateLimits:search:PermitLimit=3", "--RateLimits:search:WindowSeconds=60"], cancellationToken: TestContext.Current.CancellationToken);
        await app.StartAsync(TestContext.Current.CancellationToken);
        var url = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient();
        foreach (var page in new[] { "/logs/rekor", "/logs/ct", "/logs/rekor-v2/entries/0", "/logs/rekor/entries/0/proof.json" })
        {
            using var response = await http.GetAsync(new Uri(url + page), TestContext.Current.CancellationToken);
            var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.True((int)response.StatusCode == 503, $"{page}: {(int)response.StatusCode} {body}");
            Assert.Contains("does not answer", body, StringComparison.Ordinal);
        }
        // Searches: 3 per minute here; the fourth is refused with 429 and Retry-After.
        var statuses = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            using var response = await http.GetAsync(new Uri(url + "/?q=%3C%3E"), TestContext.Current.CancellationToken);
            statuses.Add((int)response.StatusCode);
            if (i == 3) Assert.True(response.Headers.RetryAfter is not null);
        }
        Assert.Equal([400, 400, 400, 429], statuses);
        await app.StopAsync(TestContext.Current.CancellationToken);
        File.Delete(path);
    }

    [Fact]
    public async Task Bad_settings_fail_the_build_naming_the_setting()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(() => ExplorerApp.BuildAsync(new ExplorerOptions { TrustedRootPath = "/nonexistent/root.json" }, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("Explorer:TrustedRootPath", e.Message, StringComparison.Ordinal);
        e = await Assert.ThrowsAsync<ArgumentException>(() => ExplorerApp.BuildAsync(new ExplorerOptions { TrustedRootPath = s.Stack.TrustedRootPath, MonitorUrl = "ftp://x" }, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("Explorer:MonitorUrl", e.Message, StringComparison.Ordinal);
    }
}
