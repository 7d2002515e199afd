using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Fulcio.Issuance;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Pkcs11;

namespace PrivateSigstore.Fulcio.Ca;

/// <summary>Opens the issuing CA that <see cref="FulcioOptions"/> describe, or creates the development CA.</summary>
public static partial class CaLoader
{
    /// <summary>File names of the development CA under the data directory.</summary>
    public const string DevChainFile = "ca-chain.pem";

    /// <summary>
    /// With a configured key: opens it (PKCS#11 or PEM) and checks it against <see cref="FulcioOptions.ChainPath"/>.
    /// With none: loads or creates a development root + intermediate (PEM keys in the data directory) and warns loudly.
    /// </summary>
    /// <exception cref="KeyConfigurationException">The key or chain is missing, unreadable or inconsistent.</exception>
    public static CertificateAuthority Load(FulcioOptions options, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        var data = options.DataDirectory;
        var key = SigningKeyFactory.Create(options.Key, Path.Combine(data, "ca-intermediate-key.pem"), logger);
        try
        {
            X509Certificate2[] chain;
            if (options.UsesDevelopmentCa)
            {
                var chainPath = options.ChainPath ?? Path.Combine(data, DevChainFile);
                chain = File.Exists(chainPath) ? CertificateAuthority.ReadChain(chainPath) : CreateDevelopmentChain(options, key, chainPath, logger);
                LogDevelopmentCa(logger, Path.GetFullPath(chainPath));
            }
            else
            {
                chain = CertificateAuthority.ReadChain(options.ChainPath!);
            }

            var ca = CertificateAuthority.Create(key, chain);
            var notAfter = ca.Issuer.NotAfter.ToUniversalTime();
            LogCa(logger, ca.Issuer.Subject, ca.Root.Subject, key.Description, key.IsHardwareBacked, notAfter);

            return ca;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static X509Certificate2[] CreateDevelopmentChain(FulcioOptions options, ISigningKey issuingKey, string chainPath, ILogger logger)
    {
        using var rootKey = SigningKeyFactory.Create(
            new SigningKeyOptions { Algorithm = SigningAlgorithm.EcdsaP384Sha384 },
            Path.Combine(options.DataDirectory, "ca-root-key.pem"),
            logger);
        var now = DateTimeOffset.UtcNow;
        const string organization = "PrivateSigstore (development, not HSM-backed)";
        var (root, intermediate) = CaCertificates.CreateChain(
            rootKey, issuingKey, "PrivateSigstore development root", "PrivateSigstore development intermediate", organization, now.AddMinutes(-5), now.AddYears(10), now.AddYears(5));
        CertificateAuthority.WriteChain(chainPath, [intermediate, root]);
        return [intermediate, root];
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "USING A DEVELOPMENT CA (chain {ChainPath}): its keys are PEM files on disk, not in an HSM. Do not use it to sign anything that matters; run the 'ca ceremony' command and configure Fulcio:Key and Fulcio:ChainPath.")]
    private static partial void LogDevelopmentCa(ILogger logger, string chainPath);

    [LoggerMessage(EventId = 11, Level = LogLevel.Information, Message = "Issuing CA {Issuer} under root {Root}; key {Key} (hardware-backed: {HardwareBacked}); issuing certificate valid until {NotAfter:O}")]
    private static partial void LogCa(ILogger logger, string issuer, string root, string key, bool hardwareBacked, DateTime notAfter);
}
