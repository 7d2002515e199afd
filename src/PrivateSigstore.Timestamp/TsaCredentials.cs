using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Timestamp;

/// <summary>
/// The TSA signing key and the chain certifying it (leaf first, root last), checked as upstream
/// <c>pkg/x509 VerifyCertChain</c> checks them. Owns the key.
/// </summary>
public sealed partial class TsaCredentials : IDisposable
{
    private TsaCredentials(ISigningKey key, IReadOnlyList<X509Certificate2> chain)
    {
        Key = key;
        Chain = chain;
        ChainPem = GoPem.EncodeCertificates(chain.Select(c => c.RawData));
    }

    /// <summary>The signing key (PKCS#11, PEM file or the development key).</summary>
    public ISigningKey Key { get; }

    /// <summary>The chain: the TSA leaf first, the root last.</summary>
    public IReadOnlyList<X509Certificate2> Chain { get; }

    /// <summary>The TSA certificate.</summary>
    public X509Certificate2 Leaf => Chain[0];

    /// <summary>The chain as Go writes PEM (what <c>/api/v1/timestamp/certchain</c> serves).</summary>
    public string ChainPem { get; }

    /// <summary>
    /// Opens the configured key and chain; with nothing configured, the development key and a development chain in
    /// <see cref="TimestampOptions.DataDirectory"/> (created once, with a loud warning). Throws
    /// <see cref="InvalidOperationException"/> or <see cref="KeyConfigurationException"/> naming what is wrong.
    /// </summary>
    public static TsaCredentials Open(TimestampOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        var devKeyPath = Path.Combine(options.DataDirectory, "tsa-key.pem");
        ISigningKey key;
        try
        {
            key = SigningKeyFactory.Create(options.Key, devKeyPath, logger);
        }
        catch (KeyConfigurationException e)
        {
            // Name the setting: the factory's message speaks of the key options, not of where they came from.
            throw new KeyConfigurationException($"Timestamp:Key: {e.Message}", e);
        }

        try
        {
            if (options.HasConfiguredKey)
            {
                var chain = ReadChain(options.CertificateChainPath!);
                Check(chain, key, $"Timestamp:CertificateChainPath {options.CertificateChainPath}");
                return new TsaCredentials(key, chain);
            }

            return new TsaCredentials(key, DevelopmentChain(key, Path.Combine(options.DataDirectory, "tsa-chain.pem"), logger));
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Wraps an already-open key and a chain after the same checks (for hosts that hold their own key, and tests).</summary>
    public static TsaCredentials Create(ISigningKey key, IReadOnlyList<X509Certificate2> chain)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(chain);
        Check(chain, key, "the chain");
        return new TsaCredentials(key, chain);
    }

    /// <summary>Reads a PEM chain file (leaf first). Throws <see cref="InvalidOperationException"/> for a bad file.</summary>
    public static IReadOnlyList<X509Certificate2> ReadChain(string path)
    {
        try
        {
            return [.. GoPem.DecodeCertificates(File.ReadAllText(path), 10).Select(X509CertificateLoader.LoadCertificate)];
        }
        catch (Exception e) when (e is Core.WireFormatException or CryptographicException or IOException)
        {
            throw new InvalidOperationException($"the TSA chain {path} is not a PEM certificate chain: {e.Message}", e);
        }
    }

    /// <summary>
    /// upstream <c>VerifyCertChain</c> plus the key check: at least leaf + root; the leaf chains to the last certificate;
    /// every certificate but the leaf is a CA and every intermediate carries timeStamping (EKU chaining); the leaf is not
    /// a CA and carries exactly one EKU, timeStamping, critical (RFC 3161 §2.3); the leaf certifies the signing key.
    /// </summary>
    internal static void Check(IReadOnlyList<X509Certificate2> chain, ISigningKey key, string what)
    {
        if (key.Algorithm == SigningAlgorithm.Ed25519) throw new InvalidOperationException($"{key.Description}: Ed25519 keys cannot sign timestamps (Sigstore clients verify RFC 3161 tokens signed with ECDSA or RSA)");
        if (chain.Count < 2) throw new InvalidOperationException($"{what}: the chain must hold the TSA certificate and at least its root ({chain.Count} certificate(s))");
        var leaf = chain[0];
        if (!leaf.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.SubjectPublicKeyInfo))
        {
            throw new InvalidOperationException($"{what}: the TSA certificate ({leaf.Subject}) does not certify the signing key {key.Description}");
        }
        if (leaf.Extensions[Oids.BasicConstraints] is X509BasicConstraintsExtension { CertificateAuthority: true })
        {
            throw new InvalidOperationException($"{what}: the TSA certificate must be an end-entity certificate, not a CA (RFC 3161 §2.3)");
        }
        if (leaf.Extensions[Oids.ExtendedKeyUsage] is not X509EnhancedKeyUsageExtension { Critical: true } eku
            || eku.EnhancedKeyUsages.Count != 1 || eku.EnhancedKeyUsages[0].Value != TsaCertificates.TimeStampingEku)
        {
            throw new InvalidOperationException($"{what}: the TSA certificate must carry exactly one extended key usage, timeStamping, marked critical (RFC 3161 §2.3)");
        }
        for (var i = 1; i < chain.Count; i++)
        {
            if (chain[i].Extensions[Oids.BasicConstraints] is not X509BasicConstraintsExtension { CertificateAuthority: true })
            {
                throw new InvalidOperationException($"{what}: certificate {i} ({chain[i].Subject}) is not a CA certificate");
            }
            if (i < chain.Count - 1 && (chain[i].Extensions[Oids.ExtendedKeyUsage] is not X509EnhancedKeyUsageExtension iku
                || !iku.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == TsaCertificates.TimeStampingEku)))
            {
                throw new InvalidOperationException($"{what}: intermediate {i} ({chain[i].Subject}) must carry the timeStamping extended key usage (EKU chaining, upstream --enforce-intermediate-eku)");
            }
        }

