using System.Text;

namespace PrivateSigstore.Monitor.Tests;

/// <summary>The alert feed file across crashes (found by Reliability.Tests MonitorCrashTests).</summary>
public sealed class AlertStoreTests
{
    [Fact]
    public void A_line_torn_by_a_crash_does_not_swallow_the_next_alert()
    {
        var dir = Directory.CreateTempSubdirectory("psig-alerts-").FullName;
        try
        {
            using var metrics = new MonitorMetrics();
            using (var store = new AlertStore(dir, metrics, TimeProvider.System))
            {
                store.Add(new MonitorAlert { Kind = AlertKinds.Stalled, Log = "https://log.example", Message = "first" });
            }

            // SIGKILL in the middle of the next alert's write: half a line, no newline.
            File.AppendAllText(Path.Combine(dir, "alerts.jsonl"), "{\"id\":2,\"kind\":\"stal", Encoding.UTF8);
            using (var store = new AlertStore(dir, metrics, TimeProvider.System))
            {
                store.Add(new MonitorAlert { Kind = AlertKinds.Stalled, Log = "https://log.example", Message = "after the crash" });
            }

            using var reopened = new AlertStore(dir, metrics, TimeProvider.System);
            Assert.Equal(["after the crash", "first"], reopened.List().Select(a => a.Message));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void An_identity_match_is_known_per_log_and_entry_across_a_restart()
    {
        var dir = Directory.CreateTempSubdirectory("psig-alerts-").FullName;
        try
        {
            using var metrics = new MonitorMetrics();
            using (var store = new AlertStore(dir, metrics, TimeProvider.System))
            {
                store.Add(new MonitorAlert { Kind = AlertKinds.IdentityMatch, Log = "https://a.example", LogIndex = 7, Message = "match" });
                Assert.True(store.HasIdentityMatch("https://a.example", 7));
            }

            using var reopened = new AlertStore(dir, metrics, TimeProvider.System);
            Assert.True(reopened.HasIdentityMatch("https://a.example", 7));
            Assert.False(reopened.HasIdentityMatch("https://a.example", 8));
            Assert.False(reopened.HasIdentityMatch("https://b.example", 7));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // The webhook and email outbox was in memory only: an alert recorded just before a crash (or a SIGTERM during its
    // retries) was in the feed but never delivered. Deliveries now resume after a restart from the last alert whose
    // deliveries finished (at least once; receivers deduplicate on X-PrivateSigstore-Alert-Id).
    [Fact]
    public void Alerts_not_yet_delivered_when_the_monitor_stopped_are_delivered_after_the_restart()
    {
        var dir = Directory.CreateTempSubdirectory("psig-alerts-").FullName;
        try
        {
            using var metrics = new MonitorMetrics();
            using (var store = new AlertStore(dir, metrics, TimeProvider.System))
            {
                Assert.False(store.Outbox.TryRead(out _)); // nothing pending in a new feed
                store.Add(new MonitorAlert { Kind = AlertKinds.Stalled, Log = "https://log.example", Message = "one" });
                store.Add(new MonitorAlert { Kind = AlertKinds.Stalled, Log = "https://log.example", Message = "two" });
                Assert.True(store.Outbox.TryRead(out var first));
                store.MarkDelivered(first!.Id);
                // the monitor dies here: "two" was recorded but its deliveries never finished
            }

            using (var store = new AlertStore(dir, metrics, TimeProvider.System))
            {
                Assert.True(store.Outbox.TryRead(out var pending));
                Assert.Equal("two", pending!.Message);
                Assert.False(store.Outbox.TryRead(out _));
                store.MarkDelivered(pending.Id);
            }

            using var reopened = new AlertStore(dir, metrics, TimeProvider.System);
            Assert.False(reopened.Outbox.TryRead(out _));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_feed_from_before_delivery_tracking_does_not_send_its_history_again()
    {
        var dir = Directory.CreateTempSubdirectory("psig-alerts-").FullName;
        try
        {
            using var metrics = new MonitorMetrics();
            using (var store = new AlertStore(dir, metrics, TimeProvider.System))
            {
                store.Add(new MonitorAlert { Kind = AlertKinds.Stalled, Log = "https://log.example", Message = "old" });
            }

            File.Delete(Path.Combine(dir, AlertStore.DeliveredFile)); // as a monitor of an earlier version left it
            using var reopened = new AlertStore(dir, metrics, TimeProvider.System);
            Assert.False(reopened.Outbox.TryRead(out _));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
