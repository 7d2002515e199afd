using PrivateSigstore.Keys;

namespace PrivateSigstore.Client.Signing;

/// <summary>
/// What signs and how verifiers find its key: a signing key and either the Fulcio certificate for it (keyless)
/// or nothing (a long-lived key, named in the bundle by <see cref="PublicKeyHint"/>). The caller owns the key.
/// </summary>
/// <param name="Key">The signing key (PEM file, PKCS#11 or in memory).</param>
/// <param name="CertificateDer">The leaf certificate for <paramref name="Key"/>, or null for key-based signing.</param>
public sealed record SignerMaterial(ISigningKey Key, byte[]? CertificateDer = null)
{
    /// <summary>The bundle's public key hint: base64 SHA-256 of the DER SubjectPublicKeyInfo.</summary>
    public string PublicKeyHint => Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData(Key.SubjectPublicKeyInfo));
}
