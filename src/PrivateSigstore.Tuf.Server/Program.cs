using PrivateSigstore.Hosting;

namespace PrivateSigstore.Tuf.Server;

/// <summary>
/// The executable: the TUF repository service. With no configuration: a development repository under data/tuf (created on
/// first start with generated keys, loud warnings), listening on http://127.0.0.1:8081. An explicit class rather than
/// top-level statements, so hosts that reference this assembly (the Stack) get no second <c>Program</c> type.
/// </summary>
internal static class TufServerProgram
{
    public static async Task<int> Main(string[] args)
    {
        return await ServiceApp.RunAsync("TUF repository or its keys", () => TufApp.BuildAsync(args), e => e is PrivateSigstore.Keys.KeyConfigurationException).ConfigureAwait(false);
    }
}
