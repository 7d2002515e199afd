namespace PrivateSigstore.Monitor.Tests;

/// <summary>Following Rekor v1 and CT logs: consistency over growth, and each way a log can misbehave.</summary>
public sealed class FollowingTests
{
    public static TheoryData<MonitoredLogKind> Kinds => [MonitoredLogKind.RekorV1, MonitoredLogKind.Ct];

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Consistency_is_followed_over_growth_with_full_audit(MonitoredLogKind kind)
    {
        await using var log = await FakeLog.StartAsync();
        Fill(log, kind, 3);
        var options = MonitorHost.Options(log, kind);
        options.FullAudit = true;
        await using var monitor = await MonitorHost.StartAsync(options);
        await monitor.WaitForSizeAsync(3);
        Fill(log, kind, 5);
        await monitor.WaitForSizeAsync(8);
        Fill(log, kind, 9);
        await monitor.WaitForSizeAsync(17);
        await monitor.MorePollsAsync();
        Assert.Empty(monitor.Alerts.List());
        Assert.Equal(17, monitor.Follower.State!.AuditRange is { } r ? monitor.Follower.State.NextEntry : -1);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_log_going_backwards_is_alerted_once_with_both_checkpoints(MonitoredLogKind kind)
    {
        await using var log = await FakeLog.StartAsync();
        Fill(log, kind, 5);
        await using var monitor = await MonitorHost.StartAsync(MonitorHost.Options(log, kind));
        await monitor.WaitForSizeAsync(5);
        var verified = monitor.Follower.State!.Checkpoint;
        log.Truncate(3);
        var alert = Assert.Single(await monitor.WaitForAlertAsync(AlertKinds.LogShrunk));
        await monitor.MorePollsAsync();
        Assert.Single(monitor.Alerts.List());
        Assert.Equal(verified, alert.Evidence["previous"]);
        Assert.NotEqual(verified, alert.Evidence["current"]);
        Assert.Contains("size 3", alert.Message, StringComparison.Ordinal);
        Assert.Equal(5, monitor.Follower.State!.Size);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_changed_root_at_the_same_size_is_a_fork(MonitoredLogKind kind)
    {
        await using var log = await FakeLog.StartAsync();
        log.AddFiller(4);
        await using var monitor = await MonitorHost.StartAsync(MonitorHost.Options(log, kind));
        await monitor.WaitForSizeAsync(4);
        var verified = monitor.Follower.State!.Checkpoint;
        log.Rewrite(1);
        var alert = Assert.Single(await monitor.WaitForAlertAsync(AlertKinds.RootChanged));
        Assert.Equal(verified, alert.Evidence["previous"]);
        Assert.NotEqual(verified, alert.Evidence["current"]);
        Assert.Equal(kind.ToString(), alert.LogKind);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_grown_fork_fails_the_consistency_proof(MonitoredLogKind kind)
    {
        await using var log = await FakeLog.StartAsync();
        log.AddFiller(4);
        await using var monitor = await MonitorHost.StartAsync(MonitorHost.Options(log, kind));
        await monitor.WaitForSizeAsync(4);
        log.Rewrite(2);
        log.AddFiller(3);
        var alert = Assert.Single(await monitor.WaitForAlertAsync(AlertKinds.ConsistencyFailed));
        Assert.Contains("from 4 to 7", alert.Message, StringComparison.Ordinal);
        Assert.Equal(4, monitor.Follower.State!.Size);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_bad_signature_is_alerted_and_not_trusted(MonitoredLogKind kind)
    {
        await using var log = await FakeLog.StartAsync();
        log.AddFiller(2);
        await using var monitor = await MonitorHost.StartAsync(MonitorHost.Options(log, kind));
        await monitor.WaitForSizeAsync(2);
        log.Misbehaviour = Misbehaviour.BadSignature;
        log.AddFiller(2);
        var alert = Assert.Single(await monitor.WaitForAlertAsync(AlertKinds.InvalidSignature));
        Assert.NotEmpty(alert.Evidence["previous"]);
        Assert.NotEmpty(alert.Evidence["current"]);
        await monitor.MorePollsAsync();
        Assert.Equal(2, monitor.Follower.State!.Size);
        log.Misbehaviour = Misbehaviour.None;
        await monitor.WaitForSizeAsync(4);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Garbage_is_an_alert_not_a_crash(MonitoredLogKind kind)
    {
        await using var log = await FakeLog.StartAsync();
        log.AddFiller(2);
        await using var monitor = await MonitorHost.StartAsync(MonitorHost.Options(log, kind));
        await monitor.WaitForSizeAsync(2);
        log.Misbehaviour = Misbehaviour.Garbage;
        Assert.Single(await monitor.WaitForAlertAsync(AlertKinds.MalformedResponse));
        await monitor.MorePollsAsync();
        Assert.Single(monitor.Alerts.List());
        log.Misbehaviour = Misbehaviour.None;
        log.AddFiller(3);
        await monitor.WaitForSizeAsync(5);
    }

    [Fact]
    public async Task A_ct_log_whose_tree_head_is_older_than_the_merge_delay_is_stalled()
    {
        await using var log = await FakeLog.StartAsync();
        log.AddFiller(2);
        log.SthTime = DateTimeOffset.UtcNow.AddHours(-2);
        var options = MonitorHost.Options(log, MonitoredLogKind.Ct);
        options.MaxMergeDelaySeconds = 3600;
        await using var monitor = await MonitorHost.StartAsync(options);
        var alert = Assert.Single(await monitor.WaitForAlertAsync(AlertKinds.Stalled));
        Assert.Contains("maximum merge delay", alert.Message, StringComparison.Ordinal);
        await monitor.MorePollsAsync();
        Assert.Single(monitor.Alerts.List());
    }

    internal static void Fill(FakeLog log, MonitoredLogKind kind, int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (kind == MonitoredLogKind.Ct) log.AddCtCertificate(Certs.Fulcio($"filler{log.Size}@example.com", "https://issuer.example"));
            else log.AddFiller(1);
        }
    }
}
