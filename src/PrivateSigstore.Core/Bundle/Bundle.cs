using System.Globalization;
using PrivateSigstore.Core.Dsse;

namespace PrivateSigstore.Core.Bundle;

/// <summary>
/// A Sigstore bundle (<c>dev.sigstore.bundle.v1.Bundle</c>): a signature, or a DSSE envelope, with all the
/// material needed to verify it offline. The signed content is the oneof <c>content</c>: at most one of
/// <see cref="MessageSignature"/> and <see cref="DsseEnvelope"/> may be set. Read and written by
/// <see cref="BundleJson"/>; <see cref="Validate"/> checks the format rules that parsing does not.
/// </summary>
public sealed record Bundle
{
    /// <summary>The media type, which also names the format version (see <see cref="BundleMediaType"/>).</summary>
    public string MediaType { get; init; } = "";

    /// <summary>The key material, log entries and timestamps; null when not set.</summary>
    public VerificationMaterial? VerificationMaterial { get; init; }

    /// <summary>Oneof content: a plain signature over an artifact digest.</summary>
    public MessageSignature? MessageSignature { get; init; }

    /// <summary>Oneof content: a DSSE envelope (Sigstore requires exactly one signature in it).</summary>
    public DsseEnvelope? DsseEnvelope { get; init; }

    /// <summary>The format version named by <see cref="MediaType"/>, or null when it names none this library knows.</summary>
    public BundleVersion? Version => BundleMediaType.TryGetVersion(MediaType);

    /// <summary>
    /// Checks the bundle format rules, as sigstore-js <c>bundleFromJSON</c> (bundle/src/validate.ts) does,
    /// and throws <see cref="InvalidBundleException"/> listing every rule broken:
    /// <list type="bullet">
    /// <item>the media type names a known version (0.1, 0.2 or 0.3, in either spelling);</item>
    /// <item>exactly one content: a message signature with a message digest, a non-empty digest and a
    /// non-empty signature; or a DSSE envelope with a non-empty payload and exactly one non-empty signature;</item>
    /// <item>verification material with exactly one kind of key material; a certificate chain holds at least
    /// one certificate and no certificate is empty;</item>
    /// <item>every tlog entry has a log ID and a kind/version;</item>
    /// <item>v0.1: every tlog entry has an inclusion promise;</item>
    /// <item>v0.2 and later (and unknown versions): every tlog entry has an inclusion proof with a checkpoint;</item>
    /// <item>v0.3: the key material is not an X.509 certificate chain.</item>
    /// </list>
    /// Signatures, proofs and certificates are not verified here.
    /// </summary>
    public void Validate()
    {
        var violations = new List<string>();
        var version = Version;

        // Media type: sigstore-js requires the bundle+json;version=X.Y or bundle.vX.Y+json form;
        // sigstore-go further rejects versions other than 0.1–0.3.
        if (version is null)
        {
            violations.Add($"mediaType: \"{MediaType}\" is not a known bundle media type (0.1, 0.2 or 0.3)");
        }

        ValidateContent(violations);
        ValidateVerificationMaterial(violations, version);

        if (violations.Count > 0)
        {
            var summary = version switch
            {
                BundleVersion.V0_1 => "invalid v0.1 bundle",
                BundleVersion.V0_2 => "invalid v0.2 bundle",
                BundleVersion.V0_3 => "invalid v0.3 bundle",
                _ => "invalid bundle",
            };
            throw new InvalidBundleException(summary, violations);
        }
    }

