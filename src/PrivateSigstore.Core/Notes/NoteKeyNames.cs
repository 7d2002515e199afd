using System.Buffers.Binary;

namespace PrivateSigstore.Core.Notes;

/// <summary>Shared guards for note signer and verifier constructors.</summary>
internal static class NoteKeyNames
{
    /// <summary>Returns <paramref name="name"/> if it is a valid note key name; otherwise throws <see cref="ArgumentException"/>.</summary>
    public static string Require(string name) =>
        SignedNote.IsValidKeyName(name) ? name : throw new ArgumentException($"invalid note key name \"{name}\"", nameof(name));

    /// <summary>The 4-byte key hint of a 32-byte key ID: its first four bytes, big-endian.</summary>
    public static uint Hint(ReadOnlySpan<byte> keyId) => BinaryPrimitives.ReadUInt32BigEndian(keyId);
}
