using System.Collections.Concurrent;
using System.Diagnostics;

namespace PrivateSigstore.Reliability.Tests;

/// <summary>
/// Rekor v1 on SQLite with its data directory on a small tmpfs of its own (mounted by the test, which runs as root in CI):
/// the disk fills up, then the file system becomes read-only, under concurrent writers. The service must refuse with 503
/// (never 500), say why in its log, keep everything it acknowledged, and carry on once there is room / it is writable.
/// </summary>
public sealed class DiskFaultTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Rekor_v1_answers_503_on_a_full_and_on_a_read_only_disk_and_continues_without_loss_afterwards()
    {
        var mount = Directory.CreateTempSubdirectory("psig-disk-").FullName;
        await RunAsync("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", mount]);
        try
        {
            var data = Path.Combine(mount, "rekor");
            var state = new RekorV1State();
            var statuses = new ConcurrentDictionary<int, int>();
            await using var rekor = await ServiceProcess.StartAsync("Rekor", [$"--Rekor:DataDirectory={data}"], mount);
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

            // Disk full: a filler takes every free byte.
            await WaitForAsync(() => statuses.GetValueOrDefault(201) > 20, "writes succeed");
            var filler = Path.Combine(mount, "filler");
            await FillAsync(filler);
            var before = statuses.GetValueOrDefault(503);
            await WaitForAsync(() => statuses.GetValueOrDefault(503) > before + 5, "writes are refused with 503 on a full disk", rekor);
            File.Delete(filler);
            var ok = statuses.GetValueOrDefault(201);
            await WaitForAsync(() => statuses.GetValueOrDefault(201) > ok + 10, "writes succeed again once there is room", rekor);
            var full = string.Join(", ", statuses.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}×{kv.Value}"));

            await stop.CancelAsync();
            await Task.WhenAll(writers);
            Assert.True(statuses.Keys.All(s => s is 201 or 503), "answers: " + string.Join(", ", statuses.Select(kv => $"{kv.Key}×{kv.Value}")) + "\n" + rekor.Output);
            await state.VerifyAllAsync(rekor);

            // A read-only data directory (remounted read-only while the service is down: a mount with open writers cannot be):
            // the service refuses to start with one clear line and exit code 1, not a crash with a stack trace.
            await rekor.KillAsync();
            await RunAsync("mount", ["-o", "remount,ro", mount]);
            var (exit, output) = await RunServiceOnceAsync(data, mount);
            Assert.True(exit == 1, $"exit code {exit}:\n{output}");
            Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
            Assert.Contains("error: cannot open the log store", output, StringComparison.Ordinal);
            Assert.Contains("readonly database", output, StringComparison.Ordinal);
            await RunAsync("mount", ["-o", "remount,rw", mount]);

            // Writable again: the same data, everything acknowledged still there.
            await using var again = await ServiceProcess.StartAsync("Rekor", [$"--Rekor:DataDirectory={data}"], mount);
            await state.VerifyAllAsync(again);
            Report.Line($"Rekor v1 (SQLite on an 8 MiB tmpfs): disk full under 4 writers, then a start on a read-only disk (exit 1, one line), then writable again: answers " + string.Join(", ", statuses.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}×{kv.Value}")) + $"; {state.Acked.Count} acknowledged entries all present and verified, also after a restart");
        }
        finally
        {
            await RunAsync("umount", ["-l", mount]);
            Directory.Delete(mount, recursive: true);
        }
    }

    internal static async Task FillAsync(string path)
    {
        // Unbuffered writes, large then small, until not one more block fits.
        using var file = File.OpenHandle(path, FileMode.Create, FileAccess.Write);
        long offset = 0;
        foreach (var size in new[] { 1 << 16, 512 })
        {
            var block = new byte[size];
            try
            {
                while (true)
                {
                    await RandomAccess.WriteAsync(file, block, offset, Ct);
                    offset += size;
                }
            }
            catch (IOException)
            {
                // full at this block size
            }
        }
    }

    private static Task<(int Exit, string Output)> RunServiceOnceAsync(string data, string workingDirectory) =>
        RunServiceOnceAsync("Rekor", [$"--Rekor:DataDirectory={data}"], workingDirectory);

    /// <summary>Starts a service and waits (at most 60 s) for it to exit; returns its exit code and everything it printed.</summary>
    internal static async Task<(int Exit, string Output)> RunServiceOnceAsync(string service, IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])[Repository.ServiceDll(service), .. args, "--urls", "http://127.0.0.1:0"])
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[k] = v;
        }

        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync(Ct);
        var stderr = p.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        try
        {
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync(Ct);
        }

        return (p.ExitCode, await stderr + await stdout);
    }

    private static async Task WaitForAsync(Func<bool> condition, string what, ServiceProcess? service = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}\n{service?.Output}");
            await Task.Delay(50, Ct);
        }
    }

    internal static async Task RunAsync(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var p = Process.Start(start)!;
        var output = await p.StandardError.ReadToEndAsync(Ct) + await p.StandardOutput.ReadToEndAsync(Ct);
        await p.WaitForExitAsync(Ct);
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {output} (this test mounts a tmpfs: it runs as root, as CI does)");
    }
}
