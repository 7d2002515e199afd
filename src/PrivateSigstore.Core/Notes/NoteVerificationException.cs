namespace PrivateSigstore.Core.Notes;

/// <summary>
/// Thrown when a well-formed signed note fails verification: a signature from a known key does not
/// verify, no known key signed it, or a checkpoint's origin is not the expected one. It is a
/// <see cref="WireFormatException"/> so that callers map it, like any rejected input, to a 4xx.
/// </summary>
public sealed class NoteVerificationException : WireFormatException
{
    /// <summary>Creates the exception with a human-readable reason.</summary>
    public NoteVerificationException(string reason) : base(reason) { }

    /// <summary>Creates the exception with a reason and the underlying cause.</summary>
    public NoteVerificationException(string reason, Exception inner) : base(reason, inner) { }

    /// <summary>Creates the exception with a generic reason (prefer the other constructors).</summary>
    public NoteVerificationException() : base("note verification failed") { }
}
