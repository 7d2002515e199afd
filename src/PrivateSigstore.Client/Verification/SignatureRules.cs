using System.Security.Cryptography;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Crypto;
using HashAlgorithm = PrivateSigstore.Core.Bundle.HashAlgorithm;

namespace PrivateSigstore.Client.Verification;

/// <summary>
/// The verifier's signature rules over the signer's <see cref="PublicKey"/> (sigstore <c>pkg/signature</c>, as
/// sigstore-go loads a verifier for a bundle): ECDSA signatures are ASN.1 DER over the digest named by the curve's
/// default (P-256 SHA-256, P-384 SHA-384, P-521 SHA-512) or by the message digest, RSA is PKCS#1 v1.5, Ed25519 is
/// pure over the message.
/// </summary>
internal static class SignatureRules
{
    /// <summary>Verifies a signature over <paramref name="message"/>, hashing it with the key's default digest.</summary>
    public static bool VerifyMessage(PublicKey key, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) =>
        key.VerifyMessage(message, signature, key.DefaultHash);

    /// <summary>Verifies a signature over a precomputed digest of <paramref name="algorithm"/>; false for Ed25519 (pure signatures need the message).</summary>
    public static bool VerifyDigest(PublicKey key, HashAlgorithm algorithm, ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature) =>
        key.VerifyDigest(digest, signature, ToHashName(algorithm));

    internal static HashAlgorithmName ToHashName(HashAlgorithm algorithm) => algorithm switch
    {
        HashAlgorithm.Sha2_384 => HashAlgorithmName.SHA384,
        HashAlgorithm.Sha2_512 => HashAlgorithmName.SHA512,
        _ => HashAlgorithmName.SHA256,
    };
}
