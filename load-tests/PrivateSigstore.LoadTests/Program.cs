using PrivateSigstore.LoadTests;

// Load and fault tools for PrivateSigstore. Every scenario talks only to this machine (an in-process engine,
// a local database, or services on 127.0.0.1, ::1 or localhost) and stops by itself (bounded count and duration).
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("""
        usage: PrivateSigstore.LoadTests <scenario> [options]

        scenarios:
          log-append   in-process appends to the log engine (SQLite or PostgreSQL), integration included
                       --store sqlite|postgres  --path <file.db>  --connection <npgsql connection string>
                       --leaf-size 1024  --count 1000000  --duration 60  --concurrency 4096
                       --batch-size 4096  --batch-age-ms 5  --durability full|normal
                       --window 1000000 (report the rate of every window of N entries)
                       --proof-samples 10000 (inclusion-proof read latency after the run)
                       --ack (print "ack <index> <leaf hash hex>" for every acknowledged entry; fault tests)
                       --json <file> (write the results as JSON)
          rekor-append POST /api/v1/log/entries to a Rekor v1 service: unique hashedrekord 0.0.1 entries, ECDSA P-256,
                       pre-signed before the timed phase (more are signed in the background if the run needs them)
                       --url http://127.0.0.1:3000 (loopback only)  --concurrency 256  --duration 60
                       --count 10000000  --presign 200000  --warmup 0 (untimed seconds first)  --timeout 30  --json <file>
          rekor2-append POST /api/v2/log/entries to a Rekor v2 service: unique hashedRekordRequestV002 requests, ECDSA P-256,
                       pre-signed before the timed phase; counts the checkpoints that covered the 201s
                       --url http://127.0.0.1:3001 (loopback only)  --concurrency 256  --duration 60
                       --count 10000000  --presign 200000  --warmup 0  --timeout 30  --json <file>
          monitor-follow  the monitor following a Rekor v2 log from its tiles: fills a log in-process to --count entries
                       (kept in --dir across runs), serves it with the real Rekor v2 service on loopback, and times the real
                       monitor reading every entry (full audit + identity watch)
                       --count 1000000  --dir <dir>  --audit true|false  --timeout 600  --json <file>
          rekor-read   GET reads against a Rekor v1 service, latency per kind
                       --url http://127.0.0.1:3000 (loopback only)  --concurrency 64  --duration 30
                       --mix entries=40,uuid=30,proofs=20,log=10  (entries = ?logIndex=, uuid = /entries/{uuid},
                       proofs = /log/proof, log = /log)  --uuids 1000 (entry ids to learn first)
                       --count 100000000  --timeout 30  --json <file>
          explorer-read GET pages of the log explorer over a Rekor v1 log, latency per kind (rate limits off on the explorer)
                       --url http://127.0.0.1:8080  --rekor-url http://127.0.0.1:3000 (both loopback only)  --log rekor
                       --concurrency 16  --duration 30  --mix entry=30,proof=20,search=20,index=10,log=20
                       --digests 200 (artifact digests to learn first)  --timeout 30  --json <file>
          fulcio-setup writes a token-signing key, its JWKS and a Fulcio issuer config (static JWKS, no network) to --dir
          fulcio-issue POST /api/v2/signingCert as sigstore-js does (fresh P-256 key + proof per request, pre-minted tokens)
                       --url http://127.0.0.1:5555 (loopback only)  --setup <dir from fulcio-setup>  --concurrency 64
                       --duration 60  --warmup 0  --tokens 1000  --bodies 20000  --count 100000000  --timeout 30  --json <file>
          keyless-sign token -> certificate with SCT (CA + CT log) -> hashedrekord entry with the certificate (Rekor), end to end
                       --fulcio-url http://127.0.0.1:5555  --rekor-url http://127.0.0.1:3000  --setup <dir from fulcio-setup>
                       --concurrency 64  --duration 60  --warmup 0  --tokens 1000  --keys 10000  --timeout 30  --json <file>
          ct-add-pre-chain POST /ct/v1/add-pre-chain to a CT log: unique precertificate chains (poison, code signing) from a
                       load-test CA, built before the timed phase; --init only creates the CA in --ca-dir
                       --url http://127.0.0.1:6962 (loopback only)  --ca-dir ct-load-ca  --concurrency 64  --duration 30
                       --count 50000  --timeout 30  --json <file>
          tsa-stamp    POST /api/v1/timestamp to a timestamp authority: RFC 3161 requests (SHA-256 imprint, nonce, certReq) as
                       Sigstore clients send them, built before the timed phase; a sample of replies is verified first
                       --url http://127.0.0.1:3004 (loopback only)  --format der|json  --concurrency 64  --duration 60
                       --warmup 0  --bodies 100000  --check 200  --count 100000000  --timeout 30  --json <file>
        """);
    return 2;
}
try
{
    var options = new Args(args.Skip(1));
    return args[0] switch
    {
        "log-append" => await LogAppendScenario.RunAsync(options),
        "rekor-append" => await RekorAppendScenario.RunAsync(options),
        "rekor2-append" => await Rekor2AppendScenario.RunAsync(options),
        "monitor-follow" => await MonitorFollowScenario.RunAsync(options),
        "rekor-read" => await RekorReadScenario.RunAsync(options),
        "explorer-read" => await ExplorerReadScenario.RunAsync(options),
        "fulcio-setup" => LoadIdentity.Setup(options),
        "fulcio-issue" => await FulcioIssueScenario.RunAsync(options),
        "keyless-sign" => await KeylessSignScenario.RunAsync(options),
        "ct-add-pre-chain" => await CtAddPreChainScenario.RunAsync(options),
        "tsa-stamp" => await TsaStampScenario.RunAsync(options),
        _ => throw new ArgumentException($"unknown scenario '{args[0]}'"),
    };
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}
