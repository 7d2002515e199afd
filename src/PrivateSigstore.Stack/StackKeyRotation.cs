using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Fulcio.Issuance;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Pkcs11;
using PrivateSigstore.Rekor;
using PrivateSigstore.Timestamp;
using FulcioAuthority = PrivateSigstore.Fulcio.Ca.CertificateAuthority;

namespace PrivateSigstore.Stack;

/// <summary>A service of the stack whose signing key <c>rotate-key</c> can replace.</summary>
public enum RotatableService
{
    /// <summary>Rekor v1's log key (SETs and checkpoints); the tree is kept.</summary>
    Rekor,

    /// <summary>Rekor v2's checkpoint key (Ed25519); the tree is kept.</summary>
    RekorV2,

    /// <summary>The CT log's key (SCTs and tree heads); the tree is kept.</summary>
    CtLog,

    /// <summary>The timestamp authority's key, with a new TSA certificate.</summary>
    Tsa,

    /// <summary>The CA's issuing intermediate: a new key and certificate under the same root.</summary>
    FulcioIntermediate,
}

/// <summary>What one key rotation did.</summary>
/// <param name="Service">The service.</param>
/// <param name="Name">Its name on the command line (<c>rekor</c>, <c>rekor-v2</c>, <c>ctlog</c>, <c>tsa</c>, <c>fulcio-intermediate</c>).</param>
/// <param name="PreviousGeneration">The key generation in use until now (1: the key made at the stack's first start).</param>
/// <param name="Generation">The new key's generation, in use from the next start.</param>
/// <param name="Key">Where the new key is: its PKCS#11 label in the stack's token, or its PEM file.</param>
/// <param name="SubjectPublicKeyInfo">The new public key (DER).</param>
/// <param name="CertificateChainPath">The new certificate chain (CA and TSA), else null.</param>
public sealed record KeyRotation(RotatableService Service, string Name, int PreviousGeneration, int Generation, string Key, byte[] SubjectPublicKeyInfo, string? CertificateChainPath);

/// <summary>
/// Key generations of the stack's services. Generation 1 is the key made at the stack's first start (token label
/// <c>rekor</c>, or the service's development PEM file <c>rekor/rekor-key.pem</c>); a rotation makes generation N+1 (label
/// <c>rekor-g2</c>, file <c>rekor/rekor-key-g2.pem</c>; for the CA and TSA also a chain <c>ca-chain-g2.pem</c> /
/// <c>tsa-chain-g2.pem</c>) and records it in the service's <c>key-generation</c> file, which the next start reads. Old
/// keys are kept (their entries stay in trusted_root.json). Rotations run while the stack is stopped, under its data
/// directory lock.
/// </summary>
public static class StackKeyRotation
{
    private const string GenerationFile = "key-generation";

    private sealed record Spec(string Name, string Directory, string Label, string DevKeyFile, SigningAlgorithm Algorithm, string? ChainFile);

    private static readonly Dictionary<RotatableService, Spec> Specs = new()
    {
        [RotatableService.Rekor] = new("rekor", "rekor", "rekor", "rekor-key.pem", SigningAlgorithm.EcdsaP256Sha256, null),
        [RotatableService.RekorV2] = new("rekor-v2", "rekor-v2", "rekor-v2", "checkpoint-key.pem", SigningAlgorithm.Ed25519, null),
        [RotatableService.CtLog] = new("ctlog", "ctlog", "ctlog", "ctlog-key.pem", SigningAlgorithm.EcdsaP256Sha256, null),
        [RotatableService.Tsa] = new("tsa", "tsa", "tsa", "tsa-key.pem", SigningAlgorithm.EcdsaP256Sha256, "tsa-chain.pem"),
        [RotatableService.FulcioIntermediate] = new("fulcio-intermediate", "fulcio", "fulcio-intermediate", "ca-intermediate-key.pem", SigningAlgorithm.EcdsaP256Sha256, Fulcio.Ca.CaLoader.DevChainFile),
    };

