using PrivateSigstore.Hosting;

namespace PrivateSigstore.Timestamp;

/// <summary>
/// The executable: the RFC 3161 timestamp authority (sigstore/timestamp-authority v2 API). <c>ceremony</c> is the
/// key-ceremony command; anything else runs the service. With no configuration: a development key and chain under
/// data/tsa (loud warning), no clock check, listening on http://127.0.0.1:3004. An explicit class rather than top-level
/// statements, so hosts that reference this assembly (the Stack, benchmarks) get no second <c>Program</c> type.
/// </summary>
internal static class TimestampProgram
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "ceremony")
        {
            return CeremonyCommand.Run(args[1..], Console.Out, Console.Error);
        }

        return await ServiceApp.RunAsync("timestamp authority's key or chain", () => TimestampApp.BuildAsync(args), e => e is PrivateSigstore.Keys.KeyConfigurationException).ConfigureAwait(false);
    }
}
