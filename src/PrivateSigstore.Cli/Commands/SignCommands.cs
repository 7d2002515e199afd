using System.CommandLine;
using PrivateSigstore.Client.Rekor;
using PrivateSigstore.Client.Signing;

namespace PrivateSigstore.Cli.Commands;

/// <summary><c>psig sign-blob</c> and <c>psig attest</c>: with a key (PEM or PKCS#11) or keyless (OIDC token → Fulcio).</summary>
internal static partial class SignCommands
{
    public static Command SignBlob(CliConsole console)
    {
        var file = new Argument<FileInfo>("file") { Description = "The artifact to sign" };
        var flags = new SignerFlags();
        var command = new Command("sign-blob", "Sign a blob (hashedrekord) and write a bundle v0.3") { file };
        flags.AddTo(command);
        command.SetAction((parse, ct) => flags.RunAsync(console, parse, parse.GetValue(file)!, statement: null, ct));
        return command;
    }

    public static Command Attest(CliConsole console)
    {
        var file = new Argument<FileInfo?>("file") { Description = "The subject artifact (with --predicate)", Arity = ArgumentArity.ZeroOrOne };
        var predicate = new Option<FileInfo?>("--predicate") { Description = "Predicate JSON; psig builds an in-toto v1 statement over FILE" };
        var predicateType = new Option<string>("--type") { Description = $"Predicate type: a URI or one of {PredicateTypes.Names} (cosign's names)", DefaultValueFactory = _ => "https://slsa.dev/provenance/v1" };
        var statement = new Option<FileInfo?>("--statement") { Description = "A complete in-toto statement to sign instead" };
        var flags = new SignerFlags();
        var command = new Command("attest", "Sign an in-toto attestation (DSSE; Rekor v1: dsse 0.0.1 entry, Rekor v2: hashedrekord 0.0.2 over the PAE) and write a bundle v0.3") { file, predicate, predicateType, statement };
        flags.AddTo(command);
        command.Options.Add(flags.V2DsseEntry);
        command.SetAction((parse, ct) =>
        {
            var statementFile = parse.GetValue(statement);
            var subject = parse.GetValue(file);
            var predicateFile = parse.GetValue(predicate);
            byte[] payload;
            FileInfo label;
            if (statementFile is not null)
            {
                if (predicateFile is not null)
                {
                    throw new UsageException("give --statement or FILE with --predicate, not both");
                }
                payload = File.ReadAllBytes(statementFile.FullName);
                label = statementFile;
            }
            else if (subject is not null && predicateFile is not null)
            {
                payload = SigningServices.Statement(subject, PredicateTypes.Resolve(parse.GetValue(predicateType)!), predicateFile);
                label = subject;
            }
            else
            {
                throw new UsageException("give --statement, or FILE and --predicate");
            }
            return flags.RunAsync(console, parse, label, payload, ct);
        });
        return command;
    }

    /// <summary>The signer flags shared by sign-blob, attest, sign-model and the image commands.</summary>
    internal sealed partial class SignerFlags
    {
        private readonly Option<FileInfo?> _bundle = new("--bundle") { Description = "Where to write the bundle (default: FILE.sigstore.json)" };
        private readonly Option<string?> _key = new("--key") { Description = "PEM private key file, or pkcs11:token=LABEL;object=KEY (PSIG_PKCS11_MODULE, PSIG_PKCS11_PIN)" };
        private readonly TokenFlags _identity = new();
        private readonly Option<string?> _fulcio = new("--fulcio-url") { Description = "Fulcio URL (keyless)" };
        private readonly Option<string?> _rekor = new("--rekor-url") { Description = "Rekor URL (API version from --rekor-version, default 1)" };
        private readonly Option<uint?> _rekorVersion = new("--rekor-version") { Description = "Rekor API version to write: 1 or 2 (default: the highest the signing config offers)" };
        private readonly Option<string?> _tsa = new("--tsa-url") { Description = "RFC 3161 timestamp authority URL (required with Rekor v2 unless the signing config lists one)" };
        private readonly Option<FileInfo?> _signingConfig = new("--signing-config") { Description = "signing_config.json (v0.2) naming the CA, Rekor logs and timestamp authorities (default: the one from the TUF repository psig initialize trusted, unless --rekor-url is given)" };

