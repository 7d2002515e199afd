using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Fulcio.Ca;
using PrivateSigstore.Fulcio.Issuance;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Pkcs11;

namespace PrivateSigstore.Stack;

/// <summary>
/// The stack's keys in a SoftHSM2 token of its own (DESIGN: keys in an HSM when the module is present): the token lives in
/// <c>data/softhsm/tokens</c>, its PIN in <c>data/softhsm/pin</c> (0600). On first start the token is initialised and the
/// CA root, CA intermediate, CT log, Rekor and identity keys are generated inside it (non-extractable); the CA chain is
/// written to <c>data/fulcio/ca-chain.pem</c>. Each service then opens its key by label.
/// </summary>
internal sealed partial class StackKeys
{
    public const string ModulePath = "/usr/lib/softhsm/libsofthsm2.so";
    public const string TokenLabel = "privatesigstore";
    private static readonly Lock ConfigGate = new();
    private static string? s_configuredFor;

    private readonly string _pinPath;

    private StackKeys(string pinPath) => _pinPath = pinPath;

    /// <summary>Whether SoftHSM2 (its PKCS#11 module) is installed.</summary>
    public static bool SoftHsmAvailable => OperatingSystem.IsLinux() && File.Exists(ModulePath);

    /// <summary>Settings that make a service open <paramref name="label"/> from the stack's token.</summary>
    public SigningKeyOptions KeyOptions(string label) => KeyOptions(label, label switch
    {
        "fulcio-root" => SigningAlgorithm.EcdsaP384Sha384,
        "rekor-v2" => SigningAlgorithm.Ed25519,
        _ => SigningAlgorithm.EcdsaP256Sha256,
    });

    /// <summary>Settings that make a service open the <paramref name="algorithm"/> key <paramref name="label"/> from the stack's token.</summary>
    public SigningKeyOptions KeyOptions(string label, SigningAlgorithm algorithm) => new()
    {
        Provider = "Pkcs11",
        KeyLabel = label,
        Algorithm = algorithm,
        Pkcs11 = new Pkcs11Options { ModulePath = ModulePath, TokenLabel = TokenLabel, PinFile = _pinPath },
    };

    /// <summary>Whether the stack under <paramref name="dataDirectory"/> keeps its keys in its SoftHSM2 token (made at its first start).</summary>
    public static bool IsHardwareBacked(string dataDirectory) => File.Exists(Path.Combine(dataDirectory, "softhsm", "pin"));

    /// <summary>Opens the stack's existing token (configuring SoftHSM2 for this process), for admin tasks such as a key rotation.</summary>
    public static Pkcs11Token OpenToken(string dataDirectory)
    {
        var (_, pinPath) = Configure(dataDirectory);
        return Pkcs11Token.Open(new Pkcs11Options { ModulePath = ModulePath, TokenLabel = TokenLabel, PinFile = pinPath });
    }

    // SoftHSM2 reads its configuration when the module is first loaded: once per process, for one data directory.
    private static (string Conf, string PinPath) Configure(string dataDirectory)
    {
        string dir = Directory.CreateDirectory(Path.Combine(dataDirectory, "softhsm")).FullName;
        string tokens = Directory.CreateDirectory(Path.Combine(dir, "tokens")).FullName;
        string conf = Path.Combine(dir, "softhsm2.conf");
        lock (ConfigGate)
        {
            if (s_configuredFor is not null && s_configuredFor != conf)
            {
                throw new InvalidOperationException($"SoftHSM2 is already configured for {s_configuredFor} in this process; one stack per process can keep its keys in SoftHSM");
            }

            File.WriteAllText(conf, $"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");
            Environment.SetEnvironmentVariable("SOFTHSM2_CONF", conf);
            if (NativeMethods.setenv("SOFTHSM2_CONF", conf, 1) != 0)
            {
                throw new InvalidOperationException("setenv(SOFTHSM2_CONF) failed");
            }

            s_configuredFor = conf;
        }

        return (conf, Path.Combine(dir, "pin"));
    }

