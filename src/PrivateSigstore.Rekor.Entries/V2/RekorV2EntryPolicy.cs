using PrivateSigstore.Core.Bundle;

namespace PrivateSigstore.Rekor.Entries.V2;

/// <summary>
/// Bounds and policy of Rekor v2 entry admission (<see cref="RekorV2Entries.Canonicalize"/>). The defaults are
/// rekor-tiles' (<c>internal/algorithmregistry AllowedClientSigningAlgorithms</c> after #927, Tessera's entry size
/// limit), plus the JSON depth bound of our own.
/// </summary>
public sealed record RekorV2EntryPolicy
{
    /// <summary>The deepest JSON nesting accepted in a request (the deepest valid request nests 6 levels).</summary>
    public const int MaxJsonDepth = 16;

    /// <summary>Largest canonical body (Tessera <c>DefaultEntrySizeLimit</c>: entry bundles prefix entries with a uint16 length).</summary>
    public const int MaxEntryBytes = 65_535;

    /// <summary>Most verifiers and most envelope signatures in a dsse 0.0.2 request (rekor-tiles <c>maxVerifiers</c>, <c>maxSignatures</c>).</summary>
    public const int MaxDsseVerifiers = 10;

    /// <summary>
    /// rekor-tiles' default <c>--client-signing-algorithms</c>: RSA PKCS#1 v1.5 2048/3072/4096 with SHA-256, ECDSA
    /// P-256/SHA-256, P-384/SHA-384, P-521/SHA-512 and Ed25519ph. Pure Ed25519 was removed upstream (#927, 2026-08-19):
    /// hashedrekord signs a digest, which pure Ed25519 cannot.
    /// </summary>
    public static IReadOnlySet<PublicKeyDetails> DefaultAllowedSigningAlgorithms { get; } = new HashSet<PublicKeyDetails>
    {
        PublicKeyDetails.PkixRsaPkcs1v15_2048_Sha256,
        PublicKeyDetails.PkixRsaPkcs1v15_3072_Sha256,
        PublicKeyDetails.PkixRsaPkcs1v15_4096_Sha256,
        PublicKeyDetails.PkixEcdsaP256Sha256,
        PublicKeyDetails.PkixEcdsaP384Sha384,
        PublicKeyDetails.PkixEcdsaP521Sha512,
        PublicKeyDetails.PkixEd25519Ph,
    };

    /// <summary>Every default: hashedrekord 0.0.2 and dsse 0.0.2 accepted.</summary>
    public static RekorV2EntryPolicy Default { get; } = new();

    private readonly IReadOnlySet<PublicKeyDetails> _allowed = DefaultAllowedSigningAlgorithms;

    /// <summary>
    /// Accept <c>dsseRequestV002</c> (default true: sigstore-js 5 logs attestations that way). When false, DSSE requests
    /// are refused as rekor-tiles has refused them since #744 (2026-06-09): 400 <c>invalid type, must be hashedrekord</c>.
    /// </summary>
    public bool AcceptDsse { get; init; } = true;

    /// <summary>
    /// Key details accepted (a subset of <see cref="DefaultAllowedSigningAlgorithms"/>, as upstream refuses flags outside
    /// its allowed set).
    /// </summary>
    /// <exception cref="ArgumentException">A value outside <see cref="DefaultAllowedSigningAlgorithms"/>.</exception>
    public IReadOnlySet<PublicKeyDetails> AllowedSigningAlgorithms
    {
        get => _allowed;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            foreach (var algorithm in value)
            {
                if (!DefaultAllowedSigningAlgorithms.Contains(algorithm))
                {
                    throw new ArgumentException($"algorithm {algorithm} is not in the allowed set", nameof(value));
                }
            }

            _allowed = value;
        }
    }
}
