using System.Diagnostics;

namespace PrivateSigstore.Reliability.Tests;

/// <summary>
/// The crash loop every service goes through: start on the same data, check what the restarted service serves, run
/// concurrent writers over HTTP (each keeps only what was acknowledged with a 2xx), SIGKILL at a random moment while they
/// write, and again, <see cref="Kills"/> times; then a last start for the final check. Writes are bounded per run
/// (<see cref="MaxWritesPerRun"/>) and in time, so the suite stays short.
/// </summary>
internal sealed class KillLoop
{
    public const int Kills = 10;
    public const int Writers = 4;
    public const int MaxWritesPerRun = 80;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Starts the service (on the same data every time).</summary>
    public required Func<Task<ServiceProcess>> Start { get; init; }

    /// <summary>One write by writer <c>w</c>; returns normally only when the service acknowledged it (and records it).</summary>
    public required Func<ServiceProcess, int, CancellationToken, Task> Write { get; init; }

    /// <summary>Run after every (re)start, before the writers: checks what the service serves now.</summary>
    public required Func<ServiceProcess, Task> Check { get; init; }

    public int Seed { get; init; } = 20;

    /// <summary>Per run: how long the start, the check and the writing took.</summary>
    public List<string> Timings { get; } = [];

    /// <summary>Kills done, writes acknowledged, writes failed (refused or cut by the kill), and the time taken.</summary>
    public async Task<(int Kills, int Acked, int Failed, TimeSpan Took)> RunAsync()
    {
        var random = new Random(Seed);
        var acked = 0;
        var failed = 0;
        var clock = Stopwatch.StartNew();
        for (var run = 0; run <= Kills; run++)
        {
            var phase = Stopwatch.StartNew();
            var service = await Start();
            var started = phase.Elapsed;
            try
            {
                await Check(service);
                var checkedAt = phase.Elapsed;
                if (run == Kills)
                {
                    break;
                }

                using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
                var runAcks = 0;
                var firstAck = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var writers = Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
                {
                    while (!stop.IsCancellationRequested && Volatile.Read(ref runAcks) < MaxWritesPerRun)
                    {
                        try
                        {
                            await Write(service, w, stop.Token);
                            Interlocked.Increment(ref runAcks);
                            Interlocked.Increment(ref acked);
                            firstAck.TrySetResult();
                        }
                        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or Client.ServiceClientException or IOException)
                        {
                            Interlocked.Increment(ref failed);
                            if (service.HasExited || stop.IsCancellationRequested)
                            {
                                return;
                            }

                            await Task.Delay(20, CancellationToken.None);
                        }
                    }
                })).ToArray();

                // Kill at a random moment while the writers are busy: after the first acknowledgement, 50–600 ms later.
                try
                {
                    await firstAck.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);
                }
                catch (TimeoutException)
                {
                    Assert.Fail($"{service.Service}: nothing acknowledged in run {run + 1}:\n{service.Output}");
                }

                await Task.Delay(random.Next(50, 600), Ct);
                await service.KillAsync();
                await stop.CancelAsync();
                await Task.WhenAll(writers);
                Timings.Add($"start {started.TotalMilliseconds:F0} ms, check {(checkedAt - started).TotalMilliseconds:F0} ms, run {(phase.Elapsed - checkedAt).TotalMilliseconds:F0} ms, {runAcks} acks");
            }
            catch
            {
                TestContext.Current.SendDiagnosticMessage(service.Output);
                throw;
            }
            finally
            {
                await service.DisposeAsync();
            }
        }

        return (Kills, acked, failed, clock.Elapsed);
    }

    /// <summary>Consecutive checkpoints (sorted by size) with the same size have the same root; other pairs are checked by <paramref name="consistent"/>.</summary>
    public static async Task CheckChainAsync(IEnumerable<(ulong Size, byte[] Root)> seen, Func<ulong, byte[], ulong, byte[], Task> consistent)
    {
        var sorted = seen.DistinctBy(c => (c.Size, Convert.ToHexString(c.Root))).OrderBy(c => c.Size).ToList();
        for (var i = 0; i + 1 < sorted.Count; i++)
        {
            var (s1, r1) = sorted[i];
            var (s2, r2) = sorted[i + 1];
            Assert.False(s1 == s2, $"two different roots at tree size {s1}: {Convert.ToHexString(r1)} and {Convert.ToHexString(r2)}");
            if (s1 > 0)
            {
                await consistent(s1, r1, s2, r2);
            }
        }
    }
}
