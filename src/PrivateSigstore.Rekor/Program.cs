using PrivateSigstore.Rekor;

// The Rekor-compatible transparency log service. With no configuration: SQLite under data/rekor, a generated
// development key (with a loud warning), listening on http://127.0.0.1:3000.
var app = await RekorApp.BuildAsync(args);
await app.RunAsync();
