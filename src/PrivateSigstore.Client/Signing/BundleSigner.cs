using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PrivateSigstore.Client.Rekor;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Dsse;
using PrivateSigstore.Core.Json;
using PrivateSigstore.Core.Pem;
using HashAlgorithm = PrivateSigstore.Core.Bundle.HashAlgorithm;

namespace PrivateSigstore.Client.Signing;

/// <summary>
/// Signs blobs (hashedrekord 0.0.1) and DSSE attestations (dsse 0.0.1), records them in a Rekor v1 log and returns
/// a bundle v0.3 (sigstore-js <c>MessageSignatureBundleBuilder</c> / <c>DSSEBundleBuilder</c> with <c>RekorWitness</c>).
/// </summary>
public sealed class BundleSigner
{
    private readonly RekorClient _rekor;

    /// <summary>Creates a signer that logs to <paramref name="rekor"/>.</summary>
    public BundleSigner(RekorClient rekor) => _rekor = rekor ?? throw new ArgumentNullException(nameof(rekor));

    /// <summary>Signs <paramref name="artifact"/>: the signature covers its bytes with the key's digest (SHA-256 for P-256).</summary>
    public async Task<Bundle> SignBlobAsync(SignerMaterial signer, byte[] artifact, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(artifact);
        var digest = SHA256.HashData(artifact);
        var signature = signer.Key.Sign(artifact);
        var proposed = new JsonObject
        {
            ["apiVersion"] = "0.0.1",
            ["kind"] = "hashedrekord",
            ["spec"] = new JsonObject
            {
                ["data"] = new JsonObject { ["hash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = Convert.ToHexStringLower(digest) } },
                ["signature"] = new JsonObject
                {
                    ["content"] = Convert.ToBase64String(signature),
                    ["publicKey"] = new JsonObject { ["content"] = VerifierPemBase64(signer) },
                },
            },
        };
        var entry = await _rekor.CreateEntryAsync(CanonicalJson.Serialize(proposed), cancellationToken).ConfigureAwait(false);
        return new Bundle
        {
            MediaType = BundleMediaType.V0_3,
            VerificationMaterial = Material(signer, entry),
            MessageSignature = new MessageSignature
            {
                MessageDigest = new HashOutput { Algorithm = HashAlgorithm.Sha2_256, Digest = digest },
                Signature = signature,
            },
        };
    }

    /// <summary>
    /// Signs <paramref name="payload"/> in a DSSE envelope of <paramref name="payloadType"/> (in-toto by default): the
    /// signature covers the PAE.
    /// </summary>
    public async Task<Bundle> AttestAsync(SignerMaterial signer, byte[] payload, string payloadType = DsseEnvelope.InTotoPayloadType, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(signer);
        ArgumentNullException.ThrowIfNull(payload);
        var signature = signer.Key.Sign(DsseEnvelope.PreAuthenticationEncoding(payloadType, payload));
        var envelope = new DsseEnvelope(payloadType, payload, [new DsseSignature(signature, null)]);
        // rekor dsse 0.0.1: the proposed content is the envelope JSON text and the verifiers' PEM, base64.
        var proposed = new JsonObject
        {
            ["apiVersion"] = "0.0.1",
            ["kind"] = "dsse",
            ["spec"] = new JsonObject
            {
                ["proposedContent"] = new JsonObject
                {
                    ["envelope"] = DsseEnvelopeJson.Serialize(envelope),
                    ["verifiers"] = new JsonArray(VerifierPemBase64(signer)),
                },
            },
        };
        var entry = await _rekor.CreateEntryAsync(Encoding.UTF8.GetBytes(proposed.ToJsonString()), cancellationToken).ConfigureAwait(false);
        return new Bundle
        {
            MediaType = BundleMediaType.V0_3,
            VerificationMaterial = Material(signer, entry),
            DsseEnvelope = envelope,
        };
    }

    private static string VerifierPemBase64(SignerMaterial signer)
    {
        var pem = signer.CertificateDer is { } cert ? GoPem.EncodeCertificates([cert]) : GoPem.EncodePublicKey(signer.Key.SubjectPublicKeyInfo);
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(pem));
    }

    private static VerificationMaterial Material(SignerMaterial signer, RekorEntry entry) => new()
    {
        Certificate = signer.CertificateDer is { } cert ? new DerCertificate { RawBytes = cert } : null,
        PublicKey = signer.CertificateDer is null ? new PublicKeyIdentifier { Hint = signer.PublicKeyHint } : null,
        TlogEntries = [entry.ToTransparencyLogEntry()],
    };
}
