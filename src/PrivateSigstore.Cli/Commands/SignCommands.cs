using System.CommandLine;
using PrivateSigstore.Client.Signing;

namespace PrivateSigstore.Cli.Commands;

/// <summary><c>psig sign-blob</c> and <c>psig attest</c>: with a key (PEM or PKCS#11) or keyless (OIDC token → Fulcio).</summary>
internal static class SignCommands
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
        var predicateType = new Option<string>("--type") { Description = "Predicate type URI", DefaultValueFactory = _ => "https://slsa.dev/provenance/v1" };
        var statement = new Option<FileInfo?>("--statement") { Description = "A complete in-toto statement to sign instead" };
        var flags = new SignerFlags();
        var command = new Command("attest", "Sign an in-toto attestation (DSSE, dsse entry) and write a bundle v0.3") { file, predicate, predicateType, statement };
        flags.AddTo(command);
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
                payload = SigningServices.Statement(subject, parse.GetValue(predicateType)!, predicateFile);
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

    /// <summary>The signer flags shared by sign-blob and attest.</summary>
    private sealed class SignerFlags
    {
        private readonly Option<FileInfo?> _bundle = new("--bundle") { Description = "Where to write the bundle (default: FILE.sigstore.json)" };
        private readonly Option<string?> _key = new("--key") { Description = "PEM private key file, or pkcs11:token=LABEL;object=KEY (PSIG_PKCS11_MODULE, PSIG_PKCS11_PIN)" };
        private readonly Option<string?> _token = new("--identity-token") { Description = "OIDC identity token for keyless signing" };
        private readonly Option<string?> _oidcIssuer = new("--oidc-issuer") { Description = "OIDC issuer to get a token from by client credentials" };
        private readonly Option<string?> _clientId = new("--oidc-client-id") { Description = "OIDC client ID" };
        private readonly Option<string?> _clientSecret = new("--oidc-client-secret") { Description = "OIDC client secret (or PSIG_OIDC_CLIENT_SECRET)" };
        private readonly Option<string?> _fulcio = new("--fulcio-url") { Description = "Fulcio URL (keyless)" };
        private readonly Option<string?> _rekor = new("--rekor-url") { Description = "Rekor v1 URL" };
        private readonly Option<FileInfo?> _signingConfig = new("--signing-config") { Description = "signing_config.json naming the CA and Rekor" };

        public void AddTo(Command command)
        {
            foreach (var option in new Option[] { _bundle, _key, _token, _oidcIssuer, _clientId, _clientSecret, _fulcio, _rekor, _signingConfig })
            {
                command.Options.Add(option);
            }
        }

        public async Task<int> RunAsync(CliConsole console, ParseResult parse, FileInfo input, byte[]? statement, CancellationToken ct)
        {
            var services = SigningServices.Resolve(parse.GetValue(_signingConfig), parse.GetValue(_fulcio), parse.GetValue(_rekor));
            var bundle = parse.GetValue(_bundle) ?? new FileInfo(input.FullName + ".sigstore.json");
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
                    if (parse.GetValue(_token) is not null || parse.GetValue(_oidcIssuer) is not null)
                    {
                        throw new UsageException("--key cannot be combined with --identity-token or --oidc-issuer");
                    }
                    var (signingKey, token) = SigningServices.LoadKey(key, Environment.GetEnvironmentVariable("PSIG_KEY_PASSWORD"));
                    using (token)
                    using (signingKey)
                    {
                        return await SigningServices.SignAsync(console, services, new SignerMaterial(signingKey), source, bundle, statement is not null, ct).ConfigureAwait(false);
                    }
                }
                var identityToken = await IdentityTokenAsync(console, parse, ct).ConfigureAwait(false);
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

        private async Task<string?> IdentityTokenAsync(CliConsole console, ParseResult parse, CancellationToken ct)
        {
            if (parse.GetValue(_token) is { } token)
            {
                return token;
            }
            if (parse.GetValue(_oidcIssuer) is not { } issuer)
            {
                throw new UsageException("give --key, --identity-token, or --oidc-issuer with --oidc-client-id and --oidc-client-secret");
            }
            var clientId = parse.GetValue(_clientId) ?? throw new UsageException("--oidc-issuer needs --oidc-client-id");
            var secret = parse.GetValue(_clientSecret) ?? Environment.GetEnvironmentVariable("PSIG_OIDC_CLIENT_SECRET")
                ?? throw new UsageException("--oidc-issuer needs --oidc-client-secret or PSIG_OIDC_CLIENT_SECRET");
            try
            {
                return await new OidcClientCredentials(SigningServices.HttpClient).GetTokenAsync(new Uri(issuer), clientId, secret, cancellationToken: ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is InvalidOperationException or HttpRequestException or UriFormatException)
            {
                await console.Error.WriteLineAsync("Error: getting an identity token: " + e.Message).ConfigureAwait(false);
                return null;
            }
        }
    }
}
