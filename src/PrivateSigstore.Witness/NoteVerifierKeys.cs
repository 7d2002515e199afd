using System.Globalization;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Core.Text;

namespace PrivateSigstore.Witness;

/// <summary>
/// C2SP signed-note verifier keys (<c>&lt;name&gt;+&lt;hex8 key ID&gt;+&lt;base64(type || key)&gt;</c>) of the kinds logs use:
/// 0x01 Ed25519 (key ID SHA-256(name || 0x0A || 0x01 || key)[:4]) and 0x02 ECDSA (DER SubjectPublicKeyInfo, key ID
/// SHA-256(SPKI)[:4], as transparency-dev/witness, Rekor v1 and rekor-tiles with P-256).
/// </summary>
public static class NoteVerifierKeys
{
    /// <summary>Signature type of Ed25519 note keys.</summary>
    public const byte Ed25519Type = 0x01;

    /// <summary>Signature type of ECDSA note keys.</summary>
    public const byte EcdsaType = 0x02;

    /// <summary>Parses a verifier key. Throws <see cref="WireFormatException"/> saying what is wrong (shape, type, key, key ID).</summary>
    public static INoteVerifier Parse(string verifierKey)
    {
        ArgumentNullException.ThrowIfNull(verifierKey);
        var parts = verifierKey.Split('+', 3);
        if (parts.Length != 3 || !SignedNote.IsValidKeyName(parts[0]) || parts[1].Length != 8
            || !uint.TryParse(parts[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hash)
            || !StrictBase64.TryDecode(parts[2], out var key) || key.Length == 0)
        {
            throw new WireFormatException("is malformed (want name+hex8+base64(type||key))");
        }

        INoteVerifier verifier;
        switch (key[0])
        {
            case Ed25519Type:
                verifier = Ed25519NoteVerifier.ParseVerifierKey(verifierKey);
                break;
            case EcdsaType:
                verifier = new EcdsaNoteVerifier(parts[0], key[1..]);
                break;
            default:
                throw new WireFormatException($"has key type 0x{key[0]:x2}; a log key is 0x01 (Ed25519) or 0x02 (ECDSA)");
        }

        return verifier.KeyHash == hash ? verifier : throw new WireFormatException("key ID does not match the name and key");
    }

    /// <summary>The verifier key of an ECDSA note key (type 0x02).</summary>
    public static string FormatEcdsa(string name, ReadOnlySpan<byte> subjectPublicKeyInfo)
    {
        var hint = NoteKeyHint(EcdsaNoteVerifier.KeyId(subjectPublicKeyInfo));
        return string.Create(CultureInfo.InvariantCulture, $"{name}+{hint:x8}+{Convert.ToBase64String([EcdsaType, .. subjectPublicKeyInfo])}");
    }

    internal static uint NoteKeyHint(ReadOnlySpan<byte> keyId) => System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(keyId);
}
