using PrivateSigstore.CtLog;

// The RFC 6962 Certificate Transparency log. With no configuration: SQLite under data/ctlog, a generated development
// key (with a loud warning), no trusted roots (every submission is refused until CtLog:RootsPemFile is set),
// listening on http://127.0.0.1:6962.
Microsoft.AspNetCore.Builder.WebApplication app;
try
{
    app = await CtLogApp.BuildAsync(args);
}
catch (Exception e) when (e is System.Data.Common.DbException or IOException or UnauthorizedAccessException or PrivateSigstore.Keys.KeyConfigurationException)
{
    // A store or key file that cannot be opened or created (read-only, full or missing data directory, unreachable
    // database): one clear line, exit 1, instead of an unhandled exception and a stack trace (docs/reliability.md).
    Console.Error.WriteLine($"error: cannot open the log store or key: {e.Message.ReplaceLineEndings(" ")} (check that the data directory is writable and has free space, or that the database is reachable)");
    return 1;
}
await app.RunAsync();
return 0;
