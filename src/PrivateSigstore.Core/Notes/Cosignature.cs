using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using PrivateSigstore.Core.Crypto;

namespace PrivateSigstore.Core.Notes;

/// <summary>
/// C2SP tlog-cosignature v1 with Ed25519: a witness's note signature on a checkpoint. Key ID =
/// SHA-256(name || 0x0A || 0x04 || 32-byte key)[:4]; the signature is an 8-byte big-endian POSIX timestamp followed
/// by the Ed25519 signature of <c>cosignature/v1\ntime &lt;t&gt;\n</c> + the checkpoint body.
/// </summary>
public static class Cosignature
{
    /// <summary>The signed-note signature type of Ed25519 cosignatures.</summary>
    public const byte SignatureType = 0x04;

    /// <summary>The key hash a cosignature line of <paramref name="name"/> with <paramref name="publicKey"/> carries.</summary>
    public static uint KeyHash(string name, ReadOnlySpan<byte> publicKey)
    {
        var data = new byte[Encoding.UTF8.GetByteCount(name) + 2 + publicKey.Length];
        var n = Encoding.UTF8.GetBytes(name, data);
        data[n] = 0x0A;
        data[n + 1] = SignatureType;
        publicKey.CopyTo(data.AsSpan(n + 2));
        return BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(data));
    }

    /// <summary>The message a v1 cosignature at <paramref name="timestamp"/> signs over a note body.</summary>
    public static byte[] Message(string noteText, ulong timestamp) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"cosignature/v1\ntime {timestamp}\n") + noteText);

    /// <summary>A cosignature by the Ed25519 <paramref name="seed"/> (for tests and development witnesses).</summary>
    public static NoteSignature Sign(string name, ReadOnlySpan<byte> seed, string noteText, ulong timestamp)
    {
        var publicKey = Ed25519.PublicKeyFromSeed(seed);
        var signature = new byte[8 + 64];
        BinaryPrimitives.WriteUInt64BigEndian(signature, timestamp);
        Ed25519.Sign(seed, Message(noteText, timestamp)).CopyTo(signature, 8);
        return new NoteSignature(name, KeyHash(name, publicKey), signature);
    }

    /// <summary>
    /// True when <paramref name="signature"/> is a valid v1 cosignature by (<paramref name="name"/>,
    /// <paramref name="publicKey"/>) over <paramref name="noteText"/>; <paramref name="timestamp"/> is its time.
    /// </summary>
    public static bool Verify(NoteSignature signature, string name, ReadOnlySpan<byte> publicKey, string noteText, out ulong timestamp)
    {
        ArgumentNullException.ThrowIfNull(signature);
        timestamp = 0;
        if (signature.Name != name || signature.KeyHash != KeyHash(name, publicKey) || signature.Signature.Length != 72) return false;
        timestamp = BinaryPrimitives.ReadUInt64BigEndian(signature.Signature);
        if (timestamp > long.MaxValue) return false;
        return Ed25519.Verify(publicKey, Message(noteText, timestamp), signature.Signature.AsSpan(8));
    }

    /// <summary>
    /// Parses a cosigner's verifier key <c>&lt;name&gt;+&lt;hex key ID&gt;+&lt;base64(0x04 || key)&gt;</c>; returns the name and the
    /// 32-byte public key. Throws <see cref="WireFormatException"/> naming what is wrong.
    /// </summary>
    public static (string Name, byte[] PublicKey) ParseVerifierKey(string vkey)
    {
        ArgumentNullException.ThrowIfNull(vkey);
        var parts = vkey.Split('+', 3); // the base64 key may itself contain '+'
        if (parts.Length != 3 || !SignedNote.IsValidKeyName(parts[0])) throw new WireFormatException("witness key: expected <name>+<key id>+<base64 key>");
        byte[] key;
        try
        {
            key = Convert.FromBase64String(parts[2]);
        }
        catch (FormatException e)
        {
            throw new WireFormatException("witness key: the key is not base64", e);
        }
        if (key.Length != 33 || key[0] != SignatureType) throw new WireFormatException("witness key: not an Ed25519 cosignature key (type 0x04, 32 bytes)");
        var publicKey = key[1..];
        if (!uint.TryParse(parts[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var id) || parts[1].Length != 8 || id != KeyHash(parts[0], publicKey))
        {
            throw new WireFormatException("witness key: the key ID does not match the name and key");
        }
        return (parts[0], publicKey);
    }

    /// <summary>The verifier key string of a cosigner.</summary>
    public static string VerifierKey(string name, ReadOnlySpan<byte> publicKey) =>
        string.Create(CultureInfo.InvariantCulture, $"{name}+{KeyHash(name, publicKey):x8}+{Convert.ToBase64String([SignatureType, .. publicKey])}");
}
