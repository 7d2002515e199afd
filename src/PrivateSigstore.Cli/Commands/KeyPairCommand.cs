using System.CommandLine;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Pkcs11;

namespace PrivateSigstore.Cli.Commands;

/// <summary>
/// <c>psig generate-key-pair</c>, as cosign's: an ECDSA P-256 key pair, the private key as an encrypted PEM
/// (<c>ENCRYPTED PRIVATE KEY</c>, PKCS#8 PBES2: PBKDF2-HMAC-SHA256 + AES-256-CBC, which <c>--key</c> reads) and the
/// public key as PEM; or, with <c>--pkcs11</c>, a key generated inside a token and only its public key written.
/// Existing files are never overwritten.
/// </summary>
internal static class KeyPairCommand
{
    public const string PasswordVariable = "PSIG_KEY_PASSWORD";

    public static Command Create(CliConsole console)
    {
        var prefix = new Option<string>("--output-key-prefix") { Description = "Write PREFIX.key and PREFIX.pub", DefaultValueFactory = _ => "cosign" };
        var pkcs11 = new Option<string?>("--pkcs11") { Description = "Generate the key inside a PKCS#11 token instead: pkcs11:token=LABEL;object=KEYLABEL (PSIG_PKCS11_MODULE, PSIG_PKCS11_PIN); only PREFIX.pub is written" };
        var command = new Command("generate-key-pair", $"Generate an ECDSA P-256 key pair for psig sign-blob/attest --key: PREFIX.key (encrypted PEM; the password from {PasswordVariable}, else asked on the terminal) and PREFIX.pub")
        {
            prefix, pkcs11,
        };
        command.SetAction(async (parse, ct) =>
        {
            var keyPath = Path.GetFullPath(parse.GetValue(prefix) + ".key");
            var pubPath = Path.GetFullPath(parse.GetValue(prefix) + ".pub");
            var uri = parse.GetValue(pkcs11);
            foreach (var path in uri is null ? new[] { keyPath, pubPath } : [pubPath])
            {
                if (File.Exists(path))
                {
                    throw new UsageException($"{path} already exists; refusing to overwrite it (remove it, or choose another --output-key-prefix)");
                }
            }
            byte[] spki;
            if (uri is not null)
            {
                var (options, label) = SigningServices.Pkcs11Uri(uri);
                try
                {
                    using var token = SigningServices.OpenToken(options);
                    using var key = token.GenerateKey(label, SigningAlgorithm.EcdsaP256Sha256);
                    spki = key.SubjectPublicKeyInfo;
                }
                catch (KeyConfigurationException e)
                {
                    throw new UsageException("--pkcs11", e);
                }
                await console.Error.WriteLineAsync($"Generated an ECDSA P-256 key \"{label}\" inside the PKCS#11 token; sign with --key \"{uri}\"").ConfigureAwait(false);
            }
            else
            {
                var password = Password(console, confirm: true)
                    ?? throw new UsageException($"no password for the private key: set {PasswordVariable} (it may be empty), or run psig on a terminal");
                try
                {
                    using var key = PemSigningKey.CreateNew(keyPath, SigningAlgorithm.EcdsaP256Sha256, password);
                    spki = key.SubjectPublicKeyInfo;
                }
                catch (KeyConfigurationException e)
                {
                    throw new UsageException(e.Message);
                }
                await console.Error.WriteLineAsync($"Private key written to {keyPath}").ConfigureAwait(false);
            }
            await File.WriteAllTextAsync(pubPath, GoPem.EncodePublicKey(spki), ct).ConfigureAwait(false);
            await console.Error.WriteLineAsync($"Public key written to {pubPath}").ConfigureAwait(false);
            return ExitCodes.Verified;
        });
        return command;
    }

    /// <summary>
    /// The key password: <c>PSIG_KEY_PASSWORD</c> when set (even empty), else asked on the terminal (twice when
    /// <paramref name="confirm"/>), else null (no terminal).
    /// </summary>
    public static string? Password(CliConsole console, bool confirm)
    {
        if (Environment.GetEnvironmentVariable(PasswordVariable) is { } fromEnvironment)
        {
            return fromEnvironment;
        }
        if (!console.IsInteractive || Console.IsInputRedirected)
        {
            return null;
        }
        var first = Prompt(console, "Enter password for private key: ");
        if (confirm && Prompt(console, "Enter password for private key again: ") != first)
        {
            throw new UsageException("the passwords do not match");
        }
        return first;
    }

    private static string Prompt(CliConsole console, string text)
    {
        console.Error.Write(text);
        var password = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }
            if (key.Key == ConsoleKey.Backspace)
            {
                if (password.Length > 0)
                {
                    password.Length--;
                }
            }
            else if (!char.IsControl(key.KeyChar))
            {
                password.Append(key.KeyChar);
            }
        }
        console.Error.WriteLine();
        return password.ToString();
    }
}
