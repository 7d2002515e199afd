using System.Text.Json.Nodes;
using PrivateSigstore.Client.Rekor;
using PrivateSigstore.Core.Merkle;

namespace PrivateSigstore.Reliability.Tests;

/// <summary>
/// The monitor as a process, following a Rekor v1 log (a process of its own, not killed) that 4 writers grow, with a full
/// audit and an identity watch on the keys of 2 of the writers, reading at most 16 entries per poll so that its position
/// is saved often: SIGKILLed 10 times while the log grows.
/// </summary>
public sealed class MonitorCrashTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(20) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Monitor_survives_ten_sigkills_resumes_from_its_saved_checkpoint_and_alerts_each_watched_entry_exactly_once()
    {
        var data = Directory.CreateTempSubdirectory("psig-crash-monitor-").FullName;
        var rekorState = new RekorV1State();
        await using var rekor = await ServiceProcess.StartAsync("Rekor", [$"--Rekor:DataDirectory={Path.Combine(data, "rekor")}"], data);
        var rekorClient = new RekorClient(Http, rekor.BaseUrl);
        var keyPath = Path.Combine(data, "rekor.pub");
        await File.WriteAllTextAsync(keyPath, await rekorClient.GetPublicKeyAsync(Ct), Ct);

        // Writers 0 and 2 are watched (their key fingerprints), 1 and 3 are not.
        int[] watched = [0, 2];
        var watch = Path.Combine(data, "watch.yaml");
        await File.WriteAllTextAsync(watch, "monitoredValues:\n  fingerprints:\n" + string.Concat(watched.Select(w =>
            $"    - {Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(rekorState.WriterKey(w)))}\n")), Ct);
        var logUrl = rekor.BaseUrl.ToString().TrimEnd('/');
        var monitorData = Path.Combine(data, "monitor");
        string[] args =
        [
            $"--Monitor:DataDirectory={monitorData}", "--Monitor:Logs:0:Kind=RekorV1", $"--Monitor:Logs:0:Url={logUrl}",
            $"--Monitor:Logs:0:PublicKeyPath={keyPath}", $"--Monitor:IdentityConfigPath={watch}", "--Monitor:FullAudit=true",
            "--Monitor:PollIntervalMilliseconds=100", "--Monitor:MaxEntriesPerPoll=16",
        ];

        var checkpoints = new List<(ulong Size, byte[] Root)>();
        (long Size, long Next) last = (0, 0);
        var resumedAhead = 0;

        (long Size, string Root, long Next) SavedState()
        {
            var files = Directory.Exists(Path.Combine(monitorData, "state")) ? Directory.GetFiles(Path.Combine(monitorData, "state"), "*.json") : [];
            Assert.True(files.Length <= 1, "more than one state file: " + string.Join(", ", files));
            if (files.Length == 0)
            {
                return (0, "", 0);
            }

            var state = JsonNode.Parse(File.ReadAllText(files[0]))!; // never torn: replaced atomically
            Assert.Equal(logUrl, state["log"]!.GetValue<string>());
            return (state["size"]!.GetValue<long>(), state["rootHash"]!.GetValue<string>(), state["nextEntry"]!.GetValue<long>());
        }

        async Task<List<JsonNode>> AlertsAsync(ServiceProcess monitor) =>
            [.. JsonNode.Parse(await Http.GetStringAsync(new Uri(monitor.BaseUrl, "api/v1/alerts?limit=10000"), Ct))!.AsArray().Select(a => a!)];

        void CheckAlerts(List<JsonNode> alerts, long readUpTo)
        {
            var kinds = alerts.Select(a => a["kind"]!.GetValue<string>()).Where(k => k != "identity-match").ToList();
            Assert.True(kinds.Count == 0, "unexpected alerts: " + string.Join(", ", kinds));
            var indexes = alerts.Select(a => a["logIndex"]!.GetValue<long>()).ToList();
            var twice = indexes.GroupBy(i => i).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            Assert.True(twice.Count == 0, "entries alerted more than once: " + string.Join(", ", twice));
            foreach (var index in indexes)
            {
                Assert.True(rekorState.WriterOf.TryGetValue(index, out var w) ? watched.Contains(w) : true, $"entry {index} of unwatched writer alerted");
            }

            // Every entry the monitor has read past that a watched writer had acknowledged has its alert.
            var missing = rekorState.WriterOf.Where(kv => kv.Key < readUpTo && watched.Contains(kv.Value) && !indexes.Contains(kv.Key)).Select(kv => kv.Key).ToList();
            Assert.True(missing.Count == 0, $"watched entries read (next entry {readUpTo}) without an alert: " + string.Join(", ", missing.Order()));
        }

        async Task CheckAsync(ServiceProcess monitor)
        {
            // The restarted monitor resumes from the checkpoint it saved: its state never goes back, its checkpoints are
            // consistent with each other (proofs from the log), and its alerts are exactly the watched entries it has read.
            var saved = SavedState();
            Assert.True(saved.Size >= last.Size && saved.Next >= last.Next, $"the saved state went back: {last} → {saved}");
            last = (saved.Size, saved.Next);
            if (saved.Size > 0)
            {
                checkpoints.Add(((ulong)saved.Size, Convert.FromHexString(saved.Root)));
                await KillLoop.CheckChainAsync(checkpoints, async (s1, r1, s2, r2) =>
                {
                    var p = await rekorClient.GetConsistencyProofAsync((long)s1, (long)s2, Ct);
                    ProofVerifier.VerifyConsistency(s1, s2, p.Hashes, r1, r2);
                });
            }

            CheckAlerts(await AlertsAsync(monitor), saved.Next);

            // It carries on from there (reads past where it was), not from the start.
            var resumed = DateTime.UtcNow.AddSeconds(30);
            while (saved.Size > 0 && SavedState().Next <= saved.Next && saved.Next < (await rekorClient.GetLogInfoAsync(Ct)).TreeSize)
            {
                Assert.True(DateTime.UtcNow < resumed, $"the monitor did not resume reading after entry {saved.Next}:\n{monitor.Output}");
                await Task.Delay(50, Ct);
            }

            if (saved.Size > 0)
            {
                resumedAhead++;
            }
        }

        var loop = new KillLoop
        {
            Start = () => ServiceProcess.StartAsync("Monitor", args, data),
            Check = CheckAsync,
            Write = (_, w, ct) => rekorState.WriteAsync(rekor, w, ct),
        };
        var (kills, acked, failed, took) = await loop.RunAsync();

        // The last start: it catches up with the whole log; every watched entry has exactly one alert.
        await using (var monitor = await ServiceProcess.StartAsync("Monitor", args, data))
        {
            var size = (await rekorClient.GetLogInfoAsync(Ct)).TreeSize;
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (SavedState().Next < size)
            {
                Assert.True(DateTime.UtcNow < deadline, $"the monitor did not catch up with size {size} (state {SavedState()}):\n{monitor.Output}");
                await Task.Delay(100, Ct);
            }

            var alerts = await AlertsAsync(monitor);
            CheckAlerts(alerts, size);
            var expected = rekorState.WriterOf.Count(kv => watched.Contains(kv.Value));
            // Writes cut by a kill of the writers may still be in the log (unacknowledged): at most that many more alerts.
            Assert.True(alerts.Count >= expected && alerts.Count <= expected + failed, $"{alerts.Count} alerts for {expected} acknowledged watched entries ({failed} writes cut)");
            Report.Line($"Monitor (following Rekor v1, full audit, identity watch): {kills} kills, {acked} entries acknowledged by the log ({size} in it), {alerts.Count} identity alerts for {expected} acknowledged watched entries, none twice, none missing; saved state never went back and resumed {resumedAhead} times, {checkpoints.Count} saved checkpoints consistent; {failed} writes cut, {took.TotalSeconds:F1} s");
        }

        Report.Line(string.Join("\n", loop.Timings));
        Directory.Delete(data, recursive: true);
    }
}
