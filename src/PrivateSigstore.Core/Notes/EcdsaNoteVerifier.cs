using System.Security.Cryptography;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Pem;

namespace PrivateSigstore.Core.Notes;

/// <summary>
/// Verifies ECDSA note signatures as both Rekor v1 (<c>pkg/util/signed_note.go</c>) and Rekor v2 /
/// rekor-tiles (<c>pkg/note/note.go</c>, C2SP signature type 0x02) produce them: the key ID is
/// SHA-256 of the DER SubjectPublicKeyInfo (no name, no type byte), the key hint its first four
/// bytes, and the signature ASN.1 DER ECDSA over the SHA-256 of the note text. The two Rekor
/// generations use the same rule, so one type serves both.
/// </summary>
public sealed class EcdsaNoteVerifier : INoteVerifier
{
    private readonly byte[] _subjectPublicKeyInfo;
    private readonly HashAlgorithmName _hashAlgorithm;

    /// <summary>
    /// Creates a verifier for the key named <paramref name="name"/> (e.g. <c>rekor.sigstore.dev</c>).
    /// Throws <see cref="ArgumentException"/> for an invalid name and <see cref="WireFormatException"/>
    /// if <paramref name="subjectPublicKeyInfo"/> is not a DER ECDSA public key on a NIST curve.
    /// </summary>
    /// <param name="name">The key name expected in signature lines.</param>
    /// <param name="subjectPublicKeyInfo">DER SubjectPublicKeyInfo of the ECDSA key.</param>
    /// <param name="hashAlgorithm">The message digest; SHA-256 (what Sigstore clients assume) when omitted.</param>
    public EcdsaNoteVerifier(string name, byte[] subjectPublicKeyInfo, HashAlgorithmName? hashAlgorithm = null)
    {
        ArgumentNullException.ThrowIfNull(subjectPublicKeyInfo);
        Name = NoteKeyNames.Require(name);
        if (PublicKeyInfo.Validate(subjectPublicKeyInfo) != PublicKeyInfo.EcPublicKeyOid)
        {
            throw new WireFormatException("ECDSA note key: not an ECDSA public key");
        }

        _subjectPublicKeyInfo = [.. subjectPublicKeyInfo];
        _hashAlgorithm = hashAlgorithm ?? HashAlgorithmName.SHA256;
        KeyHash = NoteKeyNames.Hint(KeyId(_subjectPublicKeyInfo));
    }

    /// <summary>Creates a verifier from the public part of <paramref name="publicKey"/> (which the caller keeps owning).</summary>
    public EcdsaNoteVerifier(string name, ECDsa publicKey, HashAlgorithmName? hashAlgorithm = null)
        : this(name, (publicKey ?? throw new ArgumentNullException(nameof(publicKey))).ExportSubjectPublicKeyInfo(), hashAlgorithm)
    {
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public uint KeyHash { get; }

    /// <summary>A copy of the DER SubjectPublicKeyInfo this verifier trusts.</summary>
    public byte[] SubjectPublicKeyInfo => [.. _subjectPublicKeyInfo];

    /// <summary>
    /// The full 32-byte key ID of an ECDSA key: SHA-256 of its DER SubjectPublicKeyInfo. This is
    /// the Rekor v1 <c>logID</c> and the Rekor v2 / trusted root <c>logId.keyId</c>.
    /// </summary>
    public static byte[] KeyId(ReadOnlySpan<byte> subjectPublicKeyInfo) => SHA256.HashData(subjectPublicKeyInfo);

    /// <inheritdoc />
    public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(_subjectPublicKeyInfo, out _);
        try
        {
            return key.VerifyData(message, signature, _hashAlgorithm, DSASignatureFormat.Rfc3279DerSequence);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
