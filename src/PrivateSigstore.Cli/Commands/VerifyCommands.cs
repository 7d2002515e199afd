using System.CommandLine;
using PrivateSigstore.Client.Verification;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Bundle;

namespace PrivateSigstore.Cli.Commands;

/// <summary><c>psig verify-blob</c> and <c>psig verify-attestation</c>.</summary>
internal static class VerifyCommands
{
    public static Command VerifyBlob(CliConsole console)
    {
        var files = new Argument<FileInfo[]>("file") { Description = "Artifacts to verify (several: each with FILE.sigstore.json unless --bundle)", Arity = ArgumentArity.OneOrMore };
        var bundle = new Option<FileInfo?>("--bundle") { Description = "The Sigstore bundle (default: FILE.sigstore.json)" };
        var options = new VerificationOptions();
        var command = new Command("verify-blob", "Verify a blob's signature bundle against a trusted root and an identity or key") { files, bundle };
        options.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var artifacts = parse.GetValue(files)!;
            var bundlePath = parse.GetValue(bundle);
            if (bundlePath is not null && artifacts.Length > 1)
            {
                throw new UsageException("--bundle names one bundle; with several files each uses FILE.sigstore.json");
            }
            var material = await options.MaterialAsync(parse, console, ct).ConfigureAwait(false);
            var verifier = new BundleVerifier(material, options.VerifierSettings(parse));
            var identity = options.Policy(parse);
            var progress = new Progress(console, "verified", artifacts.Length);
            var failures = 0;
            foreach (var artifact in artifacts)
            {
                var path = bundlePath?.FullName ?? artifact.FullName + ".sigstore.json";
                var record = VerifyOne(console, verifier, path, new VerificationPolicy(ArtifactPolicy.FromFile(artifact.FullName, ByteProgress.For(console, "hashing " + artifact.Name, artifact.FullName)), identity), artifact.Name);
                failures += record?.IsVerified == true ? 0 : 1;
                if (record is not null && parse.GetValue(options.Record) is not null)
                {
                    // The governance record (v0.2): the v0.1 fields plus the bundle as evidence, replayable with psig record verify.
                    await options.WriteRecordAsync(parse, await Gate.GovernanceRecord.ForCommandAsync(record, "file", artifact.FullName, path, options, parse, material, console, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
                }
                progress.Step();
            }
            return failures == 0 ? ExitCodes.Verified : ExitCodes.NotVerified;
        });
        return command;
    }

    public static Command VerifyAttestation(CliConsole console)
    {
        var file = new Argument<FileInfo?>("file") { Description = "Artifact that must be a subject of the in-toto statement (optional)", Arity = ArgumentArity.ZeroOrOne };
        var bundle = new Option<FileInfo>("--bundle") { Description = "The Sigstore bundle holding the DSSE attestation", Required = true };
        var type = new Option<string?>("--type") { Description = $"Require this predicate type: a URI or one of {PredicateTypes.Names} (cosign's names; default: any)" };
        var options = new VerificationOptions();
        var command = new Command("verify-attestation", "Verify a DSSE (in-toto) attestation bundle, optionally that FILE is its subject") { file, bundle, type };
        options.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var predicateType = parse.GetValue(type) is { } t ? PredicateTypes.Resolve(t) : null;
            var verifier = new BundleVerifier(await options.MaterialAsync(parse, console, ct).ConfigureAwait(false), options.VerifierSettings(parse));
            var artifact = parse.GetValue(file) is { } f ? ArtifactPolicy.FromFile(f.FullName, ByteProgress.For(console, "hashing " + f.Name, f.FullName)) : null;
            var record = VerifyOne(console, verifier, parse.GetValue(bundle)!.FullName, new VerificationPolicy(artifact, options.Policy(parse)), null, requireDsse: true, predicateType);
            if (record is not null)
            {
                await options.WriteRecordAsync(parse, record, ct).ConfigureAwait(false);
            }
            return record?.IsVerified == true ? ExitCodes.Verified : ExitCodes.NotVerified;
        });
        return command;
    }

    /// <summary>Verifies one bundle file; prints "Verified OK" or the failure; null only when the artifact cannot be read.</summary>
    internal static VerificationRecord? VerifyOne(CliConsole console, BundleVerifier verifier, string bundlePath, VerificationPolicy policy, string? label, bool requireDsse = false, string? predicateType = null)
    {
        var prefix = label is null ? "" : label + ": ";
        Bundle bundle;
        try
        {
            using var stream = File.OpenRead(bundlePath);
            bundle = BundleJson.Parse(stream);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or WireFormatException)
        {
            console.Error.WriteLine($"{prefix}Error: cannot read bundle {Path.GetFileName(bundlePath)}: {e.Message}");
            return verifier.Unreadable($"cannot read bundle {Path.GetFileName(bundlePath)}: {e.Message}", policy);
        }
        if (requireDsse && bundle.DsseEnvelope is null)
        {
            console.Error.WriteLine($"{prefix}Error: the bundle holds no DSSE attestation");
            return verifier.Unreadable("the bundle holds no DSSE attestation", policy);
        }
        if (predicateType is not null && PredicateTypes.Of(bundle.DsseEnvelope!.Payload) is var found && found != predicateType)
        {
            // As cosign's --type: an attestation of another predicate type does not count.
            var reason = found is null ? $"the attestation is not an in-toto statement with a predicateType (--type {predicateType})"
                : $"the attestation's predicate type is {found}, not {predicateType} (--type)";
            console.Error.WriteLine($"{prefix}Error: {reason}");
            return verifier.Unreadable(reason, policy);
        }
        try
        {
            var record = verifier.Audit(bundle, policy);
            if (record.IsVerified)
            {
                console.Out.WriteLine($"{prefix}Verified OK");
            }
            else
            {
                console.Error.WriteLine($"{prefix}Error: verification failed: {record.FailedStep}: {record.Reason}");
                if (verifier.Material.Source is { } source)
                {
                    console.Error.WriteLine($"{prefix}(trusted root: {source})");
                }
                if (verifier.Material.IsPublicGoodDefault && record.FailedStep is not null && !record.FailedStep.Contains("artifact", StringComparison.Ordinal)
                    && !record.FailedStep.Contains("identity", StringComparison.Ordinal))
                {
                    console.Error.WriteLine($"{prefix}Did you mean --trusted-root <your stack's trusted_root.json> (or psig initialize with its TUF repository)?");
                }
            }
            return record;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            console.Error.WriteLine($"{prefix}Error: {e.Message}");
            return null;
        }
    }
}
