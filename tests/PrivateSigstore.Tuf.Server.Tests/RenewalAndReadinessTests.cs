using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Time.Testing;
using PrivateSigstore.Tests.Support;

namespace PrivateSigstore.Tuf.Server.Tests;

/// <summary>The online roles renewed in the background, the expiry monitor (readiness, gauge), start-up errors, and the real clients.</summary>
public sealed class RenewalAndReadinessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task WaitForAsync(Func<bool> condition, string what, int seconds = 10)
    {
        for (var i = 0; i < seconds * 20 && !condition(); i++) await Task.Delay(50, Ct);
        Assert.True(condition(), what);
    }

    [Fact]
    public async Task Timestamp_and_snapshot_are_renewed_in_the_background_at_half_life_and_served()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var dir = TufHost.CreateRepository(time.GetUtcNow());
        var options = TufHost.Options(dir);
        options.RefreshIntervalSeconds = 600;
        await using var host = await TufHost.StartAsync(options, time);
        Assert.Equal(1, host.Repository.Timestamp!.Version);

        // 11 h: the 1-day timestamp still has more than half its life; nothing is signed.
        time.Advance(TimeSpan.FromHours(11));
        await Task.Delay(200, Ct);
        Assert.Equal(1, host.Repository.Timestamp!.Version);

        // 13 h: past half-life, the next tick renews the timestamp only.
        time.Advance(TimeSpan.FromHours(2));
        await WaitForAsync(() => host.Repository.Timestamp!.Version == 2, "the timestamp is renewed after half its lifetime");
        Assert.Equal(1, host.Repository.Snapshot!.Version);
        // Expiry times are written in whole seconds.
        Assert.InRange(host.Repository.Timestamp!.Expires, time.GetUtcNow().AddDays(1).AddSeconds(-1), time.GetUtcNow().AddDays(1));
        var served = await host.Http.GetByteArrayAsync("/timestamp.json", Ct);
        Assert.Equal(2, TufMetadata.Parse(served, TufRole.Timestamp, "served").Version);

        // 16 days: the 30-day snapshot is past half-life too; both are renewed, and the new snapshot is served.
        time.Advance(TimeSpan.FromDays(16));
        await WaitForAsync(() => host.Repository.Snapshot!.Version == 2, "the snapshot is renewed after half its lifetime");
        await WaitForAsync(() => host.Repository.Timestamp!.Version == 3, "a renewed snapshot comes with a new timestamp");
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/2.snapshot.json", Ct)).StatusCode);
        Assert.Equal(1, host.Repository.PublishedTargets!.Version);
        var monitor = host.Services.GetRequiredService<TufRepositoryMonitor>();
        Assert.Equal(HealthStatus.Healthy, monitor.Evaluate().Status);
    }

    [Fact]
    public async Task A_restarted_service_renews_expired_online_roles_before_it_serves()
    {
        var created = DateTimeOffset.UtcNow.AddDays(-3);
        var dir = TufHost.CreateRepository(created);
        Assert.True(TufRepository.Open(dir).Timestamp!.Expires < DateTimeOffset.UtcNow);
        await using var host = await TufHost.StartAsync(TufHost.Options(dir));
        Assert.True(host.Repository.Timestamp!.Expires > DateTimeOffset.UtcNow.AddHours(23));
        Assert.Equal("Healthy", await host.Http.GetStringAsync("/readyz", Ct));
    }

    [Fact]
    public async Task Readiness_is_degraded_with_a_warning_and_the_gauge_when_targets_expire_soon()
    {
        var dir = TufHost.CreateRepository(DateTimeOffset.UtcNow, new TufExpiryPolicy { Targets = TimeSpan.FromDays(10) });
        await using var host = await TufHost.StartAsync(TufHost.Options(dir));
        using var response = await host.Http.GetAsync("/readyz", Ct);
        // Degraded is still 200: the repository serves; the operator has ten days to sign new targets.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Degraded", await response.Content.ReadAsStringAsync(Ct));
        var health = host.Services.GetRequiredService<TufRepositoryMonitor>().Evaluate();
        Assert.Equal(HealthStatus.Degraded, health.Status);
        Assert.Contains("targets v1 expires at", health.Description, StringComparison.Ordinal);
        Assert.DoesNotContain("root", health.Description, StringComparison.Ordinal);

        var gauge = host.ExpiryGauge();
        Assert.Equal(["root", "snapshot", "targets", "timestamp"], gauge.Keys.Order(StringComparer.Ordinal));
        Assert.InRange(gauge["targets"], TimeSpan.FromDays(9.9).TotalSeconds, TimeSpan.FromDays(10).TotalSeconds);
        Assert.InRange(gauge["timestamp"], TimeSpan.FromHours(23.9).TotalSeconds, TimeSpan.FromDays(1).TotalSeconds);
        var metrics = await host.Http.GetStringAsync("/metrics", Ct);
        Assert.Contains("privatesigstore_tuf_time_to_expiry_seconds{", metrics, StringComparison.Ordinal);

        // A window of 5 days: healthy again.
        var options = TufHost.Options(dir);
        options.ExpiryWarningDays = 5;
        await using var relaxed = await TufHost.StartAsync(options);
        Assert.Equal("Healthy", await relaxed.Http.GetStringAsync("/readyz", Ct));
    }

    [Fact]
    public async Task Expired_online_roles_that_cannot_be_renewed_make_readiness_unhealthy()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var dir = TufHost.CreateRepository(time.GetUtcNow());
        await using var host = await TufHost.StartAsync(TufHost.Options(dir), time);
        var refresher = host.Services.GetRequiredService<TufRefresher>();
        var monitor = host.Services.GetRequiredService<TufRepositoryMonitor>();

        // Another writer holds the repository (a stuck command): renewal fails, and two days later the timestamp has expired.
        using (RepositoryLock.Acquire(dir, TimeSpan.FromSeconds(1)))
        {
            time.Advance(TimeSpan.FromDays(2));
            await WaitForAsync(() => monitor.Current?.Status == HealthStatus.Unhealthy, "expired and not renewed is unhealthy", seconds: 40);
        }
        Assert.Contains("timestamp v1 expired at", monitor.Current!.Description, StringComparison.Ordinal);
        Assert.Contains("could not be renewed: ", monitor.Current.Description, StringComparison.Ordinal);
        Assert.Contains("locked", monitor.Current.Description, StringComparison.Ordinal);

        // The writer is gone: the next pass renews and all is well.
        Assert.Contains("timestamp v2", refresher.RefreshOnce());
        Assert.Equal(HealthStatus.Healthy, monitor.Current!.Status);
    }

    [Fact]
    public async Task Start_up_errors_name_the_setting()
    {
        var missing = Path.Combine(Path.GetTempPath(), "psig-tuf-none-" + Guid.NewGuid().ToString("N"));
        var e = await Assert.ThrowsAsync<ArgumentException>(() => TufApp.BuildAsync(new TufOptions { RepositoryDirectory = missing }, cancellationToken: Ct));
        Assert.Contains("Tuf:RepositoryDirectory", e.Message, StringComparison.Ordinal);
        Assert.Contains("psig tuf init", e.Message, StringComparison.Ordinal);

        var dir = TufHost.CreateRepository(DateTimeOffset.UtcNow);
        e = await Assert.ThrowsAsync<ArgumentException>(() => TufApp.BuildAsync(new TufOptions { RepositoryDirectory = dir }, cancellationToken: Ct));
        Assert.Contains("Tuf:SnapshotKey is required", e.Message, StringComparison.Ordinal);

        // The timestamp key is a key the root does not list (here: the snapshot key).
        var options = TufHost.Options(dir);
        options.TimestampKey.KeyPath = options.SnapshotKey.KeyPath;
        e = await Assert.ThrowsAsync<ArgumentException>(() => TufApp.BuildAsync(options, cancellationToken: Ct));
        Assert.Contains("Tuf:TimestampKey", e.Message, StringComparison.Ordinal);
        Assert.Contains("is not a timestamp key of root v1", e.Message, StringComparison.Ordinal);

        options = TufHost.Options(dir);
        options.SnapshotKey.KeyPath = Path.Combine(dir, "keys", "nope.pem");
        e = await Assert.ThrowsAsync<ArgumentException>(() => TufApp.BuildAsync(options, cancellationToken: Ct));
        Assert.Contains("Tuf:SnapshotKey", e.Message, StringComparison.Ordinal);

        // From configuration, as the executable reads it.
        e = await Assert.ThrowsAsync<ArgumentException>(() => TufApp.BuildAsync(["--Tuf:RefreshIntervalSeconds", "0"], cancellationToken: Ct));
        Assert.Contains("Tuf:RefreshIntervalSeconds", e.Message, StringComparison.Ordinal);
        e = await Assert.ThrowsAsync<ArgumentException>(() => TufApp.BuildAsync(["--Tuf:ExpiryWarningDays", "soon"], cancellationToken: Ct));
        Assert.Contains("Tuf:ExpiryWarningDays", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sigstore")]
    [InlineData("tuf-js")]
    public async Task The_real_tuf_clients_fetch_both_targets_from_the_running_service(string client)
    {
        NodeScript.Require();
        var dir = TufHost.CreateRepository(DateTimeOffset.UtcNow);
        await using var host = await TufHost.StartAsync(TufHost.Options(dir));
        var cache = Directory.CreateTempSubdirectory("psig-tuf-server-cache-").FullName;

        async Task<System.Text.Json.Nodes.JsonNode> RunAsync()
        {
            var run = await NodeScript.RunAsync("tuf-client.mjs", new Dictionary<string, string>
            {
                ["TUF_CLIENT"] = client,
                ["TUF_MIRROR_URL"] = host.Url,
                ["TUF_ROOT_PATH"] = Path.Combine(dir, "root.json"),
                ["TUF_CACHE_DIR"] = cache,
                ["TUF_TARGETS"] = $"{TufRepository.TrustedRootTarget},{TufRepository.SigningConfigTarget}",
            }, Ct);
            Assert.True(run.ExitCode == 0 && run.Summary?["ok"]?.GetValue<bool>() == true, run.Report());
            return run.Summary!;
        }

        var first = await RunAsync();
        Assert.Equal(System.Text.Encoding.UTF8.GetString(TufHost.TrustedRoot), first["targets"]![TufRepository.TrustedRootTarget]!["text"]!.GetValue<string>());
        Assert.Equal(System.Text.Encoding.UTF8.GetString(TufHost.SigningConfig), first["targets"]![TufRepository.SigningConfigTarget]!["text"]!.GetValue<string>());

        // A targets update published while the service runs: the client's refresh from its cache sees it.
        var repository = TufRepository.Open(dir);
        var updated = System.Text.Encoding.UTF8.GetBytes("{\"mediaType\":\"application/vnd.dev.sigstore.trustedroot+json;version=0.1\",\"tlogs\":[]}\n");
        using (var targets = TufDevelopmentRepository.LoadOrCreateKey(dir, TufRole.Targets, out _))
        {
            var served = host.Services.GetRequiredService<TufServedRepository>();
            TufDevelopmentRepository.PublishTargets(repository, new Dictionary<string, byte[]> { [TufRepository.TrustedRootTarget] = updated }, targets, served.SnapshotKey, served.TimestampKey, DateTimeOffset.UtcNow);
        }
        var second = await RunAsync();
        Assert.Equal(System.Text.Encoding.UTF8.GetString(updated), second["targets"]![TufRepository.TrustedRootTarget]!["text"]!.GetValue<string>());
        Assert.Equal(System.Text.Encoding.UTF8.GetString(TufHost.SigningConfig), second["targets"]![TufRepository.SigningConfigTarget]!["text"]!.GetValue<string>());
    }
}
