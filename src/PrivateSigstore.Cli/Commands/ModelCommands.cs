using System.CommandLine;
using PrivateSigstore.Cli.Gate;
using PrivateSigstore.Client.ModelSigning;
using PrivateSigstore.Client.Verification;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Bundle;

namespace PrivateSigstore.Cli.Commands;

/// <summary>
/// <c>psig sign-model</c> and <c>psig verify-model</c>: OpenSSF model_signing v1.x signatures (a bundle v0.3 with a
/// DSSE in-toto statement, predicate <c>https://model_signing/signature/v1.0</c>) over a model directory.
/// </summary>
internal static class ModelCommands
{
    public static Command SignModel(CliConsole console)
    {
        var model = new Argument<DirectoryInfo>("model") { Description = "The model directory (or one model file)" };
        var ignore = IgnorePathsOption();
        var allowSymlinks = new Option<bool>("--allow-symlinks") { Description = "Follow symbolic links instead of refusing them" };
        var includeGit = new Option<bool>("--include-git-paths") { Description = "Also sign .git, .gitattributes, .github and .gitignore (left out by default)" };
        var shardSize = new Option<long?>("--shard-size") { Description = "Serialize by file shards of this many bytes (model_signing \"shards\"; default: by whole files)" };
        var flags = new SignCommands.SignerFlags();
        var command = new Command("sign-model", "Sign a model directory as OpenSSF model_signing v1.x does (in-toto statement over every file's SHA-256, DSSE, bundle v0.3)") { model, ignore, allowSymlinks, includeGit, shardSize };
        flags.AddTo(command);
        flags.Bundle.Aliases.Add("--signature");
        flags.Bundle.Description = "Where to write the signature bundle (default: model.sig, as model_signing)";
        command.SetAction(async (parse, ct) =>
        {
            var dir = parse.GetValue(model)!;
            var path = dir.FullName;
            if (!Directory.Exists(path) && !File.Exists(path))
            {
                throw new UsageException($"{dir.Name}: no such model directory or file");
            }
            if (parse.GetValue(shardSize) is <= 0)
            {
                throw new UsageException("--shard-size must be positive");
            }
            var signature = parse.GetValue(flags.Bundle) ?? new FileInfo("model.sig");
            var ignored = ModelCheck.IgnorePaths(path, signature.FullName, parse.GetValue(ignore) ?? [], parse.GetValue(includeGit));
            var manifest = await ModelCheck.HashAsync(console, path, ignored, parse.GetValue(allowSymlinks), parse.GetValue(shardSize), ct).ConfigureAwait(false);
            if (manifest.Resources.Count == 0)
            {
                throw new UsageException($"{dir.Name}: no files to sign (all ignored or the directory is empty)");
            }
            await console.Error.WriteLineAsync($"{manifest.ModelName}: {manifest.Resources.Count} resources, subject sha256:{Convert.ToHexStringLower(manifest.RootDigest())}").ConfigureAwait(false);
            return await flags.RunAsync(console, parse, new FileInfo(path), ModelStatement.Create(manifest), ct, signature).ConfigureAwait(false);
        });
        return command;
    }

