using System.Net;
using System.Text.Json.Nodes;
using PrivateSigstore.Keys.Pkcs11;
using PrivateSigstore.Rekor.Research;
using PrivateSigstore.Rekor.V2;

namespace PrivateSigstore.Monitor.Tests;

/// <summary>
/// Issue 16, "for researchers": each fault of the research log, and which of our components catches it — the monitor
/// (its alert kind) and the witness (its C2SP status). Everything over real HTTP on loopback.
/// </summary>
public sealed class ResearchLogTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string Hex(byte[] b) => Convert.ToHexStringLower(b);

    [Fact]
    public async Task The_origin_is_marked_research_and_an_hsm_key_is_refused_at_start_up()
    {
        await using (var rig = await ResearchLogRig.StartAsync())
        {
            await rig.AppendAsync();
            var checkpoint = await rig.CheckpointAsync();
            Assert.Equal("research.localhost", checkpoint.Checkpoint.Origin);
            Assert.StartsWith(ResearchLogApp.OriginPrefix, rig.Trust.Origin, StringComparison.Ordinal);
            var plan = JsonNode.Parse(await rig.Http.GetStringAsync(new Uri("research/v1/faults", UriKind.Relative), Ct))!;
            Assert.Equal("research.localhost", plan["origin"]!.GetValue<string>());
            Assert.Equal(1UL, plan["honestSize"]!.GetValue<ulong>());
            using var unknown = await rig.Http.PostAsync(new Uri("research/v1/faults/lie", UriKind.Relative), null, Ct);
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
            using var beyond = await rig.Http.PostAsync(new Uri("research/v1/faults/rewrite", UriKind.Relative), new StringContent("{\"index\":5}"), Ct);
            Assert.Equal(HttpStatusCode.BadRequest, beyond.StatusCode);
        }

        var hsm = new RekorV2Options
        {
            DataDirectory = MonitorHost.TempDirectory(),
            Key = new SigningKeyOptions { Provider = "Pkcs11", KeyLabel = "rekor-v2", Algorithm = Core.Crypto.SigningAlgorithm.Ed25519 },
        };
        var refused = await Assert.ThrowsAsync<ArgumentException>(() => ResearchLogApp.BuildAsync(hsm, ResearchLogRig.Loopback, Ct));
        Assert.StartsWith("research mode refuses a checkpoint key in an HSM", refused.Message, StringComparison.Ordinal);
        // A label with Provider Auto would choose the HSM too.
        hsm.Key = new SigningKeyOptions { KeyLabel = "rekor-v2", Algorithm = Core.Crypto.SigningAlgorithm.Ed25519 };
        await Assert.ThrowsAsync<ArgumentException>(() => ResearchLogApp.BuildAsync(hsm, ResearchLogRig.Loopback, Ct));
        Assert.Equal("research.log.example", ResearchLogApp.MarkOrigin("log.example"));
        Assert.Equal("research.log.example", ResearchLogApp.MarkOrigin("research.log.example"));
    }

    [Fact]
    public async Task A_fork_for_chosen_clients_is_refused_by_the_witness_and_alerted_root_changed_then_consistency_failed()
    {
        await using var rig = await ResearchLogRig.StartAsync();
        await rig.AppendAsync(3);
        await using var monitor = await MonitorHost.StartAsync(rig.MonitorOptions());
        await monitor.WaitForSizeAsync(3);
        Assert.Equal(HttpStatusCode.OK, (await rig.WitnessAsync(0)).Status);

        // Shown to the clients that send X-Research-Client: victim: same key, origin and size, another root.
        await rig.FaultAsync("fork", new JsonObject { ["clients"] = new JsonArray("victim") });
        var honest = await rig.CheckpointAsync();
        var forked = await rig.CheckpointAsync("victim");
        Assert.Equal(honest.Checkpoint.Size, forked.Checkpoint.Size);
        Assert.NotEqual(Hex(honest.Checkpoint.RootHash), Hex(forked.Checkpoint.RootHash));
        Assert.Equal(honest.Checkpoint.Origin, forked.Checkpoint.Origin);
        Assert.Equal(honest.Note.Signatures[0].KeyHash, forked.Note.Signatures[0].KeyHash);
        // The witness, which cosigned the honest view, refuses the fork.
        var refused = await rig.WitnessAsync(3, "fork");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Status);
        Assert.Contains("split view", refused.Body, StringComparison.Ordinal);
        // The monitor is not shown the fork: nothing to see.
        await monitor.MorePollsAsync();
        Assert.Empty(monitor.Alerts.List());

        // Now the monitor's address sees the fork too.
        await rig.FaultAsync("fork", new JsonObject { ["addresses"] = new JsonArray("127.0.0.1") });
        var alert = Assert.Single(await monitor.WaitForAlertAsync(AlertKinds.RootChanged));
        Assert.Contains(Convert.ToBase64String(honest.Checkpoint.RootHash), alert.Evidence["previous"], StringComparison.Ordinal);
        Assert.Contains(Convert.ToBase64String(forked.Checkpoint.RootHash), alert.Evidence["current"], StringComparison.Ordinal);

        // The fork diverges as the log grows: a larger tree that does not extend what the monitor verified.
        await rig.AppendAsync(2);
        await monitor.WaitForAlertAsync(AlertKinds.ConsistencyFailed);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await rig.WitnessAsync(3, "fork")).Status);
        // The honest view still extends the witnessed one.
        Assert.Equal(HttpStatusCode.OK, (await rig.WitnessAsync(3)).Status);
    }

    [Fact]
    public async Task Held_back_entries_are_acknowledged_but_neither_the_monitor_nor_the_witness_sees_them()
    {
        await using var rig = await ResearchLogRig.StartAsync();
        await rig.AppendAsync(2);
        await using var monitor = await MonitorHost.StartAsync(rig.MonitorOptions());
        await monitor.WaitForSizeAsync(2);

        var plan = await rig.FaultAsync("hold");
        Assert.Equal(2UL, plan["faults"]!["hold"]!["size"]!.GetValue<ulong>());
        var ack = await rig.AppendAsync();
        await rig.AppendAsync(2);
        // Acknowledged with an inclusion proof against a checkpoint of size 3, which is never served.
        Assert.Equal("2", ack["logIndex"]!.GetValue<string>());
        Assert.Equal("3", ack["inclusionProof"]!["treeSize"]!.GetValue<string>());
        Assert.Equal(2UL, (await rig.CheckpointAsync()).Checkpoint.Size);

        // The log looks merely idle: a Rekor v2 checkpoint has no timestamp, so no stall is visible, and it cosigns fine.
        await monitor.MorePollsAsync(5);
        Assert.Empty(monitor.Alerts.List());
        Assert.Equal(2, monitor.Follower.State!.Size);
        Assert.Equal(HttpStatusCode.OK, (await rig.WitnessAsync(0)).Status);

        // Released, the held entries appear in a tree consistent with the old one: still no alert.
        await rig.ClearAsync("hold");
        await monitor.WaitForSizeAsync(5);
        Assert.Empty(monitor.Alerts.List());
        Assert.Equal(HttpStatusCode.OK, (await rig.WitnessAsync(2)).Status);
    }

    [Fact]
    public async Task Rewritten_history_is_alerted_root_changed_then_consistency_failed_and_refused_by_the_witness()
    {
        await using var rig = await ResearchLogRig.StartAsync();
        await rig.AppendAsync(4);
        await using var monitor = await MonitorHost.StartAsync(rig.MonitorOptions());
        await monitor.WaitForSizeAsync(4);
        Assert.Equal(HttpStatusCode.OK, (await rig.WitnessAsync(0)).Status);
        var before = await rig.CheckpointAsync();

        await rig.FaultAsync("rewrite", new JsonObject { ["index"] = 1 });
        var after = await rig.CheckpointAsync();
        Assert.Equal(4UL, after.Checkpoint.Size);
        Assert.NotEqual(Hex(before.Checkpoint.RootHash), Hex(after.Checkpoint.RootHash));
        await monitor.WaitForAlertAsync(AlertKinds.RootChanged);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await rig.WitnessAsync(4)).Status);

        await rig.AppendAsync();
        await monitor.WaitForAlertAsync(AlertKinds.ConsistencyFailed);
        var refused = await rig.WitnessAsync(4);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.Status);
        Assert.Contains("does not verify", refused.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dropped_entry_is_alerted_log_shrunk_then_consistency_failed_and_refused_by_the_witness()
    {
        await using var rig = await ResearchLogRig.StartAsync();
        await rig.AppendAsync(3);
        await using var monitor = await MonitorHost.StartAsync(rig.MonitorOptions());
        await monitor.WaitForSizeAsync(3);
        Assert.Equal(HttpStatusCode.OK, (await rig.WitnessAsync(0)).Status);

        var plan = await rig.FaultAsync("drop");
        Assert.Equal(2UL, plan["faults"]!["drop"]![0]!.GetValue<ulong>());
        Assert.Equal(2UL, (await rig.CheckpointAsync()).Checkpoint.Size);
        await monitor.WaitForAlertAsync(AlertKinds.LogShrunk);
        // The witness knows size 3: a checkpoint of 2 claimed from old 3 is malformed (400), from old 2 a conflict (409, "3").
        Assert.Equal(HttpStatusCode.BadRequest, (await rig.WitnessAsync(3)).Status);
        var conflict = await rig.WitnessAsync(2);
        Assert.Equal(HttpStatusCode.Conflict, conflict.Status);
        Assert.Equal("3", conflict.Body.Trim());

        // Later entries take the dropped one's place: the larger tree does not extend the verified one.
        await rig.AppendAsync(2);
        Assert.Equal(4UL, (await rig.CheckpointAsync()).Checkpoint.Size);
        await monitor.WaitForAlertAsync(AlertKinds.ConsistencyFailed);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await rig.WitnessAsync(3)).Status);
    }

    [Theory]
    [InlineData("random-root", AlertKinds.RootChanged, HttpStatusCode.UnprocessableEntity)]
    [InlineData("smaller", AlertKinds.LogShrunk, HttpStatusCode.BadRequest)]
    [InlineData("wrong-key", AlertKinds.InvalidSignature, HttpStatusCode.Forbidden)]
    public async Task An_inconsistent_checkpoint_is_alerted_and_refused_by_the_witness(string mode, string kind, HttpStatusCode witnessStatus)
    {
        await using var rig = await ResearchLogRig.StartAsync();
        await rig.AppendAsync(3);
        await using var monitor = await MonitorHost.StartAsync(rig.MonitorOptions());
        await monitor.WaitForSizeAsync(3);
        Assert.Equal(HttpStatusCode.OK, (await rig.WitnessAsync(0)).Status);

        await rig.FaultAsync("bad-checkpoint", new JsonObject { ["mode"] = mode });
        await monitor.WaitForAlertAsync(kind);
        Assert.Equal(witnessStatus, (await rig.WitnessAsync(3)).Status);

        // Cleared, the log is honest again and extends what both verified.
        await rig.ClearAsync();
        await rig.AppendAsync();
        await monitor.WaitForSizeAsync(4);
        Assert.Equal(HttpStatusCode.OK, (await rig.WitnessAsync(3)).Status);
    }
}
