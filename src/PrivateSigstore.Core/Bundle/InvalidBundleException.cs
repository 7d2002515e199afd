namespace PrivateSigstore.Core.Bundle;

/// <summary>
/// Thrown by <see cref="Bundle.Validate"/> when a well-formed bundle breaks the bundle format's rules
/// (required fields, version rules). <see cref="Violations"/> lists every rule broken, each as
/// "field path: rule", with field paths as sigstore-js's <c>ValidationError</c> names them.
/// </summary>
public sealed class InvalidBundleException : WireFormatException
{
    /// <summary>Creates the exception for the given violations.</summary>
    public InvalidBundleException(string summary, IReadOnlyList<string> violations)
        : base(summary + ": " + string.Join("; ", violations)) => Violations = violations;

    /// <summary>Creates the exception with a reason and no itemized violations.</summary>
    public InvalidBundleException(string reason) : base(reason) => Violations = [reason];

    /// <summary>Creates the exception with a reason and an underlying cause.</summary>
    public InvalidBundleException(string reason, Exception inner) : base(reason, inner) => Violations = [reason];

    /// <summary>Creates the exception with no reason (prefer the other constructors).</summary>
    public InvalidBundleException() : this("invalid bundle") { }

    /// <summary>Every rule the bundle breaks, as "field path: rule".</summary>
    public IReadOnlyList<string> Violations { get; }
}
