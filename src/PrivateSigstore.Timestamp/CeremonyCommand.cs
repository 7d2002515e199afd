using System.Globalization;
using System.Security.Cryptography;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Timestamp;

/// <summary>
/// The TSA key ceremony (<c>PrivateSigstore.Timestamp ceremony ...</c>), after Fulcio's <c>ca ceremony</c>: the root
/// and TSA keys generated inside the token (non-extractable), the root self-signed, the TSA certificate issued with a
/// critical timeStamping EKU, both stored in the token, and the chain written. Never overwrites a file or a key; never
/// takes the PIN on the command line. Exit codes: 0 done, 1 failed, 2 usage error.
/// </summary>
public static class CeremonyCommand
{
    private const string Usage = """
        usage:
          ceremony --token-label <label> (--pin-file <path> | --pin-env <VAR>) --out <chain.pem>
                   [--module /usr/lib/softhsm/libsofthsm2.so]
                   [--root-token-label <label> (--root-pin-file <path> | --root-pin-env <VAR>)]
                   [--root-label privatesigstore-tsa-root] [--key-label privatesigstore-tsa]
                   [--algorithm ecdsa-p256|ecdsa-p384|ecdsa-p521|rsa-3072|rsa-4096] (TSA key, default ecdsa-p256)
                   [--root-algorithm <same choices>] (default ecdsa-p384)
                   [--organization <O>] [--root-cn <CN>] [--cn <CN>] [--root-years 10] [--years 5]
              Generates the root and TSA keys inside the token(s), self-signs the root, issues the TSA certificate
              (EKU timeStamping, critical), stores both certificates in the token, and writes the chain (TSA certificate,
              root) to --out and the root alone to <out>.root.pem.
        """;

