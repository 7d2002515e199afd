namespace PrivateSigstore.Fulcio.Issuance;

/// <summary>What part of a signing-certificate request was rejected (every kind is a client error, HTTP 400).</summary>
public enum IssuanceError
{
    /// <summary>The token's claims do not map to an identity for the issuer type.</summary>
    InvalidIdentity,

    /// <summary>The public key could not be parsed (upstream <c>invalidPublicKey</c>).</summary>
    InvalidPublicKey,

    /// <summary>The public key is of a type or size the key policy rejects (upstream <c>insecurePublicKey</c>).</summary>
    InsecurePublicKey,

    /// <summary>The proof of possession or the CSR self-signature does not verify (upstream <c>invalidSignature</c>).</summary>
    InvalidSignature,

    /// <summary>The certificate signing request could not be parsed (upstream <c>invalidCSR</c>).</summary>
    InvalidCsr,

    /// <summary>The (key, hash) pair is not in the allowed client signing algorithms.</summary>
    SigningAlgorithmNotPermitted,
}

/// <summary>
/// A signing-certificate request is rejected. <see cref="Exception.Message"/> is the text Fulcio answers with (for
/// example "The public key supplied in the request is insecure"); <see cref="Detail"/> says precisely why.
/// </summary>
public sealed class IssuanceException : Exception
{
    /// <summary>Creates the exception with no message.</summary>
    public IssuanceException()
    {
    }

    /// <summary>Creates an <see cref="IssuanceError.InvalidIdentity"/> exception with a message.</summary>
    public IssuanceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an <see cref="IssuanceError.InvalidIdentity"/> exception with a message and its cause.</summary>
    public IssuanceException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for <paramref name="error"/> with the client-facing message and a detail.</summary>
    public IssuanceException(IssuanceError error, string message, string? detail = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
        Detail = detail ?? message;
    }

    /// <summary>What was rejected.</summary>
    public IssuanceError Error { get; }

    /// <summary>The precise reason, for logs (may equal the message).</summary>
    public string Detail { get; } = "";

    /// <summary>Fulcio's messages (<c>pkg/server/error.go</c>).</summary>
    internal static class Messages
    {
        internal const string InvalidSignature = "The signature supplied in the request could not be verified";
        internal const string InvalidPublicKey = "The public key supplied in the request could not be parsed";
        internal const string InvalidCsr = "The certificate signing request could not be parsed";
        internal const string InsecurePublicKey = "The public key supplied in the request is insecure";
        internal const string SigningAlgorithmNotPermitted = "signing algorithm not permitted";
    }

    internal static IssuanceException Identity(string message) => new(IssuanceError.InvalidIdentity, message);
}