    /// <summary>The names <c>rotate-key</c> accepts, in the order of <see cref="RotatableService"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Enum.GetValues<RotatableService>().Select(s => Specs[s].Name)];

    /// <summary>The service called <paramref name="name"/> on the command line.</summary>
    /// <exception cref="ArgumentException">No rotatable service has that name.</exception>
    public static RotatableService Parse(string name) =>
        Specs.FirstOrDefault(p => p.Value.Name == name) is { Value: not null } found
            ? found.Key
            : throw new ArgumentException($"unknown service '{name}': rotate one of {string.Join(", ", Names)}", nameof(name));

    /// <summary>The key generation <paramref name="service"/> signs with (1 until its first rotation).</summary>
    /// <exception cref="InvalidDataException">The <c>key-generation</c> file is not a positive number.</exception>
    public static int CurrentGeneration(string dataDirectory, RotatableService service)
    {
        string path = Path.Combine(dataDirectory, Specs[service].Directory, GenerationFile);
        if (!File.Exists(path))
        {
            return 1;
        }

        string text = File.ReadAllText(path).Trim();
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int generation) && generation >= 1
            ? generation
            : throw new InvalidDataException($"{path} holds '{text}', not a key generation (a positive number)");
    }

    /// <summary>
    /// Rotates <paramref name="service"/>'s key in the stopped stack under <paramref name="dataDirectory"/>: makes the next
    /// generation's key (in the stack's SoftHSM2 token when it has one, else a PEM file), for the CA a new intermediate
    /// certificate under the same root, for the TSA a new TSA certificate, and makes it current for the next start. That
    /// start rewrites trusted_root.json with the old key ending and the new one starting (<see cref="Core.Trust.TrustedRootHistory"/>).
    /// </summary>
    /// <exception cref="StackStartException">No stack has run there yet, or the stack is running (its lock is held).</exception>
    public static KeyRotation Rotate(string dataDirectory, RotatableService service, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataDirectory);
        string data = Path.GetFullPath(dataDirectory);
        if (!File.Exists(Path.Combine(data, StackHost.TrustedRootFile)))
        {
            throw new StackStartException($"no stack has run with data directory {data} yet (no {StackHost.TrustedRootFile}); start it once, stop it, then rotate");
        }

        using var dataLock = DataDirectoryLock.Acquire(data, "keys are rotated while the stack is stopped: stop it (Ctrl-C) and run rotate-key again");
        var spec = Specs[service];
        int previous = CurrentGeneration(data, service);
        int next = previous + 1;
        var now = (time ?? TimeProvider.System).GetUtcNow();
        bool hsm = StackKeys.IsHardwareBacked(data);
        using var token = hsm ? StackKeys.OpenToken(data) : null;

        // 1. Rekor v1 names its tree after the first key: pin that id before the key changes, so the tree is kept.
        if (service == RotatableService.Rekor)
        {
            using var current = Open(token, data, spec, previous);
            RekorTreeId(Path.Combine(data, spec.Directory), current.SubjectPublicKeyInfo);
        }

        // 2. The new key (a leftover of an interrupted rotation is reused: nothing has used it yet).
        string label = Label(spec, next);
        string keyPath = KeyPath(data, spec, next);
        using var key = token is not null
            ? token.HasKey(label) ? token.GetKey(label) : token.GenerateKey(label, spec.Algorithm)
            : PemSigningKey.LoadOrCreate(keyPath, spec.Algorithm, out _);
        if (key.Algorithm != spec.Algorithm)
        {
            throw new InvalidOperationException($"{key.Description} is a {key.Algorithm} key, but {spec.Name} needs {spec.Algorithm}; remove it and rotate again");
        }

        // 3. Its certificate: the CA's new intermediate under the same root; the TSA's new leaf.
        string? chainPath = spec.ChainFile is null ? null : ChainPath(data, spec, next);
        if (service == RotatableService.FulcioIntermediate)
        {
            NewIntermediate(token, data, spec, previous, key, chainPath!, next, now);
        }
        else if (service == RotatableService.Tsa)
        {
            NewTsaCertificate(token, data, spec, previous, key, chainPath!, next, now);
        }

        // 4. Current from the next start (written last: an interrupted rotation leaves the old generation in use).
        string generationPath = Path.Combine(data, spec.Directory, GenerationFile);
        File.WriteAllText(generationPath + ".tmp", next.ToString(CultureInfo.InvariantCulture) + "\n");
        File.Move(generationPath + ".tmp", generationPath, overwrite: true);
        string where = token is not null ? $"PKCS#11 key '{label}' in token '{StackKeys.TokenLabel}' (SoftHSM2, {Path.Combine(data, "softhsm")})" : $"PEM file {keyPath}";
        return new KeyRotation(service, spec.Name, previous, next, where, key.SubjectPublicKeyInfo, chainPath);
    }

    /// <summary>What the stack's service configures to open <paramref name="service"/>'s current key.</summary>
    internal static SigningKeyOptions KeyOptions(string dataDirectory, RotatableService service, StackKeys? hsm)
    {
        var spec = Specs[service];
        int generation = CurrentGeneration(dataDirectory, service);
        if (hsm is not null)
        {
            return hsm.KeyOptions(Label(spec, generation), spec.Algorithm);
        }

        // Generation 1: the service's own development key (its default path); later ones: the rotated PEM file.
        return generation == 1
            ? new SigningKeyOptions { Algorithm = spec.Algorithm }
            : new SigningKeyOptions { Provider = "PemFile", KeyPath = KeyPath(dataDirectory, spec, generation), Algorithm = spec.Algorithm };
    }

    /// <summary>The PKCS#11 label of <paramref name="service"/>'s current key.</summary>
    internal static string CurrentLabel(string dataDirectory, RotatableService service) => Label(Specs[service], CurrentGeneration(dataDirectory, service));

    /// <summary>The PEM file of <paramref name="service"/>'s current key (keys not in SoftHSM2).</summary>
    internal static string CurrentKeyPath(string dataDirectory, RotatableService service) => KeyPath(dataDirectory, Specs[service], CurrentGeneration(dataDirectory, service));

    /// <summary>The chain the CA or TSA is configured with: null for generation 1 without SoftHSM2 (the service's development chain).</summary>
    internal static string? CurrentChainPath(string dataDirectory, RotatableService service, bool hardwareBacked)
    {
        var spec = Specs[service];
        int generation = CurrentGeneration(dataDirectory, service);
        return spec.ChainFile is null || (generation == 1 && !hardwareBacked) ? null : ChainPath(dataDirectory, spec, generation);
    }

    /// <summary>
    /// Rekor v1's tree id, fixed in <c>rekor/tree-id</c>: the id the first key derives (<see cref="RekorApp.DeriveTreeId"/>),
    /// written the first time it is asked for with <paramref name="firstKey"/>, the key of that time.
    /// </summary>
    internal static long RekorTreeId(string rekorDirectory, byte[] firstKey)
    {
        string path = Path.Combine(rekorDirectory, "tree-id");
        if (File.Exists(path))
        {
            string text = File.ReadAllText(path).Trim();
            return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long id) && id > 0
                ? id
                : throw new InvalidDataException($"{path} holds '{text}', not a tree id (a positive number)");
        }

        long derived = RekorApp.DeriveTreeId(firstKey);
        File.WriteAllText(path, derived.ToString(CultureInfo.InvariantCulture) + "\n");
        return derived;
    }

    private static string Label(Spec spec, int generation) => generation == 1 ? spec.Label : $"{spec.Label}-g{generation}";

    private static string KeyPath(string data, Spec spec, int generation) => Path.Combine(data, spec.Directory, Generational(spec.DevKeyFile, generation));

    private static string ChainPath(string data, Spec spec, int generation) => Path.Combine(data, spec.Directory, Generational(spec.ChainFile!, generation));

    private static string Generational(string file, int generation) =>
        generation == 1 ? file : $"{Path.GetFileNameWithoutExtension(file)}-g{generation}{Path.GetExtension(file)}";

    private static ISigningKey Open(Pkcs11Token? token, string data, Spec spec, int generation) =>
        token?.GetKey(Label(spec, generation)) ?? PemSigningKey.Load(KeyPath(data, spec, generation));

    private static void NewIntermediate(Pkcs11Token? token, string data, Spec spec, int previous, ISigningKey key, string chainPath, int next, DateTimeOffset now)
    {
        var chain = FulcioAuthority.ReadChain(ChainPath(data, spec, previous));
        using var root = chain[^1];
        foreach (var c in chain[..^1]) c.Dispose();
        using var rootKey = token?.GetKey("fulcio-root") ?? PemSigningKey.Load(Path.Combine(data, spec.Directory, "ca-root-key.pem"));
        RequireCertifies(root, rootKey, "the CA root");
        string organization = token is not null ? "PrivateSigstore (embedded stack, SoftHSM2)" : "PrivateSigstore (development, not HSM-backed)";
        string commonName = (token is not null ? "PrivateSigstore stack intermediate" : "PrivateSigstore development intermediate") + $" g{next}";
        using var intermediate = CaCertificates.CreateIntermediate(
            System.Security.Cryptography.X509Certificates.PublicKey.CreateFromSubjectPublicKeyInfo(key.SubjectPublicKeyInfo, out _), commonName, organization, root, rootKey,
            now.AddMinutes(-5), Earliest(now.AddYears(5), root.NotAfter));
        token?.StoreCertificate(Label(spec, next), intermediate.RawData);
        FulcioAuthority.WriteChain(chainPath, [intermediate, root]);
    }

    private static void NewTsaCertificate(Pkcs11Token? token, string data, Spec spec, int previous, ISigningKey key, string chainPath, int next, DateTimeOffset now)
    {
        if (token is not null)
        {
            // The stack's TSA root is in the token: a new leaf under it.
            var chain = TsaCredentials.ReadChain(ChainPath(data, spec, previous));
            var root = chain[^1];
            using var rootKey = token.GetKey("tsa-root");
            RequireCertifies(root, rootKey, "the TSA root");
            using var leaf = TsaCertificates.CreateLeaf(key.SubjectPublicKeyInfo, $"PrivateSigstore stack TSA g{next}", "PrivateSigstore (embedded stack, SoftHSM2)", root, rootKey, now.AddMinutes(-5), Earliest(now.AddYears(5), root.NotAfter));
            File.WriteAllText(chainPath, GoPem.EncodeCertificates([leaf.RawData, root.RawData]));
            foreach (var c in chain) c.Dispose();
            return;
        }

        // Development keys: the TSA's development root key was thrown away when its chain was made, so a new throwaway root.
        using var devRootKey = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
        var start = now.AddMinutes(-5);
        using var devRoot = TsaCertificates.CreateRoot(devRootKey, $"PrivateSigstore Development TSA Root g{next}", "PrivateSigstore Development", start, start.AddYears(10));
        using var devLeaf = TsaCertificates.CreateLeaf(key.SubjectPublicKeyInfo, $"PrivateSigstore Development Timestamp Authority g{next}", "PrivateSigstore Development", devRoot, devRootKey, start, start.AddYears(10));
        File.WriteAllText(chainPath, GoPem.EncodeCertificates([devLeaf.RawData, devRoot.RawData]));
    }

    private static void RequireCertifies(X509Certificate2 certificate, ISigningKey key, string what)
    {
        if (!certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.SubjectPublicKeyInfo))
        {
            throw new InvalidOperationException($"{what} certificate ({certificate.Subject}) does not certify the key {key.Description}; the chain and the keys no longer match");
        }
    }

    private static DateTimeOffset Earliest(DateTimeOffset a, DateTime b)
    {
        var other = new DateTimeOffset(b.ToUniversalTime(), TimeSpan.Zero);
        return a < other ? a : other;
    }
}
