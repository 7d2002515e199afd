using PrivateSigstore.CtLog;

// The RFC 6962 Certificate Transparency log. With no configuration: SQLite under data/ctlog, a generated development
// key (with a loud warning), no trusted roots (every submission is refused until CtLog:RootsPemFile is set),
// listening on http://127.0.0.1:6962.
// A store or key that cannot be opened or created, or a wrong setting: one clear line, exit 1 (docs/reliability.md).
return await PrivateSigstore.Hosting.ServiceApp.RunAsync("log store or key", () => CtLogApp.BuildAsync(args), e => e is PrivateSigstore.Keys.KeyConfigurationException);