        using var x509Chain = new X509Chain();
        x509Chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        x509Chain.ChainPolicy.CustomTrustStore.Add(chain[^1]);
        x509Chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        x509Chain.ChainPolicy.ApplicationPolicy.Add(new Oid(TsaCertificates.TimeStampingEku));
        foreach (var intermediate in chain.Skip(1).SkipLast(1)) x509Chain.ChainPolicy.ExtraStore.Add(intermediate);
        x509Chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        if (!x509Chain.Build(leaf))
        {
            var status = string.Join("; ", x509Chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct());
            throw new InvalidOperationException($"{what}: the TSA certificate does not chain to the last certificate with the timeStamping usage: {status}");
        }
    }

    private static List<X509Certificate2> DevelopmentChain(ISigningKey key, string chainPath, ILogger logger)
    {
        var full = Path.GetFullPath(chainPath);
        if (File.Exists(full))
        {
            var existing = ReadChain(full);
            try
            {
                Check(existing, key, full);
                LogDevelopmentChain(logger, full, "reused");
                return [.. existing];
            }
            catch (InvalidOperationException e)
            {
                LogDevelopmentChainReplaced(logger, full, e.Message);
            }
        }

        // A throwaway root key: the development chain can never be extended or re-issued, which is the point.
        using var rootKey = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
        var now = DateTimeOffset.UtcNow.AddMinutes(-5);
        var root = TsaCertificates.CreateRoot(rootKey, "PrivateSigstore Development TSA Root", "PrivateSigstore Development", now, now.AddYears(10));
        var leaf = TsaCertificates.CreateLeaf(key.SubjectPublicKeyInfo, "PrivateSigstore Development Timestamp Authority", "PrivateSigstore Development", root, rootKey, now, now.AddYears(10));
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, GoPem.EncodeCertificates([leaf.RawData, root.RawData]));
        LogDevelopmentChain(logger, full, "created now");
        return [leaf, root];
    }

    /// <summary>Disposes the key and the certificates.</summary>
    public void Dispose()
    {
        Key.Dispose();
        foreach (var c in Chain) c.Dispose();
    }

    private static class Oids
    {
        public const string BasicConstraints = "2.5.29.19";
        public const string ExtendedKeyUsage = "2.5.29.37";
    }

    [LoggerMessage(EventId = 6410, Level = LogLevel.Warning, Message =
        "USING A DEVELOPMENT TSA CHAIN at {Path} ({State}), certifying the development key. Timestamps it signs prove nothing: " +
        "run `PrivateSigstore.Timestamp ceremony` and configure Timestamp:Key and Timestamp:CertificateChainPath for any real deployment.")]
    private static partial void LogDevelopmentChain(ILogger logger, string path, string state);

    [LoggerMessage(EventId = 6411, Level = LogLevel.Warning, Message = "The development TSA chain at {Path} no longer fits the development key ({Reason}); writing a new one")]
    private static partial void LogDevelopmentChainReplaced(ILogger logger, string path, string reason);
}
