using PrivateSigstore.Core.Ct;

namespace PrivateSigstore.Fulcio.Issuance;

/// <summary>The CT log the CA submits to (RFC 6962 §4.1 add-chain, §4.2 add-pre-chain).</summary>
public interface ICertificateTransparencyLog
{
    /// <summary>Submits a precertificate chain (precertificate, issuing CA, …, root, as DER) and returns its SCT.</summary>
    /// <exception cref="CtSubmissionException">The log refused the chain, was unreachable, or returned an SCT that does not verify.</exception>
    Task<SignedCertificateTimestamp> AddPreChainAsync(IReadOnlyList<byte[]> chainDer, CancellationToken cancellationToken);

    /// <summary>Submits a certificate chain (leaf, issuing CA, …, root, as DER) and returns its SCT.</summary>
    /// <exception cref="CtSubmissionException">The log refused the chain, was unreachable, or returned an SCT that does not verify.</exception>
    Task<SignedCertificateTimestamp> AddChainAsync(IReadOnlyList<byte[]> chainDer, CancellationToken cancellationToken);
}

/// <summary>A CT submission failed; the CA answers 500 "Error entering certificate in CTL" and issues nothing.</summary>
public sealed class CtSubmissionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CtSubmissionException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public CtSubmissionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public CtSubmissionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
