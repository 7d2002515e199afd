using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace PrivateSigstore.Hosting.Tests;

public sealed class HostingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly ServiceDescription TestService = new("Test", "http://127.0.0.1:0")
    {
        Meters = ["PrivateSigstore.Test"],
        RateLimitedGroups = ["write"],
        MaxRequestBodyBytes = 4096,
    };

    private static async Task<(WebApplication App, HttpClient Http)> StartAsync(string[] args, Action<WebApplicationBuilder>? register = null, Action<WebApplication>? map = null)
    {
        var builder = ServiceApp.CreateBuilder(TestService, ["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "None", .. args]);
        register?.Invoke(builder);
        var app = builder.Build();
        await app.Services.OpenResourcesAsync(Ct);
        app.UseServiceDefaults();
        map?.Invoke(app);
        app.MapServiceDefaults();
        await app.StartAsync(Ct);
        var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new HttpClient { BaseAddress = new Uri(url) });
    }

    [Fact]
    public async Task Readiness_runs_the_signing_probe_once_and_then_answers_from_the_cache()
    {
        var probe = new CountingCheck();
        var (app, http) = await StartAsync([], b => b.Services.AddSingleton(probe).AddHealthChecks().AddCachedReadinessCheck<ProbeCheck>("key"));
        await using (app)
        using (http)
        {
            for (var i = 0; i < 20; i++)
            {
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readyz", Ct)).StatusCode);
            }
            Assert.Equal(1, probe.Calls);
            // /healthz is liveness only: it never runs the probe.
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz", Ct)).StatusCode);
            Assert.Equal(1, probe.Calls);
        }
    }

    [Fact]
    public async Task A_failing_probe_is_unready_and_is_retried_soon()
    {
        var probe = new CountingCheck { Healthy = false };
        var (app, http) = await StartAsync([], b => b.Services.AddSingleton(probe).AddHealthChecks().AddCachedReadinessCheck<ProbeCheck>("key"));
        await using (app)
        using (http)
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/readyz", Ct)).StatusCode);
            probe.Healthy = true;
            await Task.Delay(1100, Ct);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readyz", Ct)).StatusCode);
        }
    }

    [Fact]
    public async Task Metrics_are_served_in_prometheus_text()
    {
        var (app, http) = await StartAsync([]);
        await using (app)
        using (http)
        {
            var text = await http.GetStringAsync("/metrics", Ct);
            Assert.Contains("# TYPE", text, StringComparison.Ordinal);
        }
    }

    /// <summary>Issue 20, finding 9: /metrics was open on every service; with a token file it needs that bearer token.</summary>
    [Fact]
    public async Task With_a_token_file_metrics_need_that_bearer_token_and_health_stays_open()
    {
        var dir = Directory.CreateTempSubdirectory("psig-metrics-");
        try
        {
            var tokenFile = Path.Combine(dir.FullName, "metrics-token");
            await File.WriteAllTextAsync(tokenFile, "s3cret-scrape-token-0123456789\n", Ct);
            var (app, http) = await StartAsync(["--Metrics:BearerTokenFile", tokenFile]);
            await using (app)
            using (http)
            {
                using (var none = await http.GetAsync("/metrics", Ct))
                {
                    Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
                    Assert.Equal("Bearer", Assert.Single(none.Headers.WwwAuthenticate).Scheme);
                    Assert.DoesNotContain("# TYPE", await none.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
                }
                foreach (var wrong in new[] { "Bearer wrong", "Bearer s3cret-scrape-token-012345678", "Basic czNjcmV0", "s3cret-scrape-token-0123456789", "Bearer s3cret-scrape-token-0123456789x" })
                {
                    using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics");
                    request.Headers.TryAddWithoutValidation("Authorization", wrong);
                    using var response = await http.SendAsync(request, Ct);
                    Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
                }
                using (var request = new HttpRequestMessage(HttpMethod.Get, "/metrics"))
                {
                    request.Headers.Authorization = new("Bearer", "s3cret-scrape-token-0123456789");
                    using var response = await http.SendAsync(request, Ct);
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                    Assert.Contains("# TYPE", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
                }
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz", Ct)).StatusCode);
                Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readyz", Ct)).StatusCode);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("missing")]
    [InlineData("empty")]
    [InlineData("short")]
    public async Task A_metrics_token_file_that_is_missing_empty_or_short_fails_at_start(string kind)
    {
        var dir = Directory.CreateTempSubdirectory("psig-metrics-");
        try
        {
            var tokenFile = Path.Combine(dir.FullName, "metrics-token");
            if (kind == "empty") await File.WriteAllTextAsync(tokenFile, "\n", Ct);
            if (kind == "short") await File.WriteAllTextAsync(tokenFile, "abc", Ct);
            var e = Assert.Throws<ArgumentException>(() => ServiceApp.CreateBuilder(TestService, ["--Metrics:BearerTokenFile", tokenFile]));
            Assert.Contains("Metrics:BearerTokenFile", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task A_configured_rate_limit_answers_429_with_retry_after_and_unconfigured_groups_are_unlimited()
    {
        var (app, http) = await StartAsync(["--RateLimits:write:PermitLimit", "2", "--RateLimits:write:WindowSeconds", "60"], map: a =>
        {
            a.MapPost("/write", () => "ok").WithRateLimit("write");
            a.MapGet("/read", () => "ok");
        });
        await using (app)
        using (http)
        {
            Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/write", null, Ct)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/write", null, Ct)).StatusCode);
            using var refused = await http.PostAsync("/write", null, Ct);
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.NotNull(refused.Headers.RetryAfter);
            for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/read", Ct)).StatusCode);
        }
    }

    [Fact]
    public async Task An_unhandled_error_on_our_route_is_a_problem_details_500_and_kestrel_refusals_keep_their_status()
    {
        var (app, http) = await StartAsync([], map: a =>
        {
            a.MapGet("/boom", IResult () => throw new InvalidOperationException("secret detail"));
            a.MapPost("/upload", async (HttpContext c) =>
            {
                using var sink = new MemoryStream();
                await c.Request.Body.CopyToAsync(sink);
                return Results.Ok();
            });
        });
        await using (app)
        using (http)
        {
            using var boom = await http.GetAsync("/boom", Ct);
            Assert.Equal(HttpStatusCode.InternalServerError, boom.StatusCode);
            Assert.Equal("application/problem+json", boom.Content.Headers.ContentType?.MediaType);
            Assert.DoesNotContain("secret detail", await boom.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
            using var big = await http.PostAsync("/upload", new ByteArrayContent(new byte[64 * 1024]), Ct);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);
        }
    }

    // Issue 20 finding 10: a 413 closed the connection without saying so; a keep-alive client's next request then failed.
    [Theory]
    [InlineData("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n", "413")]
    [InlineData("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n8000\r\n", "413")]
    [InlineData("POST /early HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n", "413")]
    public async Task An_early_rejection_says_connection_close(string head, string status)
    {
        var (app, http) = await StartAsync([], map: a =>
        {
            a.MapPost("/upload", async (HttpContext c) =>
            {
                using var sink = new MemoryStream();
                await c.Request.Body.CopyToAsync(sink);
                return Results.Ok();
            });
            // As Rekor, the CT log and the witness do: refuse by Content-Length before reading the body.
            a.MapPost("/early", (HttpContext c) => c.Request.ContentLength > 4096 ? Results.StatusCode(413) : Results.Ok());
        });
        await using (app)
        using (http)
        {
            using var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync(http.BaseAddress!.Host, http.BaseAddress.Port, Ct);
            var stream = client.GetStream();
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head), Ct);
            await stream.WriteAsync(new byte[8192], Ct);
            var response = new System.Text.StringBuilder();
            var buffer = new byte[4096];
            while (!response.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var n = await stream.ReadAsync(buffer, Ct);
                if (n == 0) break;
                response.Append(System.Text.Encoding.ASCII.GetString(buffer, 0, n));
            }
            var headers = response.ToString();
            Assert.StartsWith("HTTP/1.1 " + status, headers, StringComparison.Ordinal);
            Assert.Contains("\r\nConnection: close\r\n", headers, StringComparison.OrdinalIgnoreCase);

            // A keep-alive client then opens a new connection and carries on.
            using var big = await http.PostAsync("/upload", new ByteArrayContent(new byte[64 * 1024]), Ct);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, big.StatusCode);
            Assert.True(big.Headers.ConnectionClose);
            using var next = await http.GetAsync("/healthz", Ct);
            Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        }
    }

    // Observed by the HTTP mutation suite: a GET with a body the route never reads sometimes left a keep-alive connection
    // closed after a 200 that did not say so (Kestrel drains an unread body after the response only when little is left,
    // e.g. a 500 KB body to /healthz closed the connection). The hosting layer now drops such a body before the route
    // runs, so the connection stays open for the next request.
    [Theory]
    [InlineData("GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 3000\r\n\r\n", 3000, false, false)]
    [InlineData("GET /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 200000\r\n\r\n", 200000, false, false)]
    [InlineData("GET /metrics HTTP/1.1\r\nHost: t\r\nContent-Length: 12000\r\n\r\n", 12000, false, false)]
    [InlineData("DELETE /healthz HTTP/1.1\r\nHost: t\r\nContent-Length: 12000\r\n\r\n", 12000, false, true)]
    [InlineData("GET /healthz HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n", 12000, true, false)]
    public async Task A_get_with_an_unread_body_keeps_the_connection_open_once_the_body_has_arrived(string head, int length, bool chunked, bool notFound)
    {
        var (app, http) = await StartAsync([], b => b.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = 1024 * 1024));
        await using (app)
        using (http)
        {
            using var client = new System.Net.Sockets.TcpClient();
            await client.ConnectAsync(http.BaseAddress!.Host, http.BaseAddress.Port, Ct);
            var stream = client.GetStream();
            var body = chunked
                ? System.Text.Encoding.ASCII.GetBytes($"{length:x}\r\n" + new string('a', length) + "\r\n0\r\n\r\n")
                : System.Text.Encoding.ASCII.GetBytes(new string('a', length));
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(head), Ct);
            await stream.WriteAsync(body, Ct);
            var first = await ReadResponseAsync(stream);
            Assert.Matches(notFound ? "^HTTP/1.1 (200|405) " : "^HTTP/1.1 200 ", first);
            if (length > 16 * 1024)
            {
                // Too large to drop: said so, and the connection ends.
                Assert.Contains("Connection: close", first, StringComparison.OrdinalIgnoreCase);
                return;
            }

            Assert.DoesNotContain("Connection: close", first, StringComparison.OrdinalIgnoreCase);

            // The same connection serves the next request.
            await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"), Ct);
            Assert.StartsWith("HTTP/1.1 200", await ReadResponseAsync(stream), StringComparison.Ordinal);
        }
    }

    /// <summary>Reads one HTTP/1.1 response with a Content-Length or chunked body from a raw socket; returns its head.</summary>
    private static async Task<string> ReadResponseAsync(System.IO.Stream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (bytes.Count < 4 || !(bytes[^4] == '\r' && bytes[^3] == '\n' && bytes[^2] == '\r' && bytes[^1] == '\n'))
        {
            Assert.True(await stream.ReadAsync(one, Ct) == 1, "the connection was closed: " + System.Text.Encoding.ASCII.GetString([.. bytes]));
            bytes.Add(one[0]);
        }

        var head = System.Text.Encoding.ASCII.GetString([.. bytes]);
        var lengthLine = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        if (lengthLine is not null)
        {
            var remaining = int.Parse(lengthLine["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
            await stream.ReadExactlyAsync(new byte[remaining], Ct);
        }
        else if (head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            while (true)
            {
                var line = new List<byte>();
                while (line.Count < 2 || !(line[^2] == '\r' && line[^1] == '\n'))
                {
                    await stream.ReadExactlyAsync(one, Ct);
                    line.Add(one[0]);
                }

                var size = Convert.ToInt32(System.Text.Encoding.ASCII.GetString([.. line]).Trim(), 16);
                await stream.ReadExactlyAsync(new byte[size + 2], Ct);
                if (size == 0)
                {
                    break;
                }
            }
        }

        return head;
    }

    [Fact]
    public async Task A_resource_opened_by_an_async_factory_is_disposed_by_the_container()
    {
        Resource? opened = null;
        var (app, http) = await StartAsync([], b => b.Services.AddStartupResource(async (_, ct) =>
        {
            await Task.Yield();
            return opened = new Resource();
        }), a => a.MapGet("/r", (Resource r) => r.Id));
        using (http)
        {
            Assert.NotNull(opened);
            Assert.Equal(opened!.Id, await http.GetStringAsync("/r", Ct));
            Assert.False(opened.Disposed);
            await app.StopAsync(Ct);
            await app.DisposeAsync();
            Assert.True(opened.Disposed);
        }
    }

    [Fact]
    public async Task A_resource_opened_but_never_handed_out_is_still_disposed()
    {
        Resource? opened = null;
        var builder = ServiceApp.CreateBuilder(TestService, ["--Logging:LogLevel:Default", "None"]);
        builder.Services.AddStartupResource((_, _) => Task.FromResult(opened = new Resource()));
        var app = builder.Build();
        await app.Services.OpenResourcesAsync(Ct);
        await app.DisposeAsync();
        Assert.True(opened!.Disposed);
    }

    [Fact]
    public void A_bad_setting_fails_at_build_naming_the_setting()
    {
        var builder = ServiceApp.CreateBuilder(TestService, ["--Test:Port", "99999"]);
        var e = Assert.Throws<ArgumentException>(() => builder.BindServiceOptions<TestOptions>("Test"));
        Assert.Contains("Test:Port", e.Message, StringComparison.Ordinal);
        var unconvertible = ServiceApp.CreateBuilder(TestService, ["--Test:Port", "many"]);
        e = Assert.Throws<ArgumentException>(() => unconvertible.BindServiceOptions<TestOptions>("Test"));
        Assert.Contains("Test:Port", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Typed_options_are_validated_on_start_and_registered()
    {
        var builder = ServiceApp.CreateBuilder(TestService, ["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "None"]);
        builder.Services.AddServiceOptions(new TestOptions { Port = 42 });
        await using var app = builder.Build();
        Assert.Equal(42, app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<TestOptions>>().Value.Port);
        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddServiceOptions(new TestOptions { Port = -1 }));
    }

    [Fact]
    public async Task A_bad_rate_limit_setting_fails_at_start()
    {
        var e = Assert.Throws<ArgumentException>(() =>
        {
            var builder = ServiceApp.CreateBuilder(TestService, ["--RateLimits:write:WindowSeconds", "0"]);
            using var app = builder.Build();
            // The limiter's options are built when first needed.
            _ = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.RateLimiting.RateLimiterOptions>>().Value;
        });
        Assert.Contains("RateLimits:write:WindowSeconds", e.Message, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    public sealed class TestOptions : IServiceOptions
    {
        public int Port { get; set; } = 1;

        public void Validate()
        {
            if (Port is < 0 or > 65535) throw new ArgumentException("Test:Port must be in 0..65535");
        }
    }

    private sealed class Resource : IAsyncDisposable
    {
        public string Id { get; } = Guid.NewGuid().ToString("N");

        public bool Disposed { get; private set; }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task A_store_readiness_check_is_cached_for_one_second_only_so_readiness_follows_the_store()
    {
        var probe = new CountingCheck();
        var (app, http) = await StartAsync([], b => b.Services.AddSingleton(probe).AddHealthChecks().AddStoreReadinessCheck<ProbeCheck>("store"));
        await using (app)
        using (http)
        {
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readyz", Ct)).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/readyz", Ct)).StatusCode);
            Assert.Equal(1, probe.Calls);

            // The store goes away: within a little over a second readiness says so, and says so again when it is back.
            probe.Healthy = false;
            await WaitForStatusAsync(http, HttpStatusCode.ServiceUnavailable);
            probe.Healthy = true;
            await WaitForStatusAsync(http, HttpStatusCode.OK);
        }
    }

    private static async Task WaitForStatusAsync(HttpClient http, HttpStatusCode wanted)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while ((await http.GetAsync("/readyz", Ct)).StatusCode != wanted)
        {
            Assert.True(DateTime.UtcNow < deadline, $"/readyz did not become {wanted} within 5 s");
            await Task.Delay(100, Ct);
        }
    }

    [Theory]
    [InlineData("db")]
    [InlineData("wrapped")]
    [InlineData("disk-full")]
    public async Task A_store_failure_escaping_a_route_is_a_503_with_retry_after(string kind)
    {
        var (app, http) = await StartAsync([], map: a => a.MapPost("/write", () =>
        {
            Exception e = kind switch
            {
                "db" => new FakeDbException("database system is shutting down"),
                "wrapped" => new InvalidOperationException("An error occurred while saving the entity changes.", new FakeDbException("SQLite Error 13: 'database or disk is full'.")),
                _ => new IOException("No space left on device : '/data/state.json'", 28),
            };
            throw e;
        }));
        await using (app)
        using (http)
        {
            using var response = await http.PostAsync("/write", null, Ct);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("1", response.Headers.RetryAfter?.ToString());
            Assert.Contains("store is unavailable", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Another_exception_is_still_a_500()
    {
        var (app, http) = await StartAsync([], map: a => a.MapPost("/write", IResult () => throw new InvalidOperationException("a bug")));
        await using (app)
        using (http)
        {
            using var response = await http.PostAsync("/write", null, Ct);
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        }
    }

    private sealed class FakeDbException(string message) : System.Data.Common.DbException(message);

    private sealed class CountingCheck
    {
        private int _calls;

        public int Calls => _calls;

        public bool Healthy { get; set; } = true;

        public HealthCheckResult Run()
        {
            Interlocked.Increment(ref _calls);
            return Healthy ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("probe failed");
        }
    }

    private sealed class ProbeCheck(CountingCheck counter) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) => Task.FromResult(counter.Run());
    }
}
