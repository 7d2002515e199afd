using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Witness;

/// <summary>
/// Makes c2sp.org/tlog-cosignature v1 (Ed25519) cosignatures: a note signature line whose key ID is
/// SHA-256(name || 0x0A || 0x04 || public key)[:4] and whose signature is <c>u64 timestamp (big-endian) || Ed25519
/// signature</c> over <c>"cosignature/v1\ntime &lt;timestamp&gt;\n" || checkpoint note text</c>. The key is borrowed.
/// </summary>
public sealed class Cosigner
{
    /// <summary>The signed-note signature type of timestamped Ed25519 cosignatures.</summary>
    public const byte SignatureType = Cosignature.SignatureType;

    private readonly ISigningKey _key;
    private readonly byte[] _publicKey;

    /// <summary>Creates a cosigner named <paramref name="name"/> over an Ed25519 <paramref name="key"/>.</summary>
    public Cosigner(string name, ISigningKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (!SignedNote.IsValidKeyName(name)) throw new ArgumentException($"invalid note key name \"{name}\"", nameof(name));
        if (key.Algorithm != SigningAlgorithm.Ed25519) throw new ArgumentException($"a v1 cosignature key is Ed25519, not {key.Algorithm}", nameof(key));
        Name = name;
        _key = key;
        _publicKey = Ed25519.PublicKeyFromSubjectPublicKeyInfo(key.SubjectPublicKeyInfo);
        KeyHash = Cosignature.KeyHash(name, _publicKey);
    }

    /// <summary>The key name in the cosignature lines.</summary>
    public string Name { get; }

    /// <summary>The 4-byte key ID.</summary>
    public uint KeyHash { get; }

    /// <summary>The raw 32-byte Ed25519 public key.</summary>
    public byte[] PublicKey => [.. _publicKey];

    /// <summary>Where the key lives (for logs and readiness).</summary>
    public string KeyDescription => _key.Description;

    /// <summary>The witness's verifier key, <c>name+hex8+base64(0x04 || public key)</c>, to give to clients and policies.</summary>
    public string VerifierKey => Cosignature.VerifierKey(Name, _publicKey);

    /// <summary>The signed message: <c>cosignature/v1\ntime &lt;t&gt;\n</c> followed by the checkpoint note text (Core's <see cref="Cosignature"/>).</summary>
    public static byte[] SignedMessage(ulong timestamp, ReadOnlySpan<byte> checkpointText) =>
        Cosignature.Message(Encoding.UTF8.GetString(checkpointText), timestamp);

    /// <summary>Cosigns the checkpoint note text at <paramref name="timestamp"/> (POSIX seconds, 1..2^63-1).</summary>
    public NoteSignature Cosign(ReadOnlySpan<byte> checkpointText, ulong timestamp)
    {
        if (timestamp is 0 or > long.MaxValue) throw new ArgumentOutOfRangeException(nameof(timestamp), "a cosignature timestamp is 1..2^63-1");
        var message = SignedMessage(timestamp, checkpointText);
        var signature = _key.Sign(message);
        if (signature.Length != Ed25519.SignatureSize || !Ed25519.Verify(_publicKey, message, signature))
        {
            throw new CryptographicException($"the witness key ({_key.Description}) returned a signature that does not verify with its public key");
        }

        var raw = new byte[8 + signature.Length];
        BinaryPrimitives.WriteUInt64BigEndian(raw, timestamp);
        signature.CopyTo(raw, 8);
        return new NoteSignature(Name, KeyHash, raw);
    }
}