        /// <summary><c>attest</c> only: how a DSSE envelope is written to a Rekor v2 log.</summary>
        public Option<string> V2DsseEntry { get; } = new("--rekor-v2-entry")
        {
            Description = "Rekor v2 entry for an attestation: hashedrekord (over the DSSE PAE, as sigstore-go; default) or dsse (dsseRequestV002, as sigstore-js 5)",
            DefaultValueFactory = _ => "hashedrekord",
        };

        public void AddTo(Command command)
        {
            V2DsseEntry.AcceptOnlyFromAmong("hashedrekord", "dsse");
            foreach (var option in new Option[] { _bundle, _key, _fulcio, _rekor, _rekorVersion, _tsa, _signingConfig })
            {
                command.Options.Add(option);
            }
            _identity.AddTo(command);
        }

        /// <summary>The <c>--bundle</c> option (sign-model also spells it <c>--signature</c>).</summary>
        public Option<FileInfo?> Bundle => _bundle;

        public async Task<int> RunAsync(CliConsole console, ParseResult parse, FileInfo input, byte[]? statement, CancellationToken ct, FileInfo? bundlePath = null)
        {
            // Without --signing-config or --rekor-url the signing config comes from psig's TUF cache (psig initialize).
            var tufConfig = parse.GetValue(_signingConfig) is null && parse.GetValue(_rekor) is null
                ? await PsigTrust.TargetAsync(console, PsigTrust.SigningConfigTarget, optional: true, ct).ConfigureAwait(false)
                : null;
            var services = SigningServices.Resolve(parse.GetValue(_signingConfig), parse.GetValue(_fulcio), parse.GetValue(_rekor),
                parse.GetValue(_rekorVersion), parse.GetValue(_tsa), tufConfig) with
            {
                DsseMode = statement is not null && parse.GetValue(V2DsseEntry) == "dsse" ? RekorV2DsseMode.DsseRequest : RekorV2DsseMode.HashedRekordOverPae,
            };
            var bundle = bundlePath ?? parse.GetValue(_bundle) ?? new FileInfo(input.FullName + ".sigstore.json");
            var source = input;
            string? temp = null;
            if (statement is not null)
            {
                temp = Path.GetTempFileName();
                await File.WriteAllBytesAsync(temp, statement, ct).ConfigureAwait(false);
                source = new FileInfo(temp);
            }
            try
            {
                if (parse.GetValue(_key) is { } key)
                {
                    if (parse.GetValue(_identity.Token) is not null || parse.GetValue(_identity.Issuer) is not null)
                    {
                        throw new UsageException("--key cannot be combined with --identity-token or --oidc-issuer");
                    }
                    // An encrypted key file: the password from PSIG_KEY_PASSWORD, else asked on the terminal.
                    var password = !key.StartsWith("pkcs11:", StringComparison.Ordinal) && File.Exists(key)
                        && File.ReadAllText(key).Contains("ENCRYPTED", StringComparison.Ordinal)
                        ? KeyPairCommand.Password(console, confirm: false) : Environment.GetEnvironmentVariable(KeyPairCommand.PasswordVariable);
                    var (signingKey, token) = SigningServices.LoadKey(key, password);
                    using (token)
                    using (signingKey)
                    {
                        return await SigningServices.SignAsync(console, services, new SignerMaterial(signingKey), source, bundle, statement is not null, ct).ConfigureAwait(false);
                    }
                }
                var identityToken = await _identity.GetAsync(console, parse, "give --key, --identity-token, or --oidc-issuer (with --oidc-client-id and --oidc-client-secret, --oidc-device, or --oidc-browser)", ct).ConfigureAwait(false);
                return identityToken is null ? ExitCodes.NotVerified
                    : await SigningServices.SignKeylessAsync(console, services, identityToken, source, bundle, statement is not null, ct).ConfigureAwait(false);
            }
            finally
            {
                if (temp is not null)
                {
                    File.Delete(temp);
                }
            }
        }
    }
}
