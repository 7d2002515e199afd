using System.Collections.Concurrent;

namespace PrivateSigstore.Reliability.Tests;

/// <summary>Rekor v1 on PostgreSQL: SIGKILLed under load, and its database stopped and restarted under load.</summary>
public sealed class PostgresCrashTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Task<ServiceProcess> StartRekor(string data, PostgresCluster pg) =>
        ServiceProcess.StartAsync("Rekor", [$"--Rekor:DataDirectory={data}", "--Rekor:Storage=Postgres", $"--Rekor:PostgresConnectionString={pg.ConnectionString}"], data);

    [Fact]
    public async Task Rekor_v1_on_postgres_survives_ten_sigkills_and_database_restarts_under_load_answering_503_while_it_is_down()
    {
        await using var pg = await PostgresCluster.StartAsync();
        var data = Directory.CreateTempSubdirectory("psig-crash-rekor-pg-").FullName;
        var state = new RekorV1State();
        var loop = state.Loop(() => StartRekor(data, pg));
        var (kills, acked, failed, took) = await loop.RunAsync();

        // The database goes away under load: stop (503s while it is down), start, restart -m fast; the service recovers.
        var statuses = new ConcurrentDictionary<int, int>();
        var restartClock = System.Diagnostics.Stopwatch.StartNew();
        await using (var rekor = await StartRekor(data, pg))
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            var writers = Enumerable.Range(0, KillLoop.Writers).Select(w => Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    try
                    {
                        await state.WriteAsync(rekor, w, stop.Token);
                        statuses.AddOrUpdate(201, 1, (_, n) => n + 1);
                    }
                    catch (Client.ServiceClientException e) when (e.StatusCode != 0)
                    {
                        statuses.AddOrUpdate(e.StatusCode, 1, (_, n) => n + 1);
                        await Task.Delay(50, CancellationToken.None);
                    }
                    catch (OperationCanceledException) when (stop.IsCancellationRequested)
                    {
                        return;
                    }
                }
            })).ToArray();

            for (var cycle = 0; cycle < 2; cycle++)
            {
                await WaitForAsync(() => statuses.GetValueOrDefault(201) > (cycle + 1) * 20, "writes succeed");
                await pg.CtlAsync("stop");
                var before503 = statuses.GetValueOrDefault(503);
                await WaitForAsync(() => statuses.GetValueOrDefault(503) > before503 + 3, "writes are refused with 503 while the database is down");
                await pg.CtlAsync("start");
                var before = statuses.GetValueOrDefault(201);
                await WaitForAsync(() => statuses.GetValueOrDefault(201) > before + 10, "writes succeed again after the database is back");
                await pg.CtlAsync("restart");
                before = statuses.GetValueOrDefault(201);
                await WaitForAsync(() => statuses.GetValueOrDefault(201) > before + 10, "writes succeed again after pg_ctl restart -m fast");
            }

            await stop.CancelAsync();
            await Task.WhenAll(writers);
            Assert.True(statuses.Keys.All(s => s is 201 or 503), "answers while the database restarted: " + string.Join(", ", statuses.Select(kv => $"{kv.Key}×{kv.Value}")) + "\n" + rekor.Output);
            await state.VerifyAllAsync(rekor);
        }

        Report.Line($"Rekor v1 (PostgreSQL): {kills} kills ({took.TotalSeconds:F1} s), then 2× (pg_ctl stop, start, restart -m fast) under 4 writers ({restartClock.Elapsed.TotalSeconds:F1} s): answers " + string.Join(", ", statuses.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}×{kv.Value}")) + $"; {state.Acked.Count} acknowledged entries all present and verified");
        Directory.Delete(data, recursive: true);
    }

    private static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(50, Ct);
        }
    }
}
