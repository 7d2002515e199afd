using PrivateSigstore.Fulcio.Ca;

namespace PrivateSigstore.Fulcio.Issuance;

/// <summary>Connects the CA to the CT log its options name.</summary>
internal static class CtLogConnection
{
    /// <summary>The CT log client for <paramref name="settings"/>, or null when CT is disabled (empty URL).</summary>
    public static ICertificateTransparencyLog? Create(CtLogSettings settings, CertificateAuthority ca, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _ = ca;
        _ = logger;
        if (string.IsNullOrEmpty(settings.Url))
        {
            return null;
        }

        // Replaced by the RFC 6962 client when the CT log service lands (issue #6).
        throw new InvalidOperationException("Fulcio:CtLog:Url is set, but this build has no CT log client yet");
    }
}
