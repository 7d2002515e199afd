using System.Security.Cryptography;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Crypto;

namespace PrivateSigstore.Rekor.Entries;

/// <summary>
/// sigstore's algorithm registry (<c>sigstore/pkg/signature/algorithm_registry.go supportedAlgorithms</c>):
/// each entry is a key type with a size or curve and the hash it signs with. <c>IsAlgorithmPermitted</c>
/// accepts a key/hash pair when some allowed entry matches both.
/// </summary>
internal static class AlgorithmRegistry
{
    private const string P256 = SigningAlgorithms.P256Oid;
    private const string P384 = SigningAlgorithms.P384Oid;
    private const string P521 = SigningAlgorithms.P521Oid;

    // Hash "" stands for Go's crypto.Hash(0) (pure Ed25519), which no hashedrekord digest matches.
    private static readonly Entry[] Registry =
    [
        new(PublicKeyDetails.PkixRsaPkcs1v15_2048_Sha256, PublicKeyType.Rsa, 2048, null, "SHA256"),
        new(PublicKeyDetails.PkixRsaPkcs1v15_3072_Sha256, PublicKeyType.Rsa, 3072, null, "SHA256"),
        new(PublicKeyDetails.PkixRsaPkcs1v15_4096_Sha256, PublicKeyType.Rsa, 4096, null, "SHA256"),
        new(PublicKeyDetails.PkixRsaPss_2048_Sha256, PublicKeyType.Rsa, 2048, null, "SHA256"),
        new(PublicKeyDetails.PkixRsaPss_3072_Sha256, PublicKeyType.Rsa, 3072, null, "SHA256"),
        new(PublicKeyDetails.PkixRsaPss_4096_Sha256, PublicKeyType.Rsa, 4096, null, "SHA256"),
        new(PublicKeyDetails.PkixEcdsaP256Sha256, PublicKeyType.Ecdsa, 0, P256, "SHA256"),
        new(PublicKeyDetails.PkixEcdsaP384Sha384, PublicKeyType.Ecdsa, 0, P384, "SHA384"),
        new(PublicKeyDetails.PkixEcdsaP384Sha256, PublicKeyType.Ecdsa, 0, P384, "SHA256"),
        new(PublicKeyDetails.PkixEcdsaP521Sha512, PublicKeyType.Ecdsa, 0, P521, "SHA512"),
        new(PublicKeyDetails.PkixEcdsaP521Sha256, PublicKeyType.Ecdsa, 0, P521, "SHA256"),
        new(PublicKeyDetails.PkixEd25519, PublicKeyType.Ed25519, 0, null, ""),
        new(PublicKeyDetails.PkixEd25519Ph, PublicKeyType.Ed25519, 0, null, "SHA512"),
    ];

    /// <summary>Whether sigstore's registry knows <paramref name="details"/> (anything else fails upstream's start-up).</summary>
    public static bool IsRegistered(PublicKeyDetails details) => Array.Exists(Registry, e => e.Details == details);

    /// <summary><c>AlgorithmRegistryConfig.IsAlgorithmPermitted(key, hash)</c> for the allowed set.</summary>
    public static bool IsPermitted(IReadOnlySet<PublicKeyDetails> allowed, PublicKey key, HashAlgorithmName hash)
    {
        foreach (var entry in Registry)
        {
            if (!allowed.Contains(entry.Details) || entry.Key != key.Type || !string.Equals(entry.Hash, hash.Name, StringComparison.Ordinal))
            {
                continue;
            }

            var keyMatches = entry.Key switch
            {
                PublicKeyType.Rsa => key.SizeBits == entry.RsaBits,
                PublicKeyType.Ecdsa => string.Equals(key.CurveOid, entry.Curve, StringComparison.Ordinal),
                _ => true,
            };
            if (keyMatches)
            {
                return true;
            }
        }

        return false;
    }

    private sealed record Entry(PublicKeyDetails Details, PublicKeyType Key, int RsaBits, string? Curve, string Hash);
}
