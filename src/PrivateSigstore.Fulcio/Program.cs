using PrivateSigstore.Fulcio;
using PrivateSigstore.Fulcio.Ca;

// The Fulcio-compatible CA. `ca ceremony` / `ca import-chain` are the admin commands; anything else runs the service.
// With no configuration: a development CA under data/fulcio (loud warning), the local identity provider as the only
// issuer, no CT log, listening on http://127.0.0.1:5555.
if (args.Length > 0 && args[0] == "ca")
{
    return CaCommands.Run(args[1..], Console.Out, Console.Error);
}

Microsoft.AspNetCore.Builder.WebApplication app;
try
{
    app = await FulcioApp.BuildAsync(args);
}
catch (Exception e) when (e is System.Data.Common.DbException or IOException or UnauthorizedAccessException or PrivateSigstore.Keys.KeyConfigurationException)
{
    // A store or key file that cannot be opened or created (read-only, full or missing data directory, unreachable
    // database): one clear line, exit 1, instead of an unhandled exception and a stack trace (docs/reliability.md).
    Console.Error.WriteLine($"error: cannot open the CA store or key: {e.Message.ReplaceLineEndings(" ")} (check that the data directory is writable and has free space, or that the database is reachable)");
    return 1;
}
await app.RunAsync();
return 0;