    public static Command DigestModel(CliConsole console)
    {
        var model = new Argument<DirectoryInfo>("model") { Description = "The model directory (or one model file)" };
        var ignore = IgnorePathsOption();
        var allowSymlinks = new Option<bool>("--allow-symlinks") { Description = "Follow symbolic links instead of refusing them" };
        var includeGit = new Option<bool>("--include-git-paths") { Description = "Also hash .git, .gitattributes, .github and .gitignore" };
        var shardSize = new Option<long?>("--shard-size") { Description = "Serialize by file shards of this many bytes" };
        var command = new Command("digest-model", "Print a model's subject digest (SHA-256 over every file's SHA-256, as model_signing digest), without signing") { model, ignore, allowSymlinks, includeGit, shardSize };
        command.SetAction(async (parse, ct) =>
        {
            var path = parse.GetValue(model)!.FullName;
            if (!Directory.Exists(path) && !File.Exists(path))
            {
                throw new UsageException($"{parse.GetValue(model)!.Name}: no such model directory or file");
            }
            if (parse.GetValue(shardSize) is <= 0)
            {
                throw new UsageException("--shard-size must be positive");
            }
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var manifest = await ModelCheck.HashAsync(console, path, ModelCheck.IgnorePaths(path, null, parse.GetValue(ignore) ?? [], parse.GetValue(includeGit)),
                parse.GetValue(allowSymlinks), parse.GetValue(shardSize), ct).ConfigureAwait(false);
            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
            var bytes = manifest.Resources.Sum(r => (r.End ?? new FileInfo(Path.Combine(path, r.Path)).Length) - r.Start);
            await console.Out.WriteLineAsync($"sha256:{Convert.ToHexStringLower(manifest.RootDigest())}").ConfigureAwait(false);
            await console.Error.WriteLineAsync(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{manifest.Resources.Count} resources, {bytes} bytes in {elapsed.TotalSeconds:0.000} s ({bytes / Math.Max(elapsed.TotalSeconds, 1e-9) / 1e9:0.000} GB/s)")).ConfigureAwait(false);
            return ExitCodes.Verified;
        });
        return command;
    }

    public static Command VerifyModel(CliConsole console)
    {
        var model = new Argument<DirectoryInfo>("model") { Description = "The model directory (or one model file)" };
        var signature = new Option<FileInfo>("--signature", "--bundle") { Description = "The model signature bundle (default: model.sig)" };
        var ignore = IgnorePathsOption();
        var options = new VerificationOptions();
        var command = new Command("verify-model", "Verify a model directory against an OpenSSF model_signing signature (v1.0, or the older Digests/v0.1): the signer, the log evidence, and every file") { model, signature, ignore };
        options.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var dir = parse.GetValue(model)!;
            if (!Directory.Exists(dir.FullName) && !File.Exists(dir.FullName))
            {
                throw new UsageException($"{dir.Name}: no such model directory or file");
            }
            var identity = options.Policy(parse);
            var sigFile = parse.GetValue(signature) ?? new FileInfo("model.sig");
            var material = await options.MaterialAsync(parse, console, ct).ConfigureAwait(false);
            var verifier = new BundleVerifier(material, options.VerifierSettings(parse));
            Bundle? bundle = null;
            VerificationRecord record;
            string? subject = null;
            try
            {
                using var stream = File.OpenRead(sigFile.FullName);
                bundle = BundleJson.Parse(stream);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or WireFormatException)
            {
                await console.Error.WriteLineAsync($"Error: cannot read signature {sigFile.Name}: {e.Message}").ConfigureAwait(false);
            }
            if (bundle is null)
            {
                record = verifier.Unreadable($"cannot read signature {sigFile.Name}", new VerificationPolicy(null, identity));
            }
            else
            {
                (record, subject) = await ModelCheck.VerifyAsync(console, verifier, bundle, identity, dir.FullName, sigFile.FullName, parse.GetValue(ignore) ?? [], ct).ConfigureAwait(false);
                if (record.IsVerified)
                {
                    await console.Out.WriteLineAsync($"{dir.Name}: Verified OK").ConfigureAwait(false);
                }
                else
                {
                    await console.Error.WriteLineAsync($"{dir.Name}: Error: verification failed: {record.FailedStep}: {record.Reason}").ConfigureAwait(false);
                }
            }
            if (parse.GetValue(options.Record) is { } recordFile)
            {
                var root = await GovernanceRecord.RootAsync(parse.GetValue(options.TrustedRoot), material, console, ct).ConfigureAwait(false);
                var full = GovernanceRecord.Complete(record, new RecordArtifact("model", dir.FullName, subject), bundle, root, Describe(parse, options), KeyPem(parse, options))
                    with { Decision = record.IsVerified ? "allowed" : "refused" };
                await GovernanceRecord.WriteAsync(recordFile, full, ct).ConfigureAwait(false);
            }
            return record.IsVerified ? ExitCodes.Verified : ExitCodes.NotVerified;
        });
        return command;
    }

    internal static string Describe(ParseResult parse, VerificationOptions options) =>
        parse.GetValue(options.Key) is { } key ? "key " + key.Name
        : parse.GetValue(options.Identity) is { } id ? $"keyless {id} ({parse.GetValue(options.Issuer)})"
        : $"keyless ~{parse.GetValue(options.IdentityRegexp)} ({parse.GetValue(options.Issuer)})";

    internal static string? KeyPem(ParseResult parse, VerificationOptions options) =>
        parse.GetValue(options.Key) is { } key ? File.ReadAllText(key.FullName) : null;

    private static Option<string[]> IgnorePathsOption() => new("--ignore-paths")
    {
        Description = "A path to leave out, repeatable (relative to the current directory, as model_signing's CLI; a directory leaves out all below it)",
    };
}
