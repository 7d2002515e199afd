using PrivateSigstore.Rekor;
using PrivateSigstore.Rekor.V2;

// The Rekor-compatible transparency log service. With no configuration: SQLite under data/rekor, a generated
// development key (with a loud warning), listening on http://127.0.0.1:3000.
// "v2 ..." selects the Rekor v2 personality (see "v2 --help"): "v2 serve" on http://127.0.0.1:3001, "v2 export-tiles DIR".
// "research-log ..." runs or commands the research log (a test log that misbehaves on purpose).
if (args.Length > 0 && args[0] == "v2")
{
    return await RekorV2Command.RunAsync(args[1..]);
}
if (args.Length > 0 && args[0] == "research-log")
{
    // A Rekor v2 test log that misbehaves on command (docs/research-log.md); never the default.
    return await PrivateSigstore.Rekor.Research.ResearchLogCommand.RunAsync(args[1..]);
}

// A store that cannot be opened (read-only or full data directory, unreachable database), or a wrong setting: one clear
// line, exit 1, instead of an unhandled exception and a stack trace (docs/reliability.md).
return await PrivateSigstore.Hosting.ServiceApp.RunAsync("log store", () => RekorApp.BuildAsync(args), e => e is PrivateSigstore.Keys.KeyConfigurationException);
