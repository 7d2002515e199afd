using System.Text.Json;
using PrivateSigstore.Client.Verification;
using HashAlgorithm = PrivateSigstore.Core.Bundle.HashAlgorithm;

namespace PrivateSigstore.Client.Oci;

/// <summary>The outcome for one signature found for an image: its record, or why it was not considered.</summary>
public sealed record ImageSignatureResult(FoundSignature Signature, VerificationRecord? Record, string? Skipped)
{
    public bool IsVerified => Record?.IsVerified == true;
}

/// <summary>
/// Verifies the signatures stored for an image as cosign 3 does (<c>pkg/cosign/verify.go</c>
/// <c>verifyImageAttestationsSigstoreBundle</c>): each bundle is verified with the image's manifest digest as the
/// artifact digest (sigstore-go <c>WithArtifactDigest</c>), so a DSSE statement must name that digest as a subject
/// and a message signature must be over it. A legacy <c>.sig</c> payload must also name the digest in
/// <c>critical.image.docker-manifest-digest</c> (cosign <c>SimpleClaimVerifier</c>).
/// </summary>
public static class ImageVerification
{
    /// <summary>cosign's simple-signing type (pkg/cosign <c>payload.CosignSignatureType</c>).</summary>
    public const string SimpleSigningType = "cosign container image signature";

    /// <summary>
    /// Verifies one found signature. <paramref name="predicateType"/> null: an image signature (a cosign 3 sign
    /// statement, a message signature over the digest, or a legacy simple-signing payload); otherwise an attestation
    /// whose in-toto predicate type must be exactly this.
    /// </summary>
    public static ImageSignatureResult Verify(BundleVerifier verifier, FoundSignature found, string imageDigest, IdentityPolicy identity, string? predicateType)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        ArgumentNullException.ThrowIfNull(found);
        ArgumentNullException.ThrowIfNull(imageDigest);
        var digestPolicy = new VerificationPolicy(ArtifactPolicy.FromDigest(HashAlgorithm.Sha2_256, Convert.FromHexString(imageDigest["sha256:".Length..])), identity);
        if (found.Bundle is not { } bundle)
        {
            return new ImageSignatureResult(found, verifier.Unreadable(found.Problem ?? "unreadable", digestPolicy), null);
        }
        if (predicateType is null)
        {
            if (bundle.DsseEnvelope is not null && found.PredicateType != ImageSignatureStore.CosignSignPredicateType)
            {
                return new ImageSignatureResult(found, null, $"an attestation ({found.PredicateType ?? "not in-toto"}), not an image signature");
            }
        }
        else if (bundle.DsseEnvelope is null)
        {
            return new ImageSignatureResult(found, null, "a signature, not an attestation");
        }
        else if (found.PredicateType != predicateType)
        {
            return new ImageSignatureResult(found, null, $"predicate type {found.PredicateType ?? "(none)"}, not {predicateType}");
        }
        if (found.SignedPayload is { } payload)
        {
            // Legacy .sig: the signature covers the simple-signing payload; the payload names the image digest.
            var record = verifier.Audit(bundle, new VerificationPolicy(ArtifactPolicy.FromBytes(payload), identity));
            if (record.IsVerified && SimpleSigningDigest(payload) is var (claimed, problem) && (problem is not null || claimed != imageDigest))
            {
                record = record with
                {
                    Verdict = "not-verified",
                    FailedStep = VerificationException.StepName(VerificationStep.ArtifactDigest),
                    Reason = problem ?? $"the signed payload names {claimed}, not the image digest {imageDigest}",
                };
            }
            return new ImageSignatureResult(found, record, null);
        }
        return new ImageSignatureResult(found, verifier.Audit(bundle, digestPolicy), null);
    }

    /// <summary>The digest a simple-signing payload names, or why it names none.</summary>
    private static (string? Digest, string? Problem) SimpleSigningDigest(byte[] payload)
    {
        try
        {
            using var json = JsonDocument.Parse(payload, new JsonDocumentOptions { MaxDepth = 32 });
            var critical = json.RootElement.GetProperty("critical");
            if (critical.GetProperty("type").GetString() != SimpleSigningType)
            {
                return (null, $"the signed payload's type is not \"{SimpleSigningType}\"");
            }
            return (critical.GetProperty("image").GetProperty("docker-manifest-digest").GetString(), null);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return (null, $"the signed payload is not a simple-signing document: {e.Message}");
        }
    }
}
