using PrivateSigstore.Core.Crypto;

namespace PrivateSigstore.Core.Notes;

/// <summary>
/// Signs notes with Ed25519 (c2sp.org/signed-note type 0x01): key hint from
/// SHA-256(name || 0x0A || 0x01 || public key), signature pure Ed25519 over the note text.
/// </summary>
public sealed class Ed25519NoteSigner : INoteSigner
{
    private readonly Func<byte[], byte[]> _signMessage;
    private readonly Ed25519NoteVerifier _verifier;

    /// <summary>
    /// Creates a signer from a 32-byte private key seed (RFC 8032). The seed is copied.
    /// Throws <see cref="ArgumentException"/> for an invalid name or a seed that is not 32 bytes.
    /// </summary>
    public Ed25519NoteSigner(string name, byte[] seed)
    {
        ArgumentNullException.ThrowIfNull(seed);
        if (seed.Length != Ed25519.KeySize)
        {
            throw new ArgumentException("an Ed25519 seed is 32 bytes", nameof(seed));
        }

        byte[] copy = [.. seed];
        _verifier = new Ed25519NoteVerifier(name, Ed25519.PublicKeyFromSeed(copy));
        _signMessage = message => Ed25519.Sign(copy, message);
    }

    /// <summary>
    /// Creates a signer from a public key and a signing function (e.g. an HSM's CKM_EDDSA) that
    /// returns the 64-byte pure Ed25519 signature of the message it is given.
    /// </summary>
    public Ed25519NoteSigner(string name, byte[] publicKey, Func<byte[], byte[]> signMessage)
    {
        ArgumentNullException.ThrowIfNull(signMessage);
        _verifier = new Ed25519NoteVerifier(name, publicKey);
        _signMessage = signMessage;
    }

    /// <inheritdoc />
    public string Name => _verifier.Name;

    /// <inheritdoc />
    public uint KeyHash => _verifier.KeyHash;

    /// <summary>The verifier for this signer's public key.</summary>
    public Ed25519NoteVerifier Verifier => _verifier;

    /// <summary>
    /// Signs the note text. A signature that does not verify with the public key (wrong key, wrong
    /// algorithm) raises <see cref="InvalidOperationException"/> instead of being published.
    /// </summary>
    public byte[] Sign(ReadOnlySpan<byte> message)
    {
        var signature = _signMessage(message.ToArray());
        if (signature is not { Length: Ed25519.SignatureSize } || !_verifier.Verify(message, signature))
        {
            throw new InvalidOperationException($"note signer {Name}: the signing function returned a signature that does not verify with the configured Ed25519 public key");
        }

        return signature;
    }
}
