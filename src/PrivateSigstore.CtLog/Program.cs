using PrivateSigstore.CtLog;

// The RFC 6962 Certificate Transparency log. With no configuration: SQLite under data/ctlog, a generated development
// key (with a loud warning), no trusted roots (every submission is refused until CtLog:RootsPemFile is set),
// listening on http://127.0.0.1:6962.
var app = await CtLogApp.BuildAsync(args);
await app.RunAsync();
