using PrivateSigstore.Fuzz;
using SharpFuzz;

// PrivateSigstore.Fuzz list | afl TARGET | replay TARGET FILE-OR-DIRECTORY...
// afl: SharpFuzz's persistent loop for afl-fuzz (fuzz/run.sh instruments the assemblies first).
// replay: runs each input once in-process; prints and fails on the first input that escapes the parser.
const string Usage = "usage: PrivateSigstore.Fuzz list | afl TARGET | replay TARGET FILE-OR-DIRECTORY...";
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine(Usage);
    Console.WriteLine("Targets:");
    foreach (var t in FuzzTargets.All.Values) Console.WriteLine($"  {t.Name,-18} {t.Description}");
    return args.Length == 0 ? 2 : 0;
}

if (args[0] == "list")
{
    foreach (var name in FuzzTargets.All.Keys) Console.WriteLine(name);
    return 0;
}

if (args.Length < 2 || !FuzzTargets.All.TryGetValue(args[1], out var target))
{
    Console.Error.WriteLine(args.Length < 2 ? Usage : $"error: unknown target \"{args[1]}\" (see: PrivateSigstore.Fuzz list)");
    return 2;
}

switch (args[0])
{
    case "afl":
        Fuzzer.Run(stream =>
        {
            using var buffer = new MemoryStream();
            stream.CopyTo(buffer);
            FuzzTargets.Run(target, buffer.ToArray());
        });
        return 0;
    case "replay":
        var files = args.Skip(2).SelectMany(p => Directory.Exists(p) ? Directory.EnumerateFiles(p, "*", SearchOption.AllDirectories) : [p]).ToList();
        foreach (var file in files)
        {
            try
            {
                FuzzTargets.Run(target, File.ReadAllBytes(file));
            }
#pragma warning disable CA1031 // a finding is reported, whatever its type
            catch (Exception e)
#pragma warning restore CA1031
            {
                Console.Error.WriteLine($"{target.Name}: {file}: {e.GetType().FullName}: {e.Message}");
                Console.Error.WriteLine(e.StackTrace);
                return 1;
            }
        }

        Console.WriteLine($"{target.Name}: {files.Count} inputs, no crash");
        return 0;
    default:
        Console.Error.WriteLine(Usage);
        return 2;
}
