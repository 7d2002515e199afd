using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Text;

namespace PrivateSigstore.Core.Notes;

/// <summary>
/// Verifies Ed25519 note signatures (c2sp.org/signed-note signature type 0x01, used by Rekor v2
/// log2025-1 and by witnesses): key ID = SHA-256(name || 0x0A || 0x01 || 32-byte public key), key
/// hint its first four bytes, signature pure Ed25519 over the note text.
/// </summary>
public sealed class Ed25519NoteVerifier : INoteVerifier
{
    private const byte SignatureType = 0x01;
    private readonly byte[] _publicKey;

    /// <summary>
    /// Creates a verifier for <paramref name="name"/> and a raw 32-byte public key. Throws
    /// <see cref="ArgumentException"/> for an invalid name and <see cref="WireFormatException"/> for
    /// a key that is not 32 bytes.
    /// </summary>
    public Ed25519NoteVerifier(string name, byte[] publicKey)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        Name = NoteKeyNames.Require(name);
        if (publicKey.Length != Ed25519.KeySize)
        {
            throw new WireFormatException("Ed25519 note key: public key is not 32 bytes");
        }

        _publicKey = [.. publicKey];
        KeyHash = NoteKeyNames.Hint(KeyId(name, _publicKey));
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public uint KeyHash { get; }

    /// <summary>A copy of the raw 32-byte public key.</summary>
    public byte[] PublicKey => [.. _publicKey];

    /// <summary>The C2SP verifier key string <c>name+hex(key ID)+base64(0x01 || public key)</c>.</summary>
    public string VerifierKey =>
        string.Create(CultureInfo.InvariantCulture, $"{Name}+{KeyHash:x8}+{Convert.ToBase64String([SignatureType, .. _publicKey])}");

    /// <summary>
    /// The full 32-byte key ID: SHA-256(UTF-8 name || 0x0A || 0x01 || public key). For Rekor v2 this
    /// is the trusted root's <c>logId.keyId</c>, with the origin as the name.
    /// </summary>
    public static byte[] KeyId(string name, ReadOnlySpan<byte> publicKey)
    {
        ArgumentNullException.ThrowIfNull(name);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes(name));
        sha.AppendData([0x0A, SignatureType]);
        sha.AppendData(publicKey);
        return sha.GetHashAndReset();
    }

    /// <summary>
    /// Creates a verifier from a DER Ed25519 SubjectPublicKeyInfo (the trusted root's
    /// <c>publicKey.rawBytes</c> for <c>PKIX_ED25519</c>). Throws <see cref="WireFormatException"/> for other bytes.
    /// </summary>
    public static Ed25519NoteVerifier FromSubjectPublicKeyInfo(string name, ReadOnlySpan<byte> subjectPublicKeyInfo) =>
        new(name, Ed25519.PublicKeyFromSubjectPublicKeyInfo(subjectPublicKeyInfo));

    /// <summary>
    /// Parses a C2SP verifier key <c>name+hex(key ID)+base64(0x01 || 32-byte key)</c> (Go's
    /// <c>note.NewVerifier</c>). Throws <see cref="WireFormatException"/> if it is malformed, not
    /// Ed25519, or its key ID does not match the name and key.
    /// </summary>
    public static Ed25519NoteVerifier ParseVerifierKey(string verifierKey)
    {
        ArgumentNullException.ThrowIfNull(verifierKey);
        var parts = verifierKey.Split('+', 3); // Go: strings.Cut twice; the base64 may hold '+'
        if (parts.Length != 3 || !SignedNote.IsValidKeyName(parts[0]) || parts[1].Length != 8
            || !uint.TryParse(parts[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hash)
            || !StrictBase64.TryDecode(parts[2], out var key) || key.Length == 0)
        {
            throw new WireFormatException("verifier key: malformed (want name+hex8+base64)");
        }

        if (key[0] != SignatureType || key.Length != 1 + Ed25519.KeySize)
        {
            throw new WireFormatException("verifier key: not an Ed25519 key");
        }

        var verifier = new Ed25519NoteVerifier(parts[0], key[1..]);
        return verifier.KeyHash == hash ? verifier : throw new WireFormatException("verifier key: key ID does not match the name and key");
    }

    /// <inheritdoc />
    public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) => Ed25519.Verify(_publicKey, message, signature);
}
