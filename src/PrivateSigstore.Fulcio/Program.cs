using PrivateSigstore.Fulcio;
using PrivateSigstore.Fulcio.Ca;

// The Fulcio-compatible CA. `ca ceremony` / `ca import-chain` are the admin commands; anything else runs the service.
// With no configuration: a development CA under data/fulcio (loud warning), the local identity provider as the only
// issuer, no CT log, listening on http://127.0.0.1:5555.
if (args.Length > 0 && args[0] == "ca")
{
    return CaCommands.Run(args[1..], Console.Out, Console.Error);
}

// A store or key that cannot be opened or created, or a wrong setting: one clear line, exit 1 (docs/reliability.md).
return await PrivateSigstore.Hosting.ServiceApp.RunAsync("CA store or key", () => FulcioApp.BuildAsync(args), e => e is PrivateSigstore.Keys.KeyConfigurationException);
