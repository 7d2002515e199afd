using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Fulcio.Issuance;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Pkcs11;

namespace PrivateSigstore.Fulcio.Ca;

/// <summary>
/// The CA admin commands (<c>PrivateSigstore.Fulcio ca init-token|ceremony|import-chain</c>). Exit codes: 0 done, 1 failed, 2 usage error.
/// </summary>
public static class CaCommands
{
    private const string Usage = """
        usage:
          ca init-token --token-label <label> (--pin-file <path> | --pin-env <VAR>) (--so-pin-file <path> | --so-pin-env <VAR>)
                      [--module <path>]
              Initialises the module's free token (SoftHSM2; for a hardware HSM use the vendor's tool) with the label, the
              security officer PIN and the user PIN, through PKCS#11: the PINs never appear on a command line (softhsm2-util
              takes them only as arguments or from a terminal).
          ca ceremony --token-label <label> (--pin-file <path> | --pin-env <VAR>) --out <chain.pem>
                      [--module <path>] [--root-token-label <label> (--root-pin-file <path> | --root-pin-env <VAR>)]
                      [--root-label privatesigstore-root] [--intermediate-label privatesigstore-intermediate]
                      [--algorithm ecdsa-p256|ecdsa-p384|ecdsa-p521|rsa-3072|rsa-4096] (intermediate, default ecdsa-p256)
                      [--root-algorithm <same choices>] (default ecdsa-p384)
                      [--organization <O>] [--root-cn <CN>] [--intermediate-cn <CN>] [--root-years 10] [--intermediate-years 3]
              Generates the root and intermediate keys inside the token(s) (non-extractable), self-signs the root, issues the
              intermediate, stores both certificates in the token and writes the chain (intermediate, root) to --out.
          ca import-chain --chain <chain.pem> --token-label <label> --key-label <label> (--pin-file <path> | --pin-env <VAR>)
                      [--module <path>] [--out <chain.pem>]
              Checks an existing chain (issuing certificate first, root last) against the key in the token, stores the
              certificates in the token, and writes the checked chain to --out.
        """;

