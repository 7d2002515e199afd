using PrivateSigstore.Core.ProtoJson;

namespace PrivateSigstore.Core.Bundle;

/// <summary>A digest and the algorithm that produced it (<c>dev.sigstore.common.v1.HashOutput</c>).</summary>
public sealed record HashOutput
{
    /// <summary>The hash algorithm; <see cref="HashAlgorithm.Unspecified"/> when not set.</summary>
    public HashAlgorithm Algorithm { get; init; }

    /// <summary>The raw digest octets; empty when not set.</summary>
    public byte[] Digest { get; init; } = [];
}

/// <summary>
/// A signature over an artifact (<c>dev.sigstore.common.v1.MessageSignature</c>). The digest only
/// identifies the artifact; verifiers must not use it to verify the signature.
/// </summary>
public sealed record MessageSignature
{
    /// <summary>The artifact digest, for identification only; null when not set.</summary>
    public HashOutput? MessageDigest { get; init; }

    /// <summary>The raw signature bytes as returned by the signing algorithm; empty when not set.</summary>
    public byte[] Signature { get; init; } = [];
}

/// <summary>The identity of a transparency log: a hash of its key (<c>dev.sigstore.common.v1.LogId</c>).</summary>
public sealed record LogId
{
    /// <summary>The key identifier bytes (for Rekor v1, SHA-256 of the DER SubjectPublicKeyInfo).</summary>
    public byte[] KeyId { get; init; } = [];
}

/// <summary>An RFC 3161 timestamp response (<c>dev.sigstore.common.v1.RFC3161SignedTimestamp</c>).</summary>
public sealed record Rfc3161SignedTimestamp
{
    /// <summary>The DER-encoded TimeStampResponse.</summary>
    public byte[] SignedTimestamp { get; init; } = [];
}

/// <summary>An unauthenticated hint naming a public key agreed out of band (<c>dev.sigstore.common.v1.PublicKeyIdentifier</c>).</summary>
public sealed record PublicKeyIdentifier
{
    /// <summary>The hint; empty when not set.</summary>
    public string Hint { get; init; } = "";
}

/// <summary>One DER-encoded X.509 certificate (<c>dev.sigstore.common.v1.X509Certificate</c>).</summary>
public sealed record DerCertificate
{
    /// <summary>The DER encoding of the certificate.</summary>
    public byte[] RawBytes { get; init; } = [];
}

/// <summary>
/// DER-encoded X.509 certificates (<c>dev.sigstore.common.v1.X509CertificateChain</c>). In a bundle the
/// first is the leaf and each next one issues the previous; in a trust root intermediates come first and
/// the root last.
/// </summary>
public sealed record X509CertificateChain
{
    /// <summary>The certificates in order.</summary>
    public IReadOnlyList<DerCertificate> Certificates { get; init; } = [];
}

/// <summary>
/// A validity period, inclusive of both ends (<c>dev.sigstore.common.v1.TimeRange</c>). A null end means
/// the period is still open; a null start means the field was not set.
/// </summary>
public sealed record TimeRange
{
    /// <summary>The first instant of the period, or null when not set.</summary>
    public ProtoTimestamp? Start { get; init; }

    /// <summary>The last instant of the period, or null when it has not ended.</summary>
    public ProtoTimestamp? End { get; init; }
}

/// <summary>
/// A public key with its algorithm and validity (<c>dev.sigstore.common.v1.PublicKey</c>). The encoding
/// of <see cref="RawBytes"/> follows <see cref="KeyDetails"/> (DER SubjectPublicKeyInfo for PKIX_*,
/// PKCS#1 for PKCS1_*).
/// </summary>
public sealed record PublicKeyMaterial
{
    /// <summary>The encoded key, or null when not set (the proto field has explicit presence).</summary>
    public byte[]? RawBytes { get; init; }

    /// <summary>The key encoding and signature algorithm.</summary>
    public PublicKeyDetails KeyDetails { get; init; }

    /// <summary>When the key may be used, inclusive; null when not set.</summary>
    public TimeRange? ValidFor { get; init; }
}
