using PrivateSigstore.Core.Pem;
using PrivateSigstore.Fulcio.Ct;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Fulcio.Issuance;

/// <summary>Connects the CA to the CT log its options name.</summary>
internal static partial class CtLogConnection
{
    /// <summary>
    /// The RFC 6962 client for <paramref name="settings"/>, or null when CT is disabled (empty URL). With
    /// <see cref="CtLogSettings.PublicKeyPath"/>, every SCT is checked against that key before a certificate is issued.
    /// </summary>
    /// <exception cref="KeyConfigurationException">The public key file is not a PEM public key.</exception>
    public static ICertificateTransparencyLog? Create(CtLogSettings settings, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (string.IsNullOrEmpty(settings.Url))
        {
            return null;
        }

        byte[]? key = null;
        if (!string.IsNullOrEmpty(settings.PublicKeyPath))
        {
            try
            {
                key = GoPem.DecodePublicKey(File.ReadAllText(settings.PublicKeyPath));
            }
            catch (Exception e) when (e is Core.WireFormatException or IOException)
            {
                throw new KeyConfigurationException($"Fulcio:CtLog:PublicKeyPath '{settings.PublicKeyPath}' is not a PEM public key: {e.Message}", e);
            }
        }
        else
        {
            LogUnverifiedScts(logger, settings.Url);
        }

        return new OwnedCtLogClient(new HttpClient { Timeout = settings.Timeout }, new Uri(settings.Url), key);
    }

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Fulcio:CtLog:PublicKeyPath is not set: SCTs from {Url} are embedded without checking their signature")]
    private static partial void LogUnverifiedScts(ILogger logger, string url);

    /// <summary>A CT client that owns its HttpClient.</summary>
    private sealed class OwnedCtLogClient(HttpClient http, Uri url, byte[]? key) : ICertificateTransparencyLog, IDisposable
    {
        private readonly CtLogClient _client = new(http, url, key);

        public Task<Core.Ct.SignedCertificateTimestamp> AddPreChainAsync(IReadOnlyList<byte[]> chainDer, CancellationToken cancellationToken) =>
            _client.AddPreChainAsync(chainDer, cancellationToken);

        public Task<Core.Ct.SignedCertificateTimestamp> AddChainAsync(IReadOnlyList<byte[]> chainDer, CancellationToken cancellationToken) =>
            _client.AddChainAsync(chainDer, cancellationToken);

        public void Dispose()
        {
            _client.Dispose();
            http.Dispose();
        }
    }
}
