using PrivateSigstore.Core;

namespace PrivateSigstore.Rekor.Entries;

/// <summary>
/// A proposed Rekor v1 entry was rejected. <see cref="WireFormatException.Reason"/> is the message a
/// Rekor-compatible service returns in its error body <c>{"code": …, "message": …}</c>; it mirrors
/// upstream Rekor's wording (<c>pkg/api/error.go</c>, <c>pkg/types/**/entry.go</c>, sigstore's
/// verifiers), e.g. <c>error processing entry: entry algorithms are not allowed</c> or
/// <c>error processing entry: verifying signature: invalid signature when validating ASN.1 encoded signature</c>.
/// </summary>
/// <remarks>
/// Upstream answers most rejections from <c>POST /api/v1/log/entries</c> with 400 and the message
/// <c>"error processing entry: " + error</c> (<c>validationError</c>); request-binding failures
/// (unknown kind, missing <c>apiVersion</c>/<c>spec</c>) come from go-openapi with 422.
/// <see cref="HttpStatus"/> carries that upstream status; <see cref="Detail"/> is the error without the
/// <c>error processing entry:</c> prefix, which is what upstream's <c>/api/v1/log/entries/retrieve</c>
/// returns for a bad proposed entry (and what <see cref="WireFormatException.Reason"/> holds when
/// <see cref="RekorEntryPolicy.ForSearch"/> is set).
/// </remarks>
public sealed class RekorEntryException : WireFormatException
{
    /// <summary>Creates the exception with a reason; <see cref="Detail"/> equals it and <see cref="HttpStatus"/> is 400.</summary>
    public RekorEntryException(string reason) : this(reason, reason, 400, null) { }

    /// <summary>Creates the exception with a reason and the underlying cause; <see cref="HttpStatus"/> is 400.</summary>
    public RekorEntryException(string reason, Exception inner) : this(reason, reason, 400, inner) { }

    /// <summary>Creates the exception with no reason (prefer the other constructors).</summary>
    public RekorEntryException() : this("invalid proposed entry") { }

    /// <summary>Creates the exception with all of its parts.</summary>
    /// <param name="reason">The full message for the error response.</param>
    /// <param name="detail">The underlying error without the <c>error processing entry:</c> prefix.</param>
    /// <param name="httpStatus">The HTTP status upstream Rekor answers with (400, 413 or 422).</param>
    /// <param name="inner">The underlying cause, if any.</param>
    public RekorEntryException(string reason, string detail, int httpStatus, Exception? inner)
        : base(reason, inner!)
    {
        Detail = detail;
        HttpStatus = httpStatus;
    }

    /// <summary>The error without upstream's <c>error processing entry:</c> prefix.</summary>
    public string Detail { get; }

    /// <summary>The HTTP status upstream Rekor answers with for this rejection: 400 (validation), 413 (size) or 422 (request binding).</summary>
    public int HttpStatus { get; }
}
