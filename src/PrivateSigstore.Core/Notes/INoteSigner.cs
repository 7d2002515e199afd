namespace PrivateSigstore.Core.Notes;

/// <summary>
/// A key that signs C2SP signed notes (c2sp.org/signed-note), the counterpart of Go's
/// <c>golang.org/x/mod/sumdb/note.Signer</c>.
/// </summary>
public interface INoteSigner
{
    /// <summary>The key name written in the signature line: non-empty, no Unicode spaces, no '+'.</summary>
    string Name { get; }

    /// <summary>The 32-bit key ID written big-endian before the signature bytes.</summary>
    uint KeyHash { get; }

    /// <summary>Signs the note text (UTF-8, ending in a newline) and returns the raw signature bytes, without the key ID.</summary>
    byte[] Sign(ReadOnlySpan<byte> message);
}
