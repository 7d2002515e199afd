using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Fulcio.Ca;

/// <summary>
/// The issuing CA: its signing key (in an HSM, a PEM file or memory) and its chain, issuing certificate first and root
/// last. Checked at construction as upstream <c>pkg/ca/common.go VerifyCertChain</c> does, so a misconfigured CA fails at
/// start-up rather than issuing certificates nobody can verify.
/// </summary>
public sealed class CertificateAuthority : IDisposable
{
    private readonly X509Certificate2[] _chain;

    private CertificateAuthority(ISigningKey key, X509Certificate2[] chain)
    {
        Key = key;
        _chain = chain;
        ChainDer = [.. chain.Select(c => c.RawData)];
        // v2 signingCert returns TrimSpace'd PEMs (pkg/ca/csc.go); trustBundle keeps Go's trailing newline.
        TrustBundlePems = [.. chain.Select(c => GoPem.Encode("CERTIFICATE", c.RawData))];
        TrimmedChainPems = [.. TrustBundlePems.Select(p => p.TrimEnd('\n'))];
    }

    /// <summary>The issuing key.</summary>
    public ISigningKey Key { get; }

    /// <summary>The issuing certificate (the first of the chain).</summary>
    public X509Certificate2 Issuer => _chain[0];

    /// <summary>The root (the last of the chain).</summary>
    public X509Certificate2 Root => _chain[^1];

    /// <summary>The chain: issuing certificate first, root last.</summary>
    public IReadOnlyList<X509Certificate2> Chain => _chain;

    /// <summary>The chain as DER, issuing certificate first.</summary>
    public IReadOnlyList<byte[]> ChainDer { get; }

    /// <summary>The chain as Go PEM with trailing newline (trustBundle, rootCert).</summary>
    public IReadOnlyList<string> TrustBundlePems { get; }

    /// <summary>The chain as Go PEM without trailing newline (signingCert responses).</summary>
    public IReadOnlyList<string> TrimmedChainPems { get; }

    /// <summary>
    /// Checks and wraps <paramref name="key"/> and <paramref name="chain"/> (issuing first, root last). Takes ownership
    /// of the key.
    /// </summary>
    /// <exception cref="KeyConfigurationException">The chain is empty or broken, or does not belong to the key.</exception>
    public static CertificateAuthority Create(ISigningKey key, IReadOnlyList<X509Certificate2> chain)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(chain);
        Validate(key, chain);
        return new CertificateAuthority(key, [.. chain]);
    }

    /// <summary>Reads a PEM chain (issuing certificate first, root last).</summary>
    /// <exception cref="KeyConfigurationException">The file is missing or holds no certificate.</exception>
    public static X509Certificate2[] ReadChain(string path)
    {
        if (!File.Exists(path))
        {
            throw new KeyConfigurationException($"CA chain file '{path}' does not exist");
        }

        try
        {
            var ders = GoPem.DecodeCertificates(File.ReadAllText(path));
            if (ders.Length == 0)
            {
                throw new KeyConfigurationException($"CA chain file '{path}' holds no CERTIFICATE block");
            }

            return [.. ders.Select(d => X509CertificateLoader.LoadCertificate(d))];
        }
        catch (Exception e) when (e is Core.WireFormatException or CryptographicException)
        {
            throw new KeyConfigurationException($"CA chain file '{path}' is not a PEM certificate chain: {e.Message}", e);
        }
    }

    /// <summary>Writes <paramref name="chain"/> as a PEM chain file (issuing first, root last).</summary>
    public static void WriteChain(string path, IEnumerable<X509Certificate2> chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        File.WriteAllText(path, GoPem.EncodeCertificates(chain.Select(c => c.RawData)));
    }

    // Upstream VerifyCertChain: the chain builds to its last certificate, the first is a CA that may sign certificates, it
    // carries codeSigning when there are intermediates (EKU chaining), and its key is the signing key.
    private static void Validate(ISigningKey key, IReadOnlyList<X509Certificate2> chain)
    {
        if (chain.Count == 0)
        {
            throw new KeyConfigurationException("the CA chain is empty");
        }

        var issuer = chain[0];
        if (!issuer.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.SubjectPublicKeyInfo))
        {
            throw new KeyConfigurationException($"the issuing certificate ({issuer.Subject}) does not hold the public key of {key.Description}");
        }

        if (issuer.Extensions["2.5.29.19"] is not X509BasicConstraintsExtension { CertificateAuthority: true })
        {
            throw new KeyConfigurationException($"the issuing certificate ({issuer.Subject}) is not a CA certificate");
        }

        if (issuer.Extensions["2.5.29.15"] is X509KeyUsageExtension ku && (ku.KeyUsages & X509KeyUsageFlags.KeyCertSign) == 0)
        {
            throw new KeyConfigurationException($"the issuing certificate ({issuer.Subject}) may not sign certificates (KeyUsage lacks keyCertSign)");
        }

        if (issuer.Extensions["2.5.29.14"] is not X509SubjectKeyIdentifierExtension)
        {
            throw new KeyConfigurationException($"the issuing certificate ({issuer.Subject}) has no subject key identifier (needed for the leaves' AKI)");
        }

        if (chain.Count > 1
            && issuer.Extensions["2.5.29.37"] is X509EnhancedKeyUsageExtension eku
            && !eku.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == SigstoreOids.CodeSigningEku))
        {
            throw new KeyConfigurationException($"the issuing certificate ({issuer.Subject}) has an EKU without codeSigning; leaves would violate EKU chaining");
        }

        for (int i = 0; i < chain.Count; i++)
        {
            var signer = i + 1 < chain.Count ? chain[i + 1] : chain[i];
            if (!IssuedBy(chain[i], signer))
            {
                throw new KeyConfigurationException(i + 1 < chain.Count
                    ? $"CA chain is broken: '{chain[i].Subject}' is not signed by the next certificate '{signer.Subject}'"
                    : $"CA chain must end in a self-signed root; '{chain[i].Subject}' is not self-signed");
            }
        }
    }

    private static bool IssuedBy(X509Certificate2 certificate, X509Certificate2 issuer) =>
        certificate.IssuerName.RawData.AsSpan().SequenceEqual(issuer.SubjectName.RawData)
        && CertificateSignature.IsSignedBy(certificate.RawData, issuer.PublicKey);

    /// <inheritdoc />
    public void Dispose()
    {
        Key.Dispose();
        foreach (var certificate in _chain)
        {
            certificate.Dispose();
        }
    }
}
