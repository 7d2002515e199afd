namespace PrivateSigstore.Core;

/// <summary>
/// Thrown by every Core parser when input is truncated, oversized or malformed.
/// Parsers MUST NOT let any other exception type escape for bad input; callers map this to a 4xx.
/// </summary>
public class WireFormatException : FormatException
{
    /// <summary>Creates the exception with a human-readable reason.</summary>
    public WireFormatException(string reason) : base(reason) => Reason = reason;

    /// <summary>Creates the exception with a reason and the underlying cause.</summary>
    public WireFormatException(string reason, Exception inner) : base(reason, inner) => Reason = reason;

    /// <summary>Creates the exception with no reason (prefer the other constructors).</summary>
    public WireFormatException() : this("malformed input") { }

    /// <summary>What was wrong with the input, suitable for an error response.</summary>
    public string Reason { get; }
}
