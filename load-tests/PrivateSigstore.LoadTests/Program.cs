using PrivateSigstore.LoadTests;

// Load and fault tools for PrivateSigstore. Every scenario talks only to this machine (an in-process engine,
// a local database, or services on 127.0.0.1) and stops by itself (bounded count and duration).
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
        """);
    return 2;
}
try
{
    var options = new Args(args.Skip(1));
    return args[0] switch
    {
        "log-append" => await LogAppendScenario.RunAsync(options),
        _ => throw new ArgumentException($"unknown scenario '{args[0]}'"),
    };
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}
