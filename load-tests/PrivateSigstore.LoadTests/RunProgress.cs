using System.Diagnostics;

namespace PrivateSigstore.LoadTests;

/// <summary>The every-5-seconds progress line of the HTTP scenarios (stderr): count so far, rate over the last 5 s, errors.</summary>
internal static class RunProgress
{
    /// <summary>Reports until <paramref name="end"/> is cancelled; <paramref name="done"/> and <paramref name="errors"/> read the live counters.</summary>
    public static Task ReportAsync(Stopwatch stop, Func<long> done, Func<long> errors, string what, CancellationToken end) => Task.Run(async () =>
    {
        long last = 0;
        while (!end.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(5000, end);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            var n = done();
            Console.Error.WriteLine($"  {stop.Elapsed.TotalSeconds,5:F0} s: {n,12:N0} {what} ({(n - last) / 5.0,8:N0}/s), errors {errors():N0}");
            last = n;
        }
    }, CancellationToken.None);
}
