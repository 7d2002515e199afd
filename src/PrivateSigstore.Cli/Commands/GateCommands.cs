using System.CommandLine;
using System.Diagnostics;
using PrivateSigstore.Cli.Gate;
using PrivateSigstore.Client.Oci;
using PrivateSigstore.Client.Verification;

namespace PrivateSigstore.Cli.Commands;

/// <summary>
/// The verify-before-use gate: <c>psig gate check</c> (may this artifact be used?), <c>psig exec</c> (verify a
/// program's exact bytes, then run them), and <c>psig gate serve</c> (the same decision over loopback HTTP).
/// </summary>
internal static class GateCommands
{
    /// <summary><c>psig exec</c> exits with this when it refuses to run the program (as a shell for a command it cannot execute).</summary>
    public const int Refused = 126;

    public static Command Gate(CliConsole console)
    {
        var command = new Command("gate", "Verify-before-use: decide whether an artifact (file, model directory, OCI image) may be used, under a policy file");
        command.Subcommands.Add(Check(console));
        command.Subcommands.Add(GateServer.Command(console));
        return command;
    }

    private static Command Check(CliConsole console)
    {
        var artifact = new Argument<string>("artifact") { Description = "The file, model directory, or OCI image (registry/repository:tag or registry/repository@sha256:<hex>) to check" };
        var policy = PolicyOption();
        var bundle = new Option<FileInfo?>("--bundle") { Description = "The signature bundle (default: FILE.sigstore.json; for a model directory DIR/model.sig; an image's come from its registry)" };
        var record = RecordOption();
        var registry = new ImageCommands.RegistryOptions();
        var command = new Command("check", "Exit 0 when the policy allows the artifact, 1 when it refuses it (no matching policy refuses), 2 on bad input") { artifact, policy, bundle, record };
        registry.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var engine = await LoadAsync(console, parse.GetValue(policy)!, ct).ConfigureAwait(false);
            var name = parse.GetValue(artifact)!;
            using var http = Directory.Exists(name) || File.Exists(name) || !ImageArtifact.LooksLikeReference(name) ? null : registry.CreateHttpClient(parse);
            IGateArtifact target;
            if (http is null)
            {
                target = Artifact(name);
            }
            else
            {
                if (parse.GetValue(bundle) is not null)
                {
                    throw new UsageException("--bundle is for files and model directories: an image's signatures are read from its registry");
                }
                target = new ImageArtifact(name, ImageCommands.ParseReference(name), new ImageSignatureStore(registry.Client(parse, http)));
            }
            var decision = await engine.CheckAsync(console, target, parse.GetValue(bundle)?.FullName, ct).ConfigureAwait(false);
            await GovernanceRecord.WriteAsync(parse.GetValue(record), decision.Record, ct).ConfigureAwait(false);
            if (decision.Allowed)
            {
                await console.Out.WriteLineAsync($"{target.Name}: allowed ({decision.Reason}; signed by {decision.Record.ExpectedIdentity}). A signature is an identity and integrity receipt, not a safety verdict.").ConfigureAwait(false);
                return ExitCodes.Verified;
            }
            await console.Error.WriteLineAsync($"{target.Name}: refused: {decision.Reason}").ConfigureAwait(false);
            return ExitCodes.NotVerified;
        });
        return command;
    }

    public static Command Exec(CliConsole console)
    {
        var program = new Argument<string[]>("program") { Description = "PROGRAM [ARGS…] (after --)", Arity = ArgumentArity.OneOrMore };
        var policy = PolicyOption();
        var bundle = new Option<FileInfo?>("--bundle") { Description = "The program's signature bundle (default: PROGRAM.sigstore.json beside it)" };
        var record = RecordOption();
        var breakGlass = new Option<string?>("--break-glass") { Description = "Run even when refused, for this reason (an emergency override; recorded, and loud)" };
        var command = new Command("exec", "Verify PROGRAM's exact bytes under the policy, then run that verified copy; refuse (exit 126) without running it when verification fails") { program, policy, bundle, record, breakGlass };
        command.SetAction(async (parse, ct) =>
        {
            var argv = parse.GetValue(program)!;
            var reason = parse.GetValue(breakGlass);
            if (reason is not null && string.IsNullOrWhiteSpace(reason))
            {
                throw new UsageException("--break-glass needs a reason");
            }
            var engine = await LoadAsync(console, parse.GetValue(policy)!, ct).ConfigureAwait(false);
            var path = Resolve(argv[0]);
            // Copy once into a private directory, verify the copy, run the copy: nothing can be swapped in between.
            var dir = Directory.CreateTempSubdirectory("psig-exec-");
            try
            {
                if (!OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(dir.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                }
                var copy = Path.Combine(dir.FullName, Path.GetFileName(path));
                await CopyAsync(path, copy, ct).ConfigureAwait(false);
                var decision = await engine.CheckAsync(console, new ExecArtifact(path, copy), parse.GetValue(bundle)?.FullName ?? path + ".sigstore.json", ct).ConfigureAwait(false);
                var final = decision.Record;
                if (!decision.Allowed)
                {
                    if (reason is null)
                    {
                        await GovernanceRecord.WriteAsync(parse.GetValue(record), final, ct).ConfigureAwait(false);
                        await console.Error.WriteLineAsync($"psig exec: refused to run {argv[0]}: {decision.Reason}").ConfigureAwait(false);
                        return Refused;
                    }
                    final = final with { Decision = "break-glass", BreakGlassReason = reason };
                    await console.Error.WriteLineAsync($"psig exec: BREAK-GLASS: running {argv[0]} although it was refused ({decision.Reason}); reason: {reason}; this is recorded").ConfigureAwait(false);
                }
                await GovernanceRecord.WriteAsync(parse.GetValue(record), final, ct).ConfigureAwait(false);
                return await RunAsync(copy, argv[1..], ct).ConfigureAwait(false);
            }
            finally
            {
                dir.Delete(recursive: true);
            }
        });
        return command;
    }

    private static async Task<int> RunAsync(string program, string[] args, CancellationToken ct)
    {
        var start = new ProcessStartInfo(program) { UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start) ?? throw new UsageException($"cannot start {Path.GetFileName(program)}");
        await process.WaitForExitAsync(ct).ConfigureAwait(false);
        return process.ExitCode;
    }

    private static async Task CopyAsync(string source, string destination, CancellationToken ct)
    {
        try
        {
            await using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
            }
            await using var output = new FileStream(destination, options);
            await input.CopyToAsync(output, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {Path.GetFileName(source)}", e);
        }
    }

    /// <summary>A path as given, else the first executable of that name on PATH.</summary>
    private static string Resolve(string program)
    {
        if (program.Contains('/', StringComparison.Ordinal) || program.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return File.Exists(program) ? Path.GetFullPath(program) : throw new UsageException($"{program}: no such file");
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return Path.GetFullPath(candidate);
            }
        }
        throw new UsageException($"{program}: not found on PATH");
    }

    internal static IGateArtifact Artifact(string path) =>
        Directory.Exists(path) ? new ModelArtifact(path)
        : File.Exists(path) ? new FileArtifact(path)
        : throw new UsageException($"{path}: no such file or directory (an image reference names its registry: registry.example.com/repo:tag, docker.io/library/name:tag)");

    internal static async Task<GateEngine> LoadAsync(CliConsole console, FileInfo policyFile, CancellationToken ct)
    {
        var policy = GatePolicy.Load(policyFile.FullName);
        if (policy.Tuf is { } tuf)
        {
            var (trusted, recorded) = await GateTuf.LoadAsync(console, tuf, policyFile.Name, ct).ConfigureAwait(false);
            return new GateEngine(policy, new BundleVerifier(trusted), recorded);
        }
        var rootFile = policy.TrustedRoot is { } r ? new FileInfo(r) : null;
        var material = await VerificationOptions.LoadMaterialAsync(rootFile, console, ct).ConfigureAwait(false);
        var root = await GovernanceRecord.RootAsync(rootFile, material, console, ct).ConfigureAwait(false);
        return new GateEngine(policy, new BundleVerifier(material), root);
    }

    private static Option<FileInfo> PolicyOption() => new("--policy") { Description = "The gate policy file (YAML: trustedRoot or tuf: {mirror, root}, policies with match globs, authorities, attestations)", Required = true };

    private static Option<FileInfo?> RecordOption() => new("--record") { Description = "Write the governance record (JSON, replayable with psig record verify) to this file" };

    /// <summary>A program for exec: matched and named by its path, verified as the private copy's bytes.</summary>
    private sealed class ExecArtifact(string path, string copy) : IGateArtifact
    {
        private readonly FileArtifact _copy = new(copy);

        public string Kind => "file";

        public string Name => path;

        public string DefaultBundle => path + ".sigstore.json";

        public IEnumerable<string> MatchNames(string policyDirectory) => GateEngine.PathNames(path, policyDirectory);

        public IEnumerable<(string Source, byte[] Json)> AttestationBundles(string signatureBundle) => GateEngine.Siblings(path, signatureBundle);

        public Task<(VerificationRecord Record, string? Digest)> VerifyAsync(CliConsole console, BundleVerifier verifier, Core.Bundle.Bundle bundle, IdentityPolicy identity, string bundlePath, CancellationToken ct) =>
            _copy.VerifyAsync(console, verifier, bundle, identity, bundlePath, ct);
    }
}