    /// <summary>Runs a command; returns the process exit code.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        Dictionary<string, string> options;
        try
        {
            options = ParseOptions(args.Skip(1));
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"error: {e.Message}");
            error.WriteLine(Usage);
            return 2;
        }

        try
        {
            return args.FirstOrDefault() switch
            {
                "init-token" => InitToken(options, output),
                "ceremony" => Ceremony(options, output),
                "import-chain" => ImportChain(options, output),
                _ => throw new ArgumentException(args.Length == 0 ? "missing command" : $"unknown command '{args[0]}'"),
            };
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"error: {e.Message}");
            error.WriteLine(Usage);
            return 2;
        }
        catch (Exception e) when (e is KeyConfigurationException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            error.WriteLine($"failed: {e.Message}");
            return 1;
        }
    }

    /// <summary>Initialises a token with PINs read from files or the environment.</summary>
    private static int InitToken(Dictionary<string, string> o, TextWriter output)
    {
        var user = TokenOptions(o, "token-label", "pin-file", "pin-env");
        if (Optional(o, "so-pin-file") is null && Optional(o, "so-pin-env") is null)
        {
            throw new ArgumentException("--so-pin-file or --so-pin-env is required (the PIN is never taken from the command line)");
        }

        var securityOfficer = new Pkcs11Options { PinFile = Optional(o, "so-pin-file"), PinEnvironmentVariable = Optional(o, "so-pin-env") };
        Pkcs11Token.InitializeToken(user.ModulePath, user.TokenLabel!, securityOfficer.ResolvePin(), user.ResolvePin());
        output.WriteLine($"initialised token '{user.TokenLabel}' in {user.ModulePath}");
        return 0;
    }

    /// <summary>The key ceremony: root and intermediate keys generated in the HSM, the chain written out.</summary>
    private static int Ceremony(Dictionary<string, string> o, TextWriter output)
    {
        string outPath = Required(o, "out");
        var algorithm = ParseAlgorithm(Optional(o, "algorithm") ?? "ecdsa-p256", out int rsaBits);
        var rootAlgorithm = ParseAlgorithm(Optional(o, "root-algorithm") ?? "ecdsa-p384", out int rootRsaBits);
        string rootLabel = Optional(o, "root-label") ?? "privatesigstore-root";
        string intermediateLabel = Optional(o, "intermediate-label") ?? "privatesigstore-intermediate";
        string organization = Optional(o, "organization") ?? "PrivateSigstore";
        int rootYears = Int(o, "root-years", 10);
        int intermediateYears = Int(o, "intermediate-years", 3);
        if (intermediateYears > rootYears)
        {
            throw new ArgumentException("--intermediate-years must not exceed --root-years (the intermediate cannot outlive the root)");
        }

        if (File.Exists(outPath))
        {
            throw new ArgumentException($"--out '{outPath}' already exists; the ceremony never overwrites a chain");
        }

        using var token = Pkcs11Token.Open(TokenOptions(o, "token-label", "pin-file", "pin-env"));
        using var rootToken = Optional(o, "root-token-label") is null ? null : Pkcs11Token.Open(TokenOptions(o, "root-token-label", "root-pin-file", "root-pin-env"));
        var rootHome = rootToken ?? token;
        output.WriteLine($"1/4 generating root key '{rootLabel}' ({rootAlgorithm}) in token '{rootHome.Label}' (non-extractable)");
        using var rootKey = rootHome.GenerateKey(rootLabel, rootAlgorithm, rootRsaBits);
        output.WriteLine($"2/4 generating intermediate key '{intermediateLabel}' ({algorithm}) in token '{token.Label}' (non-extractable)");
        using var intermediateKey = token.GenerateKey(intermediateLabel, algorithm, rsaBits);
        output.WriteLine("3/4 self-signing the root and issuing the intermediate (EKU codeSigning, path length 0)");
        var now = DateTimeOffset.UtcNow;
        var (root, intermediate) = CaCertificates.CreateChain(
            rootKey,
            intermediateKey,
            Optional(o, "root-cn") ?? $"{organization} Root CA",
            Optional(o, "intermediate-cn") ?? $"{organization} Intermediate CA",
            organization,
            now,
            now.AddYears(rootYears),
            now.AddYears(intermediateYears));
        using var rootDisposer = root;
        using var intermediateDisposer = intermediate;
        rootHome.StoreCertificate(rootLabel, root.RawData);
        token.StoreCertificate(intermediateLabel, intermediate.RawData);
        CertificateAuthority.WriteChain(outPath, [intermediate, root]);
        string rootPem = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(outPath))!, Path.GetFileNameWithoutExtension(outPath) + ".root.pem");
        File.WriteAllText(rootPem, GoPem.Encode("CERTIFICATE", root.RawData));
        output.WriteLine($"4/4 wrote the chain to {Path.GetFullPath(outPath)} and the root to {rootPem}");
        output.WriteLine();
        WriteSummary(output, root, intermediate, token.Label, intermediateLabel, algorithm, outPath);
        if (rootToken is not null)
        {
            output.WriteLine($"The root key stays in token '{rootToken.Label}': take that token offline now.");
        }

        return 0;
    }

    /// <summary>Checks an existing chain against the HSM key and stores it.</summary>
    private static int ImportChain(Dictionary<string, string> o, TextWriter output)
    {
        string chainPath = Required(o, "chain");
        string keyLabel = Required(o, "key-label");
        string outPath = Optional(o, "out") ?? chainPath;
        var chain = CertificateAuthority.ReadChain(chainPath);
        using var token = Pkcs11Token.Open(TokenOptions(o, "token-label", "pin-file", "pin-env"));
        var key = token.GetKey(keyLabel);
        using var ca = CertificateAuthority.Create(key, chain);
        token.StoreCertificate(keyLabel, ca.Issuer.RawData);
        if (!string.Equals(Path.GetFullPath(outPath), Path.GetFullPath(chainPath), StringComparison.Ordinal))
        {
            CertificateAuthority.WriteChain(outPath, ca.Chain);
        }

        output.WriteLine($"chain checked: {ca.Issuer.Subject} → {ca.Root.Subject}; the issuing key '{keyLabel}' in token '{token.Label}' matches");
        output.WriteLine();
        WriteSummary(output, ca.Root, ca.Issuer, token.Label, keyLabel, key.Algorithm, outPath);
        return 0;
    }

    private static void WriteSummary(TextWriter output, X509Certificate2 root, X509Certificate2 intermediate, string tokenLabel, string keyLabel, SigningAlgorithm algorithm, string chainPath)
    {
        output.WriteLine($"root:         {root.Subject}  (SHA-256 {root.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256)})");
        output.WriteLine($"              valid {root.NotBefore.ToUniversalTime():u} to {root.NotAfter.ToUniversalTime():u}");
        output.WriteLine($"intermediate: {intermediate.Subject}");
        output.WriteLine($"              valid {intermediate.NotBefore.ToUniversalTime():u} to {intermediate.NotAfter.ToUniversalTime():u}");
        output.WriteLine();
        output.WriteLine("Configure the CA with (environment variables; the PIN comes from a file or a variable, never from appsettings):");
        output.WriteLine($"  Fulcio__Key__Provider=Pkcs11");
        output.WriteLine($"  Fulcio__Key__KeyLabel={keyLabel}");
        output.WriteLine($"  Fulcio__Key__Algorithm={algorithm}");
        output.WriteLine($"  Fulcio__Key__Pkcs11__TokenLabel={tokenLabel}");
        output.WriteLine($"  Fulcio__Key__Pkcs11__PinFile=<path of the PIN file>");
        output.WriteLine($"  Fulcio__ChainPath={Path.GetFullPath(chainPath)}");
    }

    private static Pkcs11Options TokenOptions(Dictionary<string, string> o, string labelName, string pinFileName, string pinEnvName)
    {
        var options = new Pkcs11Options { TokenLabel = Required(o, labelName), PinFile = Optional(o, pinFileName), PinEnvironmentVariable = Optional(o, pinEnvName) };
        if (Optional(o, "module") is { } module)
        {
            options.ModulePath = module;
        }

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
                // Ed25519 CAs are refused on purpose: sigstore-python verifies only ECDSA and RSA issuers.
                throw new ArgumentException($"algorithm '{value}' is not one of ecdsa-p256, ecdsa-p384, ecdsa-p521, rsa-3072, rsa-4096");
        }
    }

    private static Dictionary<string, string> ParseOptions(IEnumerable<string> args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            string arg = e.Current;
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                throw new ArgumentException($"unexpected argument '{arg}'");
            }

            string name = arg[2..];
            string value;
            int eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                value = name[(eq + 1)..];
                name = name[..eq];
            }
            else
            {
                value = e.MoveNext() ? e.Current : throw new ArgumentException($"--{name} needs a value");
            }

            if (!options.TryAdd(name, value))
            {
                throw new ArgumentException($"--{name} is given twice");
            }
        }

        return options;
    }

    private static string Required(Dictionary<string, string> o, string name) =>
        o.TryGetValue(name, out var v) && v.Length > 0 ? v : throw new ArgumentException($"--{name} is required");

    private static string? Optional(Dictionary<string, string> o, string name) =>
        o.TryGetValue(name, out var v) && v.Length > 0 ? v : null;

    private static int Int(Dictionary<string, string> o, string name, int fallback) =>
        Optional(o, name) is not { } v ? fallback
        : int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is > 0 and <= 100 ? n
        : throw new ArgumentException($"--{name} must be a whole number of years between 1 and 100");
}
