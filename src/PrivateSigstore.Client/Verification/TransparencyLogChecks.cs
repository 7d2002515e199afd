using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Bundle;
using HashAlgorithm = PrivateSigstore.Core.Bundle.HashAlgorithm;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Ct;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Core.Rekor;
using PublicKey = PrivateSigstore.Core.Crypto.PublicKey;

namespace PrivateSigstore.Client.Verification;

/// <summary>The per-entry and per-certificate checks of <see cref="BundleVerifier"/>, one method per upstream helper.</summary>
internal static class TransparencyLogChecks
{
    /// <summary>sigstore-go <c>tlog.VerifySET</c>: the log's ECDSA signature over the canonical {body, integratedTime, logID, logIndex}.</summary>
    public static void VerifySignedEntryTimestamp(TransparencyLogEntry entry, InclusionPromise promise, TrustedLogKey log, string logIdHex)
    {
        var payload = SignedEntryTimestamp.Payload(Convert.ToBase64String(entry.CanonicalizedBody), entry.IntegratedTime, logIdHex, entry.LogIndex);
        if (log.EcdsaKey is not { } key)
        {
            throw new VerificationException(VerificationStep.InclusionPromise, "SET: the log key is not an ECDSA key");
        }
        if (!SignedEntryTimestamp.Verify(payload, promise.SignedEntryTimestamp, key))
        {
            throw new VerificationException(VerificationStep.InclusionPromise, $"the signed entry timestamp of entry {entry.LogIndex} does not verify with log {logIdHex}");
        }
    }

    /// <summary>
    /// rekor <c>VerifyCheckpointSignature</c> then <c>VerifyInclusion</c>: the checkpoint is signed by the log key alone,
    /// commits to the proof's tree size and root hash, and the audit path leads from the body's leaf hash to that root.
    /// Returns the checkpoint text.
    /// </summary>
    public static string VerifyInclusion(TransparencyLogEntry entry, TlogInclusionProof proof, TrustedLogKey log)
    {
        var checkpoint = ParseCheckpoint(proof);
        if (log.NoteVerifier is not EcdsaNoteVerifier noteVerifier)
        {
            throw new VerificationException(VerificationStep.Checkpoint, "only ECDSA Rekor v1 log keys are supported for checkpoints");
        }
        if (!checkpoint.VerifyRekorV1(noteVerifier))
        {
            throw new VerificationException(VerificationStep.Checkpoint, "the checkpoint is not signed by the log's key");
        }
        return VerifyProof(entry, proof, checkpoint);
    }

    /// <summary>
    /// Rekor v2 (rekor-tiles <c>VerifyLogEntry</c> with sigstore-go's note verifier): the C2SP checkpoint's origin is the
    /// log's host name and a signature by the log's key (named by that host) verifies; then the same proof checks.
    /// </summary>
    public static string VerifyInclusionV2(TransparencyLogEntry entry, TlogInclusionProof proof, TrustedLogKey log)
    {
        var checkpoint = ParseCheckpoint(proof);
        if (log.NoteVerifier is not { } noteVerifier)
        {
            throw new VerificationException(VerificationStep.Checkpoint, "the log key cannot verify checkpoints (ECDSA or Ed25519 needed)");
        }
        try
        {
            checkpoint.Verify([noteVerifier], TrustedMaterial.HostName(log.BaseUrl));
        }
        catch (WireFormatException e)
        {
            throw new VerificationException(VerificationStep.Checkpoint, $"the checkpoint does not verify: {e.Message}", e);
        }
        return VerifyProof(entry, proof, checkpoint);
    }

    private static SignedCheckpoint ParseCheckpoint(TlogInclusionProof proof)
    {
        try
        {
            return SignedCheckpoint.Parse(proof.Checkpoint?.Envelope ?? "");
        }
        catch (WireFormatException e)
        {
            throw new VerificationException(VerificationStep.Checkpoint, $"the checkpoint does not parse: {e.Message}", e);
        }
    }

    private static string VerifyProof(TransparencyLogEntry entry, TlogInclusionProof proof, SignedCheckpoint checkpoint)
    {
        if (checkpoint.Checkpoint.Size != (ulong)proof.TreeSize || !checkpoint.Checkpoint.RootHash.AsSpan().SequenceEqual(proof.RootHash))
        {
            throw new VerificationException(VerificationStep.Checkpoint,
                $"the checkpoint (size {checkpoint.Checkpoint.Size}) does not commit to the proof's tree (size {proof.TreeSize}) and root hash");
        }
        try
        {
            ProofVerifier.VerifyInclusion(Rfc6962.HashLeaf(entry.CanonicalizedBody), (ulong)proof.LogIndex, (ulong)proof.TreeSize, proof.Hashes, proof.RootHash);
        }
        catch (Exception e) when (e is ProofVerificationException or ArgumentException)
        {
            throw new VerificationException(VerificationStep.InclusionProof, $"the inclusion proof of entry {entry.LogIndex} does not verify: {e.Message}", e);
        }
        return checkpoint.Serialize();
    }

