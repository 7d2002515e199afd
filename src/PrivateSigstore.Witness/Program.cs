using PrivateSigstore.Hosting;

namespace PrivateSigstore.Witness;

/// <summary>
/// The executable: the C2SP tlog-witness. With no configuration: a development key under data/witness (loud warning),
/// no known logs, listening on http://127.0.0.1:8083. An explicit class rather than top-level statements, so hosts that
/// reference this assembly (the Stack) get no second <c>Program</c> type.
/// </summary>
internal static class WitnessProgram
{
    public static async Task<int> Main(string[] args)
    {
        return await ServiceApp.RunAsync("witness state or key", () => WitnessApp.BuildAsync(args), e => e is PrivateSigstore.Keys.KeyConfigurationException).ConfigureAwait(false);
    }
}