    /// <summary>Runs the command; returns the process exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        try
        {
            return Ceremony(ParseOptions(args), output);
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"error: {e.Message}");
            error.WriteLine(Usage);
            return 2;
        }
        catch (Exception e) when (e is KeyConfigurationException or IOException or UnauthorizedAccessException or InvalidOperationException or CryptographicException)
        {
            error.WriteLine($"failed: {e.Message}");
            return 1;
        }
    }

    private static readonly HashSet<string> Known = new(StringComparer.Ordinal)
    {
        "token-label", "pin-file", "pin-env", "out", "module", "root-token-label", "root-pin-file", "root-pin-env",
        "root-label", "key-label", "algorithm", "root-algorithm", "organization", "root-cn", "cn", "root-years", "years",
    };

    private static int Ceremony(Dictionary<string, string> o, TextWriter output)
    {
        if (o.Keys.FirstOrDefault(k => !Known.Contains(k)) is { } unknown) throw new ArgumentException($"unknown option --{unknown}");
        var outPath = Path.GetFullPath(Required(o, "out"));
        var rootPemPath = Path.Combine(Path.GetDirectoryName(outPath)!, Path.GetFileNameWithoutExtension(outPath) + ".root.pem");
        var algorithm = ParseAlgorithm(Optional(o, "algorithm") ?? "ecdsa-p256", out var rsaBits);
        var rootAlgorithm = ParseAlgorithm(Optional(o, "root-algorithm") ?? "ecdsa-p384", out var rootRsaBits);
        var rootLabel = Optional(o, "root-label") ?? "privatesigstore-tsa-root";
        var keyLabel = Optional(o, "key-label") ?? "privatesigstore-tsa";
        var organization = Optional(o, "organization") ?? "PrivateSigstore";
        var rootYears = Years(o, "root-years", 10);
        var years = Years(o, "years", 5);
        if (years > rootYears) throw new ArgumentException("--years must not exceed --root-years (the TSA certificate cannot outlive the root)");
        // The ceremony never overwrites: an existing chain may already be published in a trusted root.
        if (File.Exists(outPath)) throw new ArgumentException($"--out '{outPath}' already exists; the ceremony never overwrites a chain");
        if (File.Exists(rootPemPath)) throw new ArgumentException($"'{rootPemPath}' already exists; the ceremony never overwrites a root");

        using var token = Pkcs11Token.Open(TokenOptions(o, "token-label", "pin-file", "pin-env"));
        using var rootToken = Optional(o, "root-token-label") is null ? null : Pkcs11Token.Open(TokenOptions(o, "root-token-label", "root-pin-file", "root-pin-env"));
        var rootHome = rootToken ?? token;
        // Nor does it replace a key: check both labels before generating anything.
        if (rootHome.HasKey(rootLabel)) throw new InvalidOperationException($"token '{rootHome.Label}' already holds a key labelled '{rootLabel}'; choose another --root-label");
        if (token.HasKey(keyLabel)) throw new InvalidOperationException($"token '{token.Label}' already holds a key labelled '{keyLabel}'; choose another --key-label");

        output.WriteLine($"1/4 generating root key '{rootLabel}' ({rootAlgorithm}) in token '{rootHome.Label}' (non-extractable)");
        using var rootKey = rootHome.GenerateKey(rootLabel, rootAlgorithm, rootRsaBits);
        output.WriteLine($"2/4 generating TSA key '{keyLabel}' ({algorithm}) in token '{token.Label}' (non-extractable)");
        using var tsaKey = token.GenerateKey(keyLabel, algorithm, rsaBits);
        output.WriteLine("3/4 self-signing the root and issuing the TSA certificate (EKU timeStamping, critical)");
        var now = DateTimeOffset.UtcNow;
        using var root = TsaCertificates.CreateRoot(rootKey, Optional(o, "root-cn") ?? $"{organization} TSA Root", organization, now, now.AddYears(rootYears));
        using var leaf = TsaCertificates.CreateLeaf(tsaKey.SubjectPublicKeyInfo, Optional(o, "cn") ?? $"{organization} Timestamp Authority", organization, root, rootKey, now, now.AddYears(years));
        TsaCredentials.Check([leaf, root], tsaKey, "the new chain");
        rootHome.StoreCertificate(rootLabel, root.RawData);
        token.StoreCertificate(keyLabel, leaf.RawData);
        Directory.CreateDirectory(Path.GetDirectoryName(outPath)!);
        using (var chainFile = new FileStream(outPath, FileMode.CreateNew, FileAccess.Write))
        using (var writer = new StreamWriter(chainFile))
        {
            writer.Write(GoPem.EncodeCertificates([leaf.RawData, root.RawData]));
        }
        using (var rootFile = new FileStream(rootPemPath, FileMode.CreateNew, FileAccess.Write))
        using (var writer = new StreamWriter(rootFile))
        {
            writer.Write(GoPem.Encode("CERTIFICATE", root.RawData));
        }
        output.WriteLine($"4/4 wrote the chain to {outPath} and the root to {rootPemPath}");
        output.WriteLine();
        output.WriteLine($"root:  {root.Subject}  (SHA-256 {root.GetCertHashString(HashAlgorithmName.SHA256)})");
        output.WriteLine($"       valid {root.NotBefore.ToUniversalTime():u} to {root.NotAfter.ToUniversalTime():u}");
        output.WriteLine($"TSA:   {leaf.Subject}");
        output.WriteLine($"       valid {leaf.NotBefore.ToUniversalTime():u} to {leaf.NotAfter.ToUniversalTime():u}");
        output.WriteLine();
        output.WriteLine("Configure the TSA with (environment variables; the PIN comes from a file or a variable, never from appsettings):");
        output.WriteLine("  Timestamp__Key__Provider=Pkcs11");
        output.WriteLine($"  Timestamp__Key__KeyLabel={keyLabel}");
        output.WriteLine($"  Timestamp__Key__Algorithm={algorithm}");
        output.WriteLine($"  Timestamp__Key__Pkcs11__TokenLabel={token.Label}");
        output.WriteLine("  Timestamp__Key__Pkcs11__PinFile=<path of the PIN file>");
        output.WriteLine($"  Timestamp__CertificateChainPath={outPath}");
        if (rootToken is not null) output.WriteLine($"The root key stays in token '{rootToken.Label}': take that token offline now.");
        return 0;
    }

    private static Pkcs11Options TokenOptions(Dictionary<string, string> o, string labelName, string pinFileName, string pinEnvName)
    {
        var options = new Pkcs11Options { TokenLabel = Required(o, labelName), PinFile = Optional(o, pinFileName), PinEnvironmentVariable = Optional(o, pinEnvName) };
        if (Optional(o, "module") is { } module) options.ModulePath = module;
        if (options.PinFile is null && options.PinEnvironmentVariable is null)
        {
            throw new ArgumentException($"--{pinFileName} or --{pinEnvName} is required (the PIN is never taken from the command line)");
        }
        return options;
    }

    private static SigningAlgorithm ParseAlgorithm(string value, out int rsaBits)
    {
        rsaBits = 3072;
        switch (value.ToLowerInvariant())
        {
            case "ecdsa-p256": return SigningAlgorithm.EcdsaP256Sha256;
            case "ecdsa-p384": return SigningAlgorithm.EcdsaP384Sha384;
            case "ecdsa-p521": return SigningAlgorithm.EcdsaP521Sha512;
            case "rsa-3072": return SigningAlgorithm.RsaPkcs1v15Sha256;
            case "rsa-4096":
                rsaBits = 4096;
                return SigningAlgorithm.RsaPkcs1v15Sha256;
            default:
                throw new ArgumentException($"algorithm '{value}' is not one of ecdsa-p256, ecdsa-p384, ecdsa-p521, rsa-3072, rsa-4096");
        }
    }

    private static Dictionary<string, string> ParseOptions(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2) throw new ArgumentException($"unexpected argument '{arg}'");
            var name = arg[2..];
            string value;
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            else
            {
                value = i + 1 < args.Length ? args[++i] : throw new ArgumentException($"--{name} needs a value");
            }
            // The PIN never comes from the command line (it would sit in shell history and the process list).
            if (name is "pin" or "root-pin" or "so-pin") throw new ArgumentException($"--{name} is not accepted: the PIN comes from --pin-file or --pin-env, never from the command line");
            if (!options.TryAdd(name, value)) throw new ArgumentException($"--{name} is given twice");
        }
        return options;
    }

    private static string Required(Dictionary<string, string> o, string name) =>
        o.TryGetValue(name, out var v) && v.Length > 0 ? v : throw new ArgumentException($"--{name} is required");

    private static string? Optional(Dictionary<string, string> o, string name) =>
        o.TryGetValue(name, out var v) && v.Length > 0 ? v : null;

    private static int Years(Dictionary<string, string> o, string name, int fallback) =>
        Optional(o, name) is not { } v ? fallback
        : int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and <= 100 ? n
        : throw new ArgumentException($"--{name} must be a whole number of years between 1 and 100");
}
