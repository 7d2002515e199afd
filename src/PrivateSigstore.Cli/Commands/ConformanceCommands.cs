using System.CommandLine;
using PrivateSigstore.Client.Verification;

namespace PrivateSigstore.Cli.Commands;

/// <summary>
/// The sigstore-conformance client protocol (docs/cli_protocol.md, reference/client.md §6):
/// <c>sign-bundle [--staging] [--in-toto] --identity-token T --bundle F [--trusted-root F] [--signing-config F] FILE</c> and
/// <c>verify-bundle [--staging] --bundle F (--certificate-identity I --certificate-oidc-issuer U | --key PEM) [--trusted-root F] FILE_OR_DIGEST</c>.
/// </summary>
internal static class ConformanceCommands
{
    public static Command SignBundle(CliConsole console)
    {
        var staging = new Option<bool>("--staging") { Description = "Use the public staging instance (not available offline)" };
        var inToto = new Option<bool>("--in-toto") { Description = "FILE is an in-toto statement to sign as a DSSE attestation" };
        var token = new Option<string>("--identity-token") { Description = "OIDC identity token", Required = true };
        var bundle = new Option<FileInfo>("--bundle") { Description = "Where to write the bundle", Required = true };
        var trustedRoot = new Option<FileInfo?>("--trusted-root") { Description = "trusted_root.json (unused for signing)" };
        var signingConfig = new Option<FileInfo?>("--signing-config") { Description = "signing_config.json naming the CA and Rekor URLs" };
        var file = new Argument<FileInfo>("file") { Description = "Artifact (or statement with --in-toto)" };
        var command = new Command("sign-bundle", "Conformance protocol: keyless signing into a bundle") { staging, inToto, token, bundle, trustedRoot, signingConfig, file };
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(staging) || parse.GetValue(signingConfig) is null)
            {
                throw new UsageException("sign-bundle needs --signing-config (the public staging and production instances are not reachable from here)");
            }
            var services = SigningServices.FromSigningConfig(parse.GetValue(signingConfig)!);
            return await SigningServices.SignKeylessAsync(console, services, parse.GetValue(token)!, parse.GetValue(file)!, parse.GetValue(bundle)!,
                parse.GetValue(inToto), ct).ConfigureAwait(false);
        });
        return command;
    }

    public static Command VerifyBundle(CliConsole console)
    {
        var staging = new Option<bool>("--staging") { Description = "Use the public staging trust root (not embedded: give --trusted-root)" };
        var bundle = new Option<FileInfo>("--bundle") { Description = "The bundle to verify", Required = true };
        var options = new VerificationOptions();
        var target = new Argument<string>("file-or-digest") { Description = "The artifact, or sha256:<hex> when no such file exists" };
        var command = new Command("verify-bundle", "Conformance protocol: verify a bundle") { staging, bundle };
        options.AddTo(command, withRecord: false);
        command.Arguments.Add(target);
        command.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(staging) && parse.GetValue(options.TrustedRoot) is null)
            {
                throw new UsageException("--staging needs --trusted-root: no staging root is embedded");
            }
            var value = parse.GetValue(target)!;
            var artifact = File.Exists(value) ? ArtifactPolicy.FromFile(value)
                : ArtifactPolicy.TryParseDigest(value) ?? throw new UsageException($"{value}: no such file, and not a sha256:<hex> digest");
            var verifier = new BundleVerifier(await options.MaterialAsync(parse, console, ct).ConfigureAwait(false));
            var record = VerifyCommands.VerifyOne(console, verifier, parse.GetValue(bundle)!.FullName, new VerificationPolicy(artifact, options.Policy(parse)), null);
            return record?.IsVerified == true ? ExitCodes.Verified : ExitCodes.NotVerified;
        });
        return command;
    }
}
