using System.Buffers.Binary;
using System.Security.Cryptography;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Keys;

/// <summary>
/// Signs C2SP signed notes (checkpoints) with an <see cref="ISigningKey"/>. Key hash: for Ed25519
/// keys the C2SP rule, the first four bytes of SHA-256(name || 0x0A || 0x01 || public key); for
/// ECDSA P-256 and RSA keys the Rekor v1 / Rekor v2 rule, the first four bytes of
/// SHA-256(SubjectPublicKeyInfo), i.e. of the log ID. Verifies with
/// <see cref="EcdsaNoteVerifier"/> or <see cref="Ed25519NoteVerifier"/>. The key is borrowed, not disposed.
/// </summary>
public sealed class SigningKeyNoteSigner : INoteSigner
{
    private readonly ISigningKey _key;

    /// <summary>
    /// Creates a note signer named <paramref name="name"/> (for Rekor v1 the hostname, for Rekor v2
    /// the log origin). Throws <see cref="ArgumentException"/> for an invalid note key name or an
    /// ECDSA P-384/P-521 key (note verifiers hash with SHA-256, which those keys do not use).
    /// </summary>
    public SigningKeyNoteSigner(string name, ISigningKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!SignedNote.IsValidKeyName(name))
        {
            throw new ArgumentException($"invalid note key name \"{name}\"", nameof(name));
        }

        if (key.Algorithm is SigningAlgorithm.EcdsaP384Sha384 or SigningAlgorithm.EcdsaP521Sha512)
        {
            throw new ArgumentException($"note signatures are ECDSA over SHA-256 (Rekor, C2SP); a {key.Algorithm} key signs over another digest: use a P-256 or Ed25519 key", nameof(key));
        }

        Name = name;
        _key = key;
        var keyId = key.Algorithm == SigningAlgorithm.Ed25519
            ? Ed25519NoteVerifier.KeyId(name, Core.Crypto.Ed25519.PublicKeyFromSubjectPublicKeyInfo(key.SubjectPublicKeyInfo))
            : SHA256.HashData(key.SubjectPublicKeyInfo);
        KeyHash = BinaryPrimitives.ReadUInt32BigEndian(keyId);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public uint KeyHash { get; }

    /// <inheritdoc />
    public byte[] Sign(ReadOnlySpan<byte> message) => _key.Sign(message);
}
