using PrivateSigstore.Hosting;

namespace PrivateSigstore.Monitor;

/// <summary>The executable: the transparency-log monitor (section "Monitor"), on http://127.0.0.1:8082 by default.</summary>
internal static class MonitorProgram
{
    public static async Task<int> Main(string[] args)
    {
        return await ServiceApp.RunAsync("monitor state", () => MonitorApp.BuildAsync(args)).ConfigureAwait(false);
    }
}