    /// <summary>
    /// Prepares the token under <paramref name="dataDirectory"/>: configures SoftHSM2 for this process (once per process: the
    /// module reads its configuration when it is first loaded), initialises the token on first start, creates missing keys
    /// and the CA chain. Returns the public keys of the CT log and Rekor keys in use (<paramref name="ctLabel"/> and
    /// <paramref name="rekorLabel"/>: after a rotation, the keys of the current generation).
    /// </summary>
    public static StackKeys Prepare(string dataDirectory, string fulcioDirectory, string ctLabel, string rekorLabel, out byte[] ctSpki, out byte[] rekorSpki)
    {
        var (_, pinPath) = Configure(dataDirectory);
        if (!File.Exists(pinPath))
        {
            string pin = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            string soPin = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            // Initialised through PKCS#11 in this process: softhsm2-util would take the PINs as arguments, visible to every
            // user in the process list (issue 20, finding 9).
            Pkcs11Token.InitializeToken(ModulePath, TokenLabel, soPin, pin);
            WriteSecret(pinPath, pin);
            WriteSecret(Path.Combine(Path.GetDirectoryName(pinPath)!, "so-pin"), soPin);
        }

        using var token = Pkcs11Token.Open(new Pkcs11Options { ModulePath = ModulePath, TokenLabel = TokenLabel, PinFile = pinPath });
        ISigningKey Key(string label, SigningAlgorithm algorithm) => token.HasKey(label) ? token.GetKey(label) : token.GenerateKey(label, algorithm);
        using var root = Key("fulcio-root", SigningAlgorithm.EcdsaP384Sha384);
        using var intermediate = Key("fulcio-intermediate", SigningAlgorithm.EcdsaP256Sha256);
        using var ct = Key("ctlog", SigningAlgorithm.EcdsaP256Sha256);
        using var rekor = Key("rekor", SigningAlgorithm.EcdsaP256Sha256);
        Key("identity", SigningAlgorithm.EcdsaP256Sha256).Dispose();
        // Rekor v2's checkpoint key: Ed25519 (CKM_EDDSA), as witnesses expect C2SP Ed25519 note signatures.
        Key("rekor-v2", SigningAlgorithm.Ed25519).Dispose();
        ctSpki = ctLabel == "ctlog" ? ct.SubjectPublicKeyInfo : PublicKeyOf(token, ctLabel);
        rekorSpki = rekorLabel == "rekor" ? rekor.SubjectPublicKeyInfo : PublicKeyOf(token, rekorLabel);

        string chainPath = Path.Combine(fulcioDirectory, CaLoader.DevChainFile);
        if (!File.Exists(chainPath))
        {
            var now = DateTimeOffset.UtcNow;
            var (rootCert, intermediateCert) = CaCertificates.CreateChain(
                root, intermediate, "PrivateSigstore stack root", "PrivateSigstore stack intermediate", "PrivateSigstore (embedded stack, SoftHSM2)",
                now.AddMinutes(-5), now.AddYears(10), now.AddYears(5));
            using var rootDisposer = rootCert;
            using var intermediateDisposer = intermediateCert;
            token.StoreCertificate("fulcio-root", rootCert.RawData);
            token.StoreCertificate("fulcio-intermediate", intermediateCert.RawData);
            CertificateAuthority.WriteChain(chainPath, [intermediateCert, rootCert]);
        }

        // The timestamp authority: a root and a TSA key in the token, the chain (leaf with the critical timeStamping EKU)
        // in the data directory, made once as `PrivateSigstore.Timestamp ceremony` would.
        string tsaChainPath = TsaChainPath(dataDirectory);
        using var tsaKey = Key("tsa", SigningAlgorithm.EcdsaP256Sha256);
        if (!File.Exists(tsaChainPath))
        {
            using var tsaRootKey = Key("tsa-root", SigningAlgorithm.EcdsaP384Sha384);
            var now = DateTimeOffset.UtcNow;
            const string Organization = "PrivateSigstore (embedded stack, SoftHSM2)";
            using var tsaRoot = Timestamp.TsaCertificates.CreateRoot(tsaRootKey, "PrivateSigstore stack TSA root", Organization, now.AddMinutes(-5), now.AddYears(10));
            using var tsaLeaf = Timestamp.TsaCertificates.CreateLeaf(tsaKey.SubjectPublicKeyInfo, "PrivateSigstore stack TSA", Organization, tsaRoot, tsaRootKey, now.AddMinutes(-5), now.AddYears(5));
            Directory.CreateDirectory(Path.GetDirectoryName(tsaChainPath)!);
            File.WriteAllText(tsaChainPath, Core.Pem.GoPem.Encode("CERTIFICATE", tsaLeaf.RawData) + Core.Pem.GoPem.Encode("CERTIFICATE", tsaRoot.RawData));
        }

        return new StackKeys(pinPath);
    }

    private static byte[] PublicKeyOf(Pkcs11Token token, string label)
    {
        using var key = token.GetKey(label);
        return key.SubjectPublicKeyInfo;
    }

    /// <summary>Where the stack keeps the TSA chain when its keys are in the token.</summary>
    public static string TsaChainPath(string dataDirectory) => Path.Combine(dataDirectory, "tsa", "tsa-chain.pem");

    private static void WriteSecret(string path, string value)
    {
        using (File.Create(path))
        {
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.WriteAllText(path, value);
    }

    private static partial class NativeMethods
    {
        [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int setenv(string name, string value, int overwrite);
    }
}
