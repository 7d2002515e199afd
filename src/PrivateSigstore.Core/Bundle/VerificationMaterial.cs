namespace PrivateSigstore.Core.Bundle;

/// <summary>Timestamps gathered by the signer (<c>dev.sigstore.bundle.v1.TimestampVerificationData</c>).</summary>
public sealed record TimestampVerificationData
{
    /// <summary>RFC 3161 timestamps over the signature.</summary>
    public IReadOnlyList<Rfc3161SignedTimestamp> Rfc3161Timestamps { get; init; } = [];
}

/// <summary>
/// Everything needed to verify a bundle's signature (<c>dev.sigstore.bundle.v1.VerificationMaterial</c>).
/// The key material is the oneof <c>content</c>: at most one of <see cref="PublicKey"/>,
/// <see cref="X509CertificateChain"/> and <see cref="Certificate"/> may be set (the parser rejects two).
/// </summary>
public sealed record VerificationMaterial
{
    /// <summary>Oneof content: a hint for a key agreed out of band.</summary>
    public PublicKeyIdentifier? PublicKey { get; init; }

    /// <summary>Oneof content: a leaf certificate and its issuers (bundle v0.1 and v0.2).</summary>
    public X509CertificateChain? X509CertificateChain { get; init; }

    /// <summary>Oneof content: the leaf certificate alone (bundle v0.3).</summary>
    public DerCertificate? Certificate { get; init; }

    /// <summary>Transparency log entries for the signature.</summary>
    public IReadOnlyList<TransparencyLogEntry> TlogEntries { get; init; } = [];

    /// <summary>Signed timestamps for the signature; null when not set.</summary>
    public TimestampVerificationData? TimestampVerificationData { get; init; }
}