    private void ValidateContent(List<string> violations)
    {
        // Content: the oneof must hold exactly one member.
        if (MessageSignature is null && DsseEnvelope is null)
        {
            violations.Add("content: a messageSignature or a dsseEnvelope is required");
            return;
        }

        if (MessageSignature is not null && DsseEnvelope is not null)
        {
            violations.Add("content: messageSignature and dsseEnvelope are one oneof; only one may be set");
            return;
        }

        if (MessageSignature is { } messageSignature)
        {
            // sigstore-js: the message digest is required and not empty, and so is the signature.
            if (messageSignature.MessageDigest is null)
            {
                violations.Add("content.messageSignature.messageDigest: required");
            }
            else if (IsEmpty(messageSignature.MessageDigest.Digest))
            {
                violations.Add("content.messageSignature.messageDigest.digest: must not be empty");
            }

            if (IsEmpty(messageSignature.Signature))
            {
                violations.Add("content.messageSignature.signature: must not be empty");
            }
        }

        if (DsseEnvelope is { } envelope)
        {
            // sigstore-js / sigstore_bundle.proto: a non-empty payload and exactly one signature.
            if (IsEmpty(envelope.Payload))
            {
                violations.Add("content.dsseEnvelope.payload: must not be empty");
            }

            var signatures = envelope.Signatures ?? [];
            if (signatures.Count != 1)
            {
                violations.Add($"content.dsseEnvelope.signatures: must hold exactly one signature, holds {signatures.Count}");
            }
            else if (IsEmpty(signatures[0].Sig))
            {
                violations.Add("content.dsseEnvelope.signatures[0].sig: must not be empty");
            }
        }
    }

    private void ValidateVerificationMaterial(List<string> violations, BundleVersion? version)
    {
        if (VerificationMaterial is not { } material)
        {
            violations.Add("verificationMaterial: required");
            return;
        }

        // Key material: the oneof must hold exactly one member.
        var kinds = (material.PublicKey is null ? 0 : 1) + (material.X509CertificateChain is null ? 0 : 1)
                    + (material.Certificate is null ? 0 : 1);
        if (kinds == 0)
        {
            violations.Add("verificationMaterial.content: a publicKey, x509CertificateChain or certificate is required");
        }
        else if (kinds > 1)
        {
            violations.Add("verificationMaterial.content: publicKey, x509CertificateChain and certificate are one oneof; only one may be set");
        }

        if (material.X509CertificateChain is { } chain)
        {
            var certificates = chain.Certificates ?? [];
            if (certificates.Count == 0)
            {
                violations.Add("verificationMaterial.content.x509CertificateChain.certificates: must not be empty");
            }

            for (var i = 0; i < certificates.Count; i++)
            {
                if (certificates[i] is null || IsEmpty(certificates[i].RawBytes))
                {
                    violations.Add($"verificationMaterial.content.x509CertificateChain.certificates[{Index(i)}].rawBytes: must not be empty");
                }
            }

            // v0.3: "form (3) MUST be used" — a single certificate, never a chain (sigstore-js validateNoCertificateChain).
            if (version == BundleVersion.V0_3)
            {
                violations.Add("verificationMaterial.content.x509CertificateChain: not allowed in a v0.3 bundle; use certificate");
            }
        }

        if (material.Certificate is { } certificate && IsEmpty(certificate.RawBytes))
        {
            violations.Add("verificationMaterial.content.certificate.rawBytes: must not be empty");
        }

        var entries = material.TlogEntries ?? [];
        for (var i = 0; i < entries.Count; i++)
        {
            var path = $"verificationMaterial.tlogEntries[{Index(i)}]";
            var entry = entries[i];
            if (entry is null)
            {
                violations.Add(path + ": must not be null");
                continue;
            }

            if (entry.LogId is null)
            {
                violations.Add(path + ".logId: required");
            }

            if (entry.KindVersion is null)
            {
                violations.Add(path + ".kindVersion: required");
            }

            if (version == BundleVersion.V0_1)
            {
                // v0.1 bundles carry the SET (sigstore-js validateInclusionPromise).
                if (entry.InclusionPromise is null)
                {
                    violations.Add(path + ".inclusionPromise: required in a v0.1 bundle");
                }
            }
            else if (entry.InclusionProof is null)
            {
                // v0.2 and later carry an inclusion proof with its checkpoint (sigstore-js validateInclusionProof).
                violations.Add(path + ".inclusionProof: required in a v0.2 or later bundle");
            }
            else if (entry.InclusionProof.Checkpoint is null)
            {
                violations.Add(path + ".inclusionProof.checkpoint: required in a v0.2 or later bundle");
            }
        }
    }

    private static bool IsEmpty(byte[]? bytes) => bytes is null || bytes.Length == 0;

    private static string Index(int i) => i.ToString(CultureInfo.InvariantCulture);
}
