namespace PrivateSigstore.Core.Notes;

/// <summary>
/// A trusted public key for C2SP signed notes, the counterpart of Go's
/// <c>golang.org/x/mod/sumdb/note.Verifier</c>. A signature line is checked by the verifier whose
/// <see cref="Name"/> and <see cref="KeyHash"/> both match it.
/// </summary>
public interface INoteVerifier
{
    /// <summary>The key name expected in the signature line.</summary>
    string Name { get; }

    /// <summary>The 32-bit key ID expected in the first four bytes of the signature.</summary>
    uint KeyHash { get; }

    /// <summary>Reports whether <paramref name="signature"/> (without the key ID) is valid for <paramref name="message"/>. Never throws for malformed signatures.</summary>
    bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature);
}
