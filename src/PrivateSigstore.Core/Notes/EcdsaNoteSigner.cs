using System.Security.Cryptography;

namespace PrivateSigstore.Core.Notes;

/// <summary>
/// Signs notes with an ECDSA key in the Rekor v1 / Rekor v2 style (see <see cref="EcdsaNoteVerifier"/>):
/// key hint = first four bytes of SHA-256(DER SubjectPublicKeyInfo), signature = ASN.1 DER ECDSA
/// over SHA-256 of the note text. The private key may live anywhere (an HSM, a KMS): the signer
/// only needs a function that signs.
/// </summary>
public sealed class EcdsaNoteSigner : INoteSigner
{
    private readonly Func<byte[], byte[]> _signMessage;
    private readonly EcdsaNoteVerifier _verifier;

    /// <summary>
    /// Creates a signer from a public key and a signing function.
    /// Throws <see cref="ArgumentException"/> for an invalid name and <see cref="WireFormatException"/>
    /// if <paramref name="subjectPublicKeyInfo"/> is not a DER ECDSA public key on a NIST curve.
    /// </summary>
    /// <param name="name">The key name written in signature lines (for Rekor v1 the server hostname; for v2 the origin).</param>
    /// <param name="subjectPublicKeyInfo">DER SubjectPublicKeyInfo of the signing key.</param>
    /// <param name="signMessage">
    /// Given the note text bytes, returns an ASN.1 DER (RFC 3279) ECDSA signature over their
    /// SHA-256 digest made with the private key of <paramref name="subjectPublicKeyInfo"/>. A PKCS#11
    /// adapter must convert the token's raw r||s to DER.
    /// </param>
    public EcdsaNoteSigner(string name, byte[] subjectPublicKeyInfo, Func<byte[], byte[]> signMessage)
    {
        ArgumentNullException.ThrowIfNull(signMessage);
        _verifier = new EcdsaNoteVerifier(name, subjectPublicKeyInfo);
        _signMessage = signMessage;
    }

    /// <summary>Creates a signer over an in-process private key (which the caller keeps owning and must not dispose while signing).</summary>
    public EcdsaNoteSigner(string name, ECDsa privateKey)
        : this(
            name,
            (privateKey ?? throw new ArgumentNullException(nameof(privateKey))).ExportSubjectPublicKeyInfo(),
            message => privateKey.SignData(message, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
    {
    }

    /// <inheritdoc />
    public string Name => _verifier.Name;

    /// <inheritdoc />
    public uint KeyHash => _verifier.KeyHash;

    /// <summary>The DER SubjectPublicKeyInfo of the signing key.</summary>
    public byte[] SubjectPublicKeyInfo => _verifier.SubjectPublicKeyInfo;

    /// <summary>The verifier for this signer's public key.</summary>
    public EcdsaNoteVerifier Verifier => _verifier;

    /// <summary>
    /// Signs the note text. The signature is checked against the public key before it is returned,
    /// so a wrong key or an IEEE P1363 (r||s) signature fails here, not in every client:
    /// <see cref="InvalidOperationException"/> in that case.
    /// </summary>
    public byte[] Sign(ReadOnlySpan<byte> message)
    {
        var signature = _signMessage(message.ToArray());
        if (signature is not { Length: > 0 } || !_verifier.Verify(message, signature))
        {
            throw new InvalidOperationException($"note signer {Name}: the signing function returned a signature that does not verify as DER ECDSA-SHA256 with the configured public key");
        }

        return signature;
    }
}
