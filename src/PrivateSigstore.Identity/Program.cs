using PrivateSigstore.Identity;

// The OIDC identity provider. With no configuration: SQLite under data/identity, a generated development key (with a
// loud warning), listening on http://127.0.0.1:5556. "admin ..." runs an administration command against the same store.
if (args.Length > 0 && args[0] == "admin")
{
    return await AdminCommands.RunAsync(args[1..], Console.Out, Console.Error);
}
Microsoft.AspNetCore.Builder.WebApplication app;
try
{
    app = await IdentityApp.BuildAsync(args);
}
catch (Exception e) when (e is System.Data.Common.DbException or IOException or UnauthorizedAccessException or PrivateSigstore.Keys.KeyConfigurationException)
{
    // A store or key file that cannot be opened or created (read-only, full or missing data directory, unreachable
    // database): one clear line, exit 1, instead of an unhandled exception and a stack trace (docs/reliability.md).
    Console.Error.WriteLine($"error: cannot open the identity store or key: {e.Message.ReplaceLineEndings(" ")} (check that the data directory is writable and has free space, or that the database is reachable)");
    return 1;
}
await app.RunAsync();
return 0;