    /// <summary>
    /// sigstore-go VerifyTlogEntry's comparison of a v1 body with the bundle (and sigstore-js <c>verifyTLogBody</c>):
    /// same kind and version, same signature, same key or certificate, same artifact digest or DSSE payload hash.
    /// </summary>
    public static void CompareBody(Bundle bundle, TransparencyLogEntry entry, LogEntryBody body, LeafCertificate? leaf, PublicKey key, byte[] signature)
    {
        if (entry.KindVersion is not { } kindVersion || kindVersion.Kind != body.Kind || kindVersion.Version != body.ApiVersion)
        {
            throw Mismatch($"kindVersion {entry.KindVersion?.Kind} {entry.KindVersion?.Version} is not the body's {body.Kind} {body.ApiVersion}");
        }
        if (!body.Signature.AsSpan().SequenceEqual(signature))
        {
            throw Mismatch("transparency log signature does not match the bundle's");
        }
        var sameKey = body.Verifier.Type switch
        {
            GoPem.CertificateType => leaf is not null && body.Verifier.Bytes.AsSpan().SequenceEqual(leaf.RawData),
            GoPem.PublicKeyType => body.Verifier.Bytes.AsSpan().SequenceEqual(key.SubjectPublicKeyInfo),
            _ => false,
        };
        if (!sameKey)
        {
            if (leaf is null && body.Verifier.Type == GoPem.PublicKeyType)
            {
                // A key-signed bundle checked with another key (the usual wrong --key): say so, not "entry body mismatch".
                throw new VerificationException(VerificationStep.Signature,
                    $"the key given does not match the key the bundle was signed with (log entry key SHA-256 {Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(body.Verifier.Bytes))[..16]}…, given key {Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(key.SubjectPublicKeyInfo))[..16]}…)");
            }
            throw Mismatch("transparency log certificate or key does not match the bundle's");
        }
        if (bundle.MessageSignature is { } message)
        {
            if (body.Kind != "hashedrekord")
            {
                throw Mismatch("transparency log entry is not a hashedrekord");
            }
            var algorithm = ArtifactPolicy.AlgorithmName(message.MessageDigest?.Algorithm ?? HashAlgorithm.Sha2_256);
            if (body.DigestAlgorithm != algorithm || !body.Digest.AsSpan().SequenceEqual(message.MessageDigest?.Digest ?? []))
            {
                throw Mismatch($"transparency log digest {body.DigestAlgorithm}:{Convert.ToHexStringLower(body.Digest)} does not match the bundle's");
            }
        }
        else if (body.Kind == "hashedrekord" && body.ApiVersion == "0.0.2")
        {
            // A DSSE bundle logged as a Rekor v2 hashedrekord: the digest is SHA-256 of the PAE (reference/client.md §2.3).
            var envelope = bundle.DsseEnvelope!;
            var pae = Core.Dsse.DsseEnvelope.PreAuthenticationEncoding(envelope.PayloadType, envelope.Payload);
            if (body.DigestAlgorithm != "sha256" || !body.Digest.AsSpan().SequenceEqual(SHA256.HashData(pae)))
            {
                throw Mismatch("transparency log digest does not match the envelope's PAE");
            }
        }
        else if (!body.IsDsse || body.DigestAlgorithm != "sha256"
                 || !body.Digest.AsSpan().SequenceEqual(SHA256.HashData(bundle.DsseEnvelope!.Payload)))
        {
            throw Mismatch("transparency log payload hash does not match the envelope's payload");
        }
    }

    /// <summary>
    /// sigstore-go <c>VerifySignedCertificateTimestamp</c>: counts the embedded SCTs from distinct trusted CT logs, valid
    /// at the SCT's time, whose signature over the precertificate verifies with the issuer key hash of <paramref name="issuerSpki"/>.
    /// </summary>
    public static int CountVerifiedScts(LeafCertificate leaf, byte[] issuerSpki, TrustedMaterial material)
    {
        if (leaf.Extension(SigstoreOids.SctList) is not { } extension)
        {
            return 0;
        }
        IReadOnlyList<SignedCertificateTimestamp> scts;
        try
        {
            scts = SctList.FromExtension(extension);
        }
        catch (WireFormatException e)
        {
            throw new VerificationException(VerificationStep.CertificateTransparency, $"the embedded SCT list does not parse: {e.Message}", e);
        }
        var verifiedLogs = new HashSet<string>(StringComparer.Ordinal);
        foreach (var sct in scts)
        {
            if (material.FindCtLog(sct.LogId) is not { } log
                || !log.ValidAt(DateTimeOffset.FromUnixTimeMilliseconds((long)sct.Timestamp))
                || log.EcdsaKey is not { } key)
            {
                continue;
            }
            if (SctVerification.VerifyEmbedded(leaf.RawData, issuerSpki, sct, key))
            {
                verifiedLogs.Add(Convert.ToHexStringLower(sct.LogId));
            }
        }
        return verifiedLogs.Count;
    }

    private static VerificationException Mismatch(string reason) => new(VerificationStep.EntryBodyMismatch, reason);
}
