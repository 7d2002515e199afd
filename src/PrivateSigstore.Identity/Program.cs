using PrivateSigstore.Identity;

// The OIDC identity provider. With no configuration: SQLite under data/identity, a generated development key (with a
// loud warning), listening on http://127.0.0.1:5556. "admin ..." runs an administration command against the same store.
if (args.Length > 0 && args[0] == "admin")
{
    return await AdminCommands.RunAsync(args[1..], Console.Out, Console.Error);
}
// A store or key that cannot be opened or created, or a wrong setting: one clear line, exit 1 (docs/reliability.md).
return await PrivateSigstore.Hosting.ServiceApp.RunAsync("identity store or key", () => IdentityApp.BuildAsync(args), e => e is PrivateSigstore.Keys.KeyConfigurationException);
