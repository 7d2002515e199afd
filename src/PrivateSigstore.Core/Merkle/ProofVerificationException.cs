namespace PrivateSigstore.Core.Merkle;

/// <summary>
/// Thrown by <see cref="ProofVerifier"/> when an inclusion or consistency proof does not verify:
/// malformed (a hash that is not 32 bytes, the wrong number of hashes, an index outside the tree)
/// or simply wrong (the calculated root differs). <see cref="WireFormatException.Reason"/> says which.
/// </summary>
public sealed class ProofVerificationException : WireFormatException
{
    /// <summary>Creates the exception with a human-readable reason.</summary>
    public ProofVerificationException(string reason) : base(reason)
    {
    }

    /// <summary>Creates the exception with a reason and the underlying cause.</summary>
    public ProofVerificationException(string reason, Exception inner) : base(reason, inner)
    {
    }

    /// <summary>Creates the exception with no specific reason (prefer the other constructors).</summary>
    public ProofVerificationException() : base("proof verification failed")
    {
    }
}
