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

Microsoft.AspNetCore.Builder.WebApplication app;
try
{
    app = await RekorApp.BuildAsync(args);
}
catch (Exception e) when (e is System.Data.Common.DbException or IOException or UnauthorizedAccessException)
{
    // A store that cannot be opened (read-only or full data directory, unreachable database): one clear line, exit 1,
    // instead of an unhandled exception and a stack trace (docs/reliability.md).
    Console.Error.WriteLine($"error: cannot open the log store: {e.Message.ReplaceLineEndings(" ")} (check that the data directory is writable and has free space, or that the database is reachable)");
    return 1;
}
await app.RunAsync();
return 0;
