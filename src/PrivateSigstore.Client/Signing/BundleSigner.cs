using PrivateSigstore.Client.Rekor;
using PrivateSigstore.Client.Timestamp;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Dsse;
using PrivateSigstore.Keys;
using HashAlgorithm = PrivateSigstore.Core.Bundle.HashAlgorithm;

namespace PrivateSigstore.Client.Signing;

/// <summary>
/// Signs blobs and DSSE attestations, timestamps the signature at each timestamp authority (RFC 3161), records it in
/// each Rekor log (v1: hashedrekord/dsse 0.0.1 with a SET; v2: hashedrekord 0.0.2 with integrated time 0 and no SET) and
/// returns a bundle v0.3 (sigstore-go <c>sign.Bundle</c>; sigstore-js <c>MessageSignatureBundleBuilder</c> /
/// <c>DSSEBundleBuilder</c>). A Rekor v2 entry proves no signing time, so a signer with a v2 log must have a timestamp
/// authority.
/// </summary>
public sealed class BundleSigner
{
    private readonly IReadOnlyList<ITransparencyLogWriter> _logs;
    private readonly IReadOnlyList<TimestampClient> _timestampAuthorities;

    /// <summary>Creates a signer that logs to one Rekor v1 log, without timestamps.</summary>
    public BundleSigner(RekorClient rekor) : this([new RekorV1Writer(rekor ?? throw new ArgumentNullException(nameof(rekor)))])
    {
    }

    /// <summary>Creates a signer that timestamps at <paramref name="timestampAuthorities"/> and logs to <paramref name="logs"/>.</summary>
    /// <exception cref="ArgumentException">No log, or a Rekor v2 log without a timestamp authority.</exception>
    public BundleSigner(IReadOnlyList<ITransparencyLogWriter> logs, IReadOnlyList<TimestampClient>? timestampAuthorities = null)
    {
        ArgumentNullException.ThrowIfNull(logs);
        if (logs.Count == 0)
        {
            throw new ArgumentException("at least one transparency log is needed", nameof(logs));
        }
        _logs = logs;
        _timestampAuthorities = timestampAuthorities ?? [];
        if (_timestampAuthorities.Count == 0 && logs.Any(l => l.MajorApiVersion >= 2))
        {
            throw new ArgumentException(
                "Rekor v2 entries carry no signed entry timestamp: signing with a Rekor v2 log needs a timestamp authority (tsaUrls in the signing config)",
                nameof(timestampAuthorities));
        }
    }

    /// <summary>
    /// Signs <paramref name="artifact"/>: the signature covers its bytes with the key's digest. The bundle's message
    /// digest is SHA-256 for v1-only signing (as before) and the key's digest when a v2 log is used (hashedrekord 0.0.2
    /// wants the digest of the key's algorithm: SHA-256 for P-256 and RSA).
    /// </summary>
    public async Task<Bundle> SignBlobAsync(SignerMaterial signer, byte[] artifact, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(artifact);
        var algorithm = _logs.Any(l => l.MajorApiVersion >= 2)
            ? RekorV2Client.DigestOf(RekorV2Client.KeyDetailsFor(signer.Key.SubjectPublicKeyInfo))
            : HashAlgorithm.Sha2_256;
        byte[] digest;
        byte[] signature;
        if (signer.Key.Algorithm == SigningAlgorithm.Ed25519 && _logs.All(l => l.MajorApiVersion == 1))
        {
            // Rekor's hashedrekord 0.0.1 verifies an Ed25519 key as Ed25519ph over a SHA-512 digest (upstream
            // WithED25519ph; "unsupported hash algorithm SHA-256 not in [SHA-512]" otherwise): sign the digest so.
            if (signer.Key is not InMemorySigningKey ed25519)
            {
                throw new ArgumentException("this Ed25519 key (in a PKCS#11 token) cannot sign Ed25519ph, which Rekor's hashedrekord needs for Ed25519 keys: sign blobs with an ECDSA key, or sign an attestation (DSSE) instead");
            }
            algorithm = HashAlgorithm.Sha2_512;
            digest = RekorV2Client.HashData(algorithm, artifact);
            signature = ed25519.SignEd25519Prehashed(digest);
        }
        else
        {
            digest = RekorV2Client.HashData(algorithm, artifact);
            signature = signer.Key.Sign(artifact);
        }
        var timestamps = await TimestampAsync(signature, cancellationToken).ConfigureAwait(false);
        var entries = new List<TransparencyLogEntry>(_logs.Count);
        foreach (var log in _logs)
        {
            entries.Add(await log.LogMessageSignatureAsync(signer, algorithm, digest, signature, cancellationToken).ConfigureAwait(false));
        }
        return new Bundle
        {
            MediaType = BundleMediaType.V0_3,
            VerificationMaterial = Material(signer, entries, timestamps),
            MessageSignature = new MessageSignature
            {
                MessageDigest = new HashOutput { Algorithm = algorithm, Digest = digest },
                Signature = signature,
            },
        };
    }

    /// <summary>
    /// Signs <paramref name="payload"/> in a DSSE envelope of <paramref name="payloadType"/> (in-toto by default): the
    /// signature covers the PAE; timestamps cover the envelope's signature.
    /// </summary>
    public async Task<Bundle> AttestAsync(SignerMaterial signer, byte[] payload, string payloadType = DsseEnvelope.InTotoPayloadType, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(payload);
        if (_logs.Any(l => l.MajorApiVersion >= 2))
        {
            RekorV2Client.KeyDetailsFor(signer.Key.SubjectPublicKeyInfo); // refuse unsupported keys before signing
        }
        var signature = signer.Key.Sign(DsseEnvelope.PreAuthenticationEncoding(payloadType, payload));
        var envelope = new DsseEnvelope(payloadType, payload, [new DsseSignature(signature, null)]);
        var timestamps = await TimestampAsync(signature, cancellationToken).ConfigureAwait(false);
        var entries = new List<TransparencyLogEntry>(_logs.Count);
        foreach (var log in _logs)
        {
            entries.Add(await log.LogDsseAsync(signer, envelope, cancellationToken).ConfigureAwait(false));
        }
        return new Bundle
        {
            MediaType = BundleMediaType.V0_3,
            VerificationMaterial = Material(signer, entries, timestamps),
            DsseEnvelope = envelope,
        };
    }

    private async Task<List<Rfc3161SignedTimestamp>> TimestampAsync(byte[] signature, CancellationToken cancellationToken)
    {
        var timestamps = new List<Rfc3161SignedTimestamp>(_timestampAuthorities.Count);
        foreach (var authority in _timestampAuthorities)
        {
            timestamps.Add(TimestampClient.ToSignedTimestamp(await authority.TimestampAsync(signature, cancellationToken).ConfigureAwait(false)));
        }
        return timestamps;
    }

    private static VerificationMaterial Material(SignerMaterial signer, List<TransparencyLogEntry> entries, List<Rfc3161SignedTimestamp> timestamps) => new()
    {
        Certificate = signer.CertificateDer is { } cert ? new DerCertificate { RawBytes = cert } : null,
        PublicKey = signer.CertificateDer is null ? new PublicKeyIdentifier { Hint = signer.PublicKeyHint } : null,
        TlogEntries = entries,
        TimestampVerificationData = timestamps.Count == 0 ? null : new TimestampVerificationData { Rfc3161Timestamps = timestamps },
    };
}
