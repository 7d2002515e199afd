using PrivateSigstore.Timestamp;

// The RFC 3161 timestamp authority (sigstore/timestamp-authority v2 API). `ceremony` is the key-ceremony command; anything
// else runs the service. With no configuration: a development key and chain under data/tsa (loud warning), no clock
// check, listening on http://127.0.0.1:3004.
if (args.Length > 0 && args[0] == "ceremony")
{
    return CeremonyCommand.Run(args[1..], Console.Out, Console.Error);
}

var app = await TimestampApp.BuildAsync(args);
await app.RunAsync();
return 0;
