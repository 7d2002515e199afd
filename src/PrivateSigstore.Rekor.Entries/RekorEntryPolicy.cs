using PrivateSigstore.Core.Bundle;

namespace PrivateSigstore.Rekor.Entries;

/// <summary>
/// Bounds and policy applied by <see cref="RekorEntries.Canonicalize"/>. The defaults mirror upstream
/// Rekor v1 (<c>pkg/api/api.go AllowedClientSigningAlgorithms</c>, the 10-certificate chain limit of
/// <c>pkg/pki/x509</c>) plus size bounds upstream leaves to its HTTP server.
/// </summary>
public sealed record RekorEntryPolicy
{
    /// <summary>The deepest JSON nesting accepted anywhere in a proposed entry (also inside a DSSE envelope string).</summary>
    public const int MaxJsonDepth = 32;

    /// <summary>
    /// Upstream's default <c>AllowedClientSigningAlgorithms</c>: RSA PKCS#1 v1.5 2048/3072/4096 with
    /// SHA-256, ECDSA P-256/SHA-256, P-384/SHA-384, P-521/SHA-512, Ed25519 and Ed25519ph.
    /// </summary>
    public static IReadOnlySet<PublicKeyDetails> DefaultAllowedSigningAlgorithms { get; } = new HashSet<PublicKeyDetails>
    {
        PublicKeyDetails.PkixRsaPkcs1v15_2048_Sha256,
        PublicKeyDetails.PkixRsaPkcs1v15_3072_Sha256,
        PublicKeyDetails.PkixRsaPkcs1v15_4096_Sha256,
        PublicKeyDetails.PkixEcdsaP256Sha256,
        PublicKeyDetails.PkixEcdsaP384Sha384,
        PublicKeyDetails.PkixEcdsaP521Sha512,
        PublicKeyDetails.PkixEd25519,
        PublicKeyDetails.PkixEd25519Ph,
    };

    /// <summary>The policy for <c>POST /api/v1/log/entries</c> with every default.</summary>
    public static RekorEntryPolicy Default { get; } = new();

    /// <summary>The policy for proposed entries in <c>POST /api/v1/log/entries/retrieve</c> (<see cref="ForSearch"/> set).</summary>
    public static RekorEntryPolicy Search { get; } = new() { ForSearch = true };

    private readonly int _maxEntryBytes = 128 * 1024;
    private readonly int _maxChainLength = 10;
    private readonly int _maxDsseSignatures = 16;
    private readonly IReadOnlySet<PublicKeyDetails> _allowed = DefaultAllowedSigningAlgorithms;

    /// <summary>Largest accepted proposed entry, in bytes of JSON (default 128 KiB).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to less than 1.</exception>
    public int MaxEntryBytes
    {
        get => _maxEntryBytes;
        init => _maxEntryBytes = Positive(value);
    }

    /// <summary>Most certificates accepted in a PEM public key / certificate chain (default 10, as upstream).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to less than 1.</exception>
    public int MaxChainLength
    {
        get => _maxChainLength;
        init => _maxChainLength = Positive(value);
    }

    /// <summary>Most signatures accepted in a DSSE envelope, and most verifiers in a dsse entry (default 16).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Set to less than 1.</exception>
    public int MaxDsseSignatures
    {
        get => _maxDsseSignatures;
        init => _maxDsseSignatures = Positive(value);
    }

    /// <summary>
    /// Key/hash combinations accepted for hashedrekord entries (upstream <c>--client-signing-algorithms</c>;
    /// checked as sigstore's <c>AlgorithmRegistryConfig.IsAlgorithmPermitted</c> does: key type and size or
    /// curve, and the artifact hash algorithm). Values outside upstream's algorithm registry are rejected.
    /// </summary>
    /// <exception cref="ArgumentException">A value that sigstore's algorithm registry does not know.</exception>
    public IReadOnlySet<PublicKeyDetails> AllowedSigningAlgorithms
    {
        get => _allowed;
        init
        {
            ArgumentNullException.ThrowIfNull(value);
            foreach (var algorithm in value)
            {
                if (!AlgorithmRegistry.IsRegistered(algorithm))
                {
                    throw new ArgumentException($"{algorithm} is not in sigstore's algorithm registry", nameof(value));
                }
            }

            _allowed = value;
        }
    }

    /// <summary>
    /// Canonicalize as upstream does for <c>/api/v1/log/entries/retrieve</c> (<c>types.UnmarshalEntry</c> +
    /// <c>CanonicalizeEntry</c>) instead of <c>createLogEntry</c>: no insertability check (so the
    /// already-canonical forms of dsse, intoto 0.0.1 and intoto 0.0.2 are accepted), no algorithm policy,
    /// and reasons without the <c>error processing entry:</c> prefix.
    /// </summary>
    public bool ForSearch { get; init; }

    private static int Positive(int value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
        return value;
    }
}
