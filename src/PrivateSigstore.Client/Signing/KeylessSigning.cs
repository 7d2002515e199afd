using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Client.Signing;

/// <summary>
/// Keyless signing material: an ephemeral P-256 key and a Fulcio certificate for it bound to an OIDC identity
/// token (sigstore-js <c>FulcioSigner</c>). Dispose the returned material's key when done.
/// </summary>
public static class KeylessSigning
{
    /// <summary>Generates the key, proves possession to Fulcio and returns the key with its leaf certificate.</summary>
    public static async Task<SignerMaterial> CreateAsync(FulcioClient fulcio, string identityToken, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fulcio);
        var key = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
        try
        {
            var chain = await fulcio.GetSigningCertificateAsync(identityToken, key, cancellationToken).ConfigureAwait(false);
            return new SignerMaterial(key, chain[0]);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }
}
