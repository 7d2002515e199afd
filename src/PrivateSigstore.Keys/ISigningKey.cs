using PrivateSigstore.Core.Crypto;

namespace PrivateSigstore.Keys;

/// <summary>
/// A private signing key, wherever it lives (an HSM token, a PEM file, memory). Used by the Rekor
/// log (SETs and checkpoints), the CT log (SCTs), the CA (certificates) and the identity provider
/// (JWTs).
/// </summary>
/// <remarks>
/// Implementations are thread-safe: <see cref="Sign"/> may be called from many threads at once.
/// </remarks>
public interface ISigningKey : IDisposable
{
    /// <summary>A human-readable description of where the key lives, for logs (never secret material).</summary>
    string Description { get; }

    /// <summary>The signature scheme this key signs with.</summary>
    SigningAlgorithm Algorithm { get; }

    /// <summary>The DER SubjectPublicKeyInfo of the public key (a fresh copy on every read).</summary>
    byte[] SubjectPublicKeyInfo { get; }

    /// <summary><c>true</c> when the private key is held by a hardware token (PKCS#11) and cannot be read out.</summary>
    bool IsHardwareBacked { get; }

    /// <summary>
    /// Signs <paramref name="data"/>: hashes it with the algorithm's digest and returns, for ECDSA,
    /// an ASN.1 DER <c>SEQUENCE { r INTEGER, s INTEGER }</c> (RFC 3279, never IEEE P1363 r||s); for
    /// RSA, a PKCS#1 v1.5 signature; for Ed25519, the 64-byte pure signature of the data itself.
    /// Throws <see cref="ObjectDisposedException"/> after <see cref="IDisposable.Dispose"/> and
    /// <see cref="System.Security.Cryptography.CryptographicException"/> if the key store fails.
    /// </summary>
    byte[] Sign(ReadOnlySpan<byte> data);
}
