using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Dsse;
using PublicKey = PrivateSigstore.Core.Crypto.PublicKey;
using HashAlgorithm = PrivateSigstore.Core.Bundle.HashAlgorithm;

namespace PrivateSigstore.Client.Verification;

/// <summary>
/// Verifies Sigstore bundles (v0.1–v0.3, Rekor v1 entries) against trust material and a per-call policy, in the
/// order of sigstore-go <c>verify.SignedEntityVerifier.Verify</c>: bundle format, transparency log entries (SET,
/// checkpoint, inclusion proof, body against bundle), observer timestamps, certificate chain at each timestamp,
/// SCTs, the signature over the artifact or DSSE PAE, then the identity. Every failure is a
/// <see cref="VerificationException"/> naming its step. Thread-safe.
/// </summary>
public sealed class BundleVerifier
{
    private readonly TrustedMaterial _material;
    private readonly VerifierOptions _options;

    /// <summary>Creates a verifier; throws <see cref="ArgumentOutOfRangeException"/> for a threshold below 1.</summary>
    /// <summary>The trust material this verifier checks against.</summary>
    public TrustedMaterial Material => _material;

    public BundleVerifier(TrustedMaterial material, VerifierOptions? options = null)
    {
        _material = material ?? throw new ArgumentNullException(nameof(material));
        _options = options ?? new VerifierOptions();
        _options.Validate();
    }

    /// <summary>
    /// Verifies <paramref name="bundle"/> and returns the audit record. Throws <see cref="VerificationException"/>
    /// (whose <see cref="VerificationException.Step"/> names the failing step) when it does not verify.
    /// </summary>
    public VerificationRecord Verify(Bundle bundle, VerificationPolicy policy)
    {
        var record = Audit(bundle, policy, out var failure);
        return failure is null ? record : throw failure;
    }

    /// <summary>
    /// The record of a bundle that could not even be read (malformed JSON, bad base64, I/O): not verified, failed at
    /// <see cref="VerificationStep.BundleFormat"/>, with the policy that would have applied.
    /// </summary>
    public VerificationRecord Unreadable(string reason, VerificationPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return new VerificationRecord
        {
            VerificationTime = _options.TimeProvider.GetUtcNow(),
            Policy = Describe(policy),
            FailedStep = VerificationException.StepName(VerificationStep.BundleFormat),
            Reason = reason,
        };
    }

    /// <summary>Verifies and always returns the record (its <see cref="VerificationRecord.Verdict"/> says how it went).</summary>
    public VerificationRecord Audit(Bundle bundle, VerificationPolicy policy) => Audit(bundle, policy, out _);

    private VerificationRecord Audit(Bundle bundle, VerificationPolicy policy, out VerificationException? failure)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(policy);
        var run = new Run(bundle, policy, _material, _options);
        var record = new VerificationRecord
        {
            VerificationTime = _options.TimeProvider.GetUtcNow(),
            BundleMediaType = bundle.MediaType,
            Policy = Describe(policy),
        };
        try
        {
            run.Execute();
            failure = null;
            return run.Fill(record) with { Verdict = "verified" };
        }
        catch (VerificationException e)
        {
            failure = e;
            return run.Fill(record) with { FailedStep = VerificationException.StepName(e.Step), Reason = e.Reason };
        }
    }

    private static string Describe(VerificationPolicy policy) => (policy.Artifact?.Describe() ?? "no artifact") + "; " + policy.Identity.Describe();

    /// <summary>The state of one verification, filled step by step.</summary>
    private sealed class Run(Bundle bundle, VerificationPolicy policy, TrustedMaterial material, VerifierOptions options)
    {
        private const int MaxTlogEntries = 32;
        private LeafCertificate? _leaf;
        private PublicKey? _key;
        private byte[] _signature = [];
        private string? _artifactDigest;
        private string? _san;
        private string? _issuer;
        private readonly List<LogEntryRecord> _entries = [];

        public Bundle Bundle => bundle;

        public VerifierOptions Options => options;
        private readonly List<DateTimeOffset> _timestamps = [];
        private readonly List<DateTimeOffset> _signedTimes = [];

        public VerificationRecord Fill(VerificationRecord record) => record with
        {
            ArtifactDigest = _artifactDigest,
            Signature = _signature.Length > 0 ? Convert.ToBase64String(_signature) : null,
            CertificateIdentity = _san,
            CertificateIssuer = _issuer,
            PublicKeySha256 = _key is null ? null : Convert.ToHexStringLower(SHA256.HashData(_key.SubjectPublicKeyInfo)),
            TransparencyLogEntries = [.. _entries],
            Timestamps = [.. _timestamps],
        };

        public void Execute()
        {
            CheckFormat();
            ResolveSigner();
            // Signed (RFC 3161) timestamps first: entries without an integrated time (Rekor v2) are checked against them.
            foreach (var timestamp in bundle.VerificationMaterial!.TimestampVerificationData?.Rfc3161Timestamps ?? [])
            {
                _signedTimes.Add(TimestampChecks.Verify(timestamp, _signature, material));
            }
            VerifyTransparencyLog();
            _timestamps.AddRange(_signedTimes);
            // sigstore-go VerifyObserverTimestamps: at least the threshold of verified observer timestamps.
            if (_timestamps.Count < options.ObserverTimestampThreshold)
            {
                throw new VerificationException(VerificationStep.Timestamps,
                    $"{_timestamps.Count} verified observer timestamps, fewer than the threshold {options.ObserverTimestampThreshold} (Rekor v1 entries need an inclusion promise)");
            }
            if (_leaf is not null)
            {
                // Spec: the certificate chain must be valid at every observer timestamp.
                CertificatePath? issuer = null;
                foreach (var time in _timestamps)
                {
                    issuer = VerifyChain(_leaf, time);
                }
                VerifySignedCertificateTimestamps(_leaf, issuer!);
            }
            VerifySignature();
            VerifyIdentity();
        }

        private void CheckFormat()
        {
            try
            {
                bundle.Validate();
            }
            catch (InvalidBundleException e)
            {
                throw new VerificationException(VerificationStep.BundleFormat, e.Message, e);
            }
        }

        private void ResolveSigner()
        {
            var material = bundle.VerificationMaterial!;
            var leafDer = material.Certificate?.RawBytes ?? material.X509CertificateChain?.Certificates[0].RawBytes;
            _signature = bundle.MessageSignature?.Signature ?? bundle.DsseEnvelope!.Signatures[0].Sig;
            if (leafDer is not null)
            {
                if (policy.Identity is IdentityPolicy.KeyIdentity)
                {
                    throw new VerificationException(VerificationStep.Policy, "the policy names a public key but the bundle is signed with a certificate");
                }
                try
                {
                    _leaf = LeafCertificate.Parse(leafDer);
                    _key = PublicKey.FromSubjectPublicKeyInfo(_leaf.Der.SubjectPublicKeyInfo);
                }
                catch (Exception e) when (e is CryptographicException or WireFormatException)
                {
                    throw new VerificationException(VerificationStep.CertificateChain, $"the leaf certificate does not parse: {e.Message}", e);
                }
                return;
            }
            if (policy.Identity is not IdentityPolicy.KeyIdentity key)
            {
                throw new VerificationException(VerificationStep.Policy, "the bundle is signed with a public key but the policy names a certificate identity");
            }
            _key = PublicKey.FromSubjectPublicKeyInfo(key.SubjectPublicKeyInfo);
        }

        private void VerifyTransparencyLog()
        {
            var entries = bundle.VerificationMaterial!.TlogEntries;
            if (entries.Count > MaxTlogEntries)
            {
                throw new VerificationException(VerificationStep.TransparencyLog, $"too many tlog entries: {entries.Count} > {MaxTlogEntries}");
            }
            var seen = new HashSet<string>(StringComparer.Ordinal);
            var verifiedLogs = new HashSet<string>(StringComparer.Ordinal);
            var timestampedLogs = new HashSet<string>(StringComparer.Ordinal);
            var unknownLogs = new List<string>();
            foreach (var entry in entries)
            {
                var logIdHex = Convert.ToHexStringLower(entry.LogId!.KeyId);
                if (!seen.Add(logIdHex + "/" + entry.LogIndex))
                {
                    throw new VerificationException(VerificationStep.TransparencyLog, "duplicate tlog entries found");
                }
                // tlog.ValidateEntry: indexes are non-negative.
                if (entry.LogIndex < 0 || entry.InclusionProof is { LogIndex: < 0 })
                {
                    throw new VerificationException(VerificationStep.TransparencyLog, $"negative log index {entry.LogIndex}");
                }
                if (material.FindTransparencyLog(entry.LogId.KeyId) is not { } log)
                {
                    // sigstore-go skips entries from logs it does not trust; the threshold decides.
                    unknownLogs.Add(logIdHex);
                    continue;
                }
                new LogEntryCheck(entry, log, logIdHex).Verify(this);
                verifiedLogs.Add(logIdHex);
                if (entry.InclusionPromise is not null && entry.IntegratedTime != 0 && timestampedLogs.Add(logIdHex))
                {
                    _timestamps.Add(DateTimeOffset.FromUnixTimeSeconds(entry.IntegratedTime));
                }
            }
            if (verifiedLogs.Count < options.TransparencyLogThreshold)
            {
                // Say what did not match: the wrong trusted root is the usual cause.
                var listed = material.TransparencyLogs.Count == 0
                    ? "it lists no transparency log"
                    : "it lists " + string.Join(", ", material.TransparencyLogs.Select(l => $"{Convert.ToHexStringLower(l.LogId)[..16]}… ({l.BaseUrl})"));
                var why = unknownLogs.Count == 0 ? "" : unknownLogs.Count == 1
                    ? $"; the bundle's log ID {unknownLogs[0][..16]}… is not in this trusted root ({listed})"
                    : $"; the bundle's log IDs {string.Join(", ", unknownLogs.Select(l => l[..16] + "…"))} are not in this trusted root ({listed})";
                throw new VerificationException(VerificationStep.TransparencyLog,
                    $"not enough verified log entries from trusted transparency logs: {verifiedLogs.Count} < {options.TransparencyLogThreshold}{why}");
            }
        }

        /// <summary>The checks of one entry from a trusted log (sigstore-go VerifyTlogEntry's loop body).</summary>
        private sealed class LogEntryCheck(TransparencyLogEntry entry, TrustedLogKey log, string logIdHex)
        {
            public void Verify(Run run)
            {
                if (entry.InclusionPromise is null && entry.InclusionProof is null)
                {
                    throw new VerificationException(VerificationStep.TransparencyLog, "entry must contain an inclusion proof and/or promise");
                }
                // Rekor v2 (rekor-tiles) entries: no integrated time and no SET; the proof and C2SP checkpoint are mandatory.
                var rekorV2 = entry.KindVersion is { Version: "0.0.2", Kind: "hashedrekord" or "dsse" };
                if (rekorV2 && entry.InclusionProof is null)
                {
                    throw new VerificationException(VerificationStep.TransparencyLog, "rekor v2 entries must have an inclusion proof");
                }
                if (entry.CanonicalizedBody.Length == 0)
                {
                    throw new VerificationException(VerificationStep.TransparencyLog, "entry has no canonicalized body");
                }
                var integrated = DateTimeOffset.FromUnixTimeSeconds(entry.IntegratedTime);
                if (entry.IntegratedTime != 0 && !log.ValidAt(integrated))
                {
                    throw new VerificationException(VerificationStep.TransparencyLog, $"log key {logIdHex} is not valid at the integrated time {integrated:O}");
                }
                // Without an integrated time the log key must be valid at the signed timestamps instead.
                if (entry.IntegratedTime == 0 && run._signedTimes.FirstOrDefault(t => !log.ValidAt(t)) is { Ticks: > 0 } invalidAt)
                {
                    throw new VerificationException(VerificationStep.TransparencyLog, $"log key {logIdHex} is not valid at the signed timestamp {invalidAt:O}");
                }
                if (entry.InclusionPromise is { } promise)
                {
                    TransparencyLogChecks.VerifySignedEntryTimestamp(entry, promise, log, logIdHex);
                }
                string? checkpoint = null;
                if (entry.InclusionProof is { } proof)
                {
                    checkpoint = rekorV2
                        ? TransparencyLogChecks.VerifyInclusionV2(entry, proof, log)
                        : TransparencyLogChecks.VerifyInclusion(entry, proof, log);
                }
                if (run.Options.WitnessPolicy is { } witnesses)
                {
                    if (checkpoint is null)
                    {
                        throw new VerificationException(VerificationStep.Checkpoint, "the witness policy needs a cosigned checkpoint, and the entry has no inclusion proof");
                    }
                    if (witnesses.Check(Core.Notes.SignedNote.Parse(entry.InclusionProof!.Checkpoint!.Envelope), run.Options.TimeProvider.GetUtcNow()) is { } missing)
                    {
                        throw new VerificationException(VerificationStep.Checkpoint, missing);
                    }
                }
                TransparencyLogChecks.CompareBody(run.Bundle, entry, LogEntryBody.Parse(entry.CanonicalizedBody), run._leaf, run._key!, run._signature);
                // The integrated time must fall in the certificate's validity.
                if (entry.IntegratedTime != 0 && run._leaf is { } leaf && (integrated < leaf.NotBefore || integrated > leaf.NotAfter))
                {
                    throw new VerificationException(VerificationStep.CertificateChain,
                        $"integrated time {integrated:O} outside certificate validity {leaf.NotBefore:O}..{leaf.NotAfter:O}");
                }
                run._entries.Add(new LogEntryRecord(logIdHex, entry.LogIndex, entry.IntegratedTime == 0 ? null : integrated, checkpoint));
            }
        }

        private CertificatePath VerifyChain(LeafCertificate leaf, DateTimeOffset time)
        {
            var reasons = new List<string>();
            foreach (var ca in material.CertificateAuthorities)
            {
                // root.FulcioCertificateAuthority.Verify: the CA's validFor must cover the time, then x509 path validation.
                if (!TrustedMaterial.Covers(ca.ValidFor, time))
                {
                    reasons.Add($"{ca.Uri}: not valid at {time:O}");
                    continue;
                }
                // The issuer's name first (as CertificatePath.Validate does): a CA that did not issue the leaf is not checked.
                if (!leaf.RawIssuer.SequenceEqual(ca.Chain[0].SubjectName.RawData))
                {
                    reasons.Add($"{ca.Uri}: issuer \"{leaf.Issuer}\" is not the CA \"{ca.Chain[0].Subject}\"");
                    continue;
                }
                if (ca.Path!.Validate(leaf, time) is not { } problem)
                {
                    return ca.Path;
                }
                reasons.Add($"{ca.Uri}: {problem}");
            }
            throw new VerificationException(VerificationStep.CertificateChain,
                $"the leaf certificate does not chain to a trusted CA valid at {time:O} ({string.Join("; ", reasons)})");
        }

        private void VerifySignedCertificateTimestamps(LeafCertificate leaf, CertificatePath issuer)
        {
            var verified = TransparencyLogChecks.CountVerifiedScts(leaf, issuer.IssuerSubjectPublicKeyInfo, material);
            if (verified < options.SignedCertificateTimestampThreshold)
            {
                throw new VerificationException(VerificationStep.CertificateTransparency,
                    $"only {verified} SCTs verified against trusted CT logs, fewer than the threshold {options.SignedCertificateTimestampThreshold}");
            }
        }

        private void VerifySignature()
        {
            if (bundle.MessageSignature is { } message)
            {
                VerifyMessageSignature(message);
            }
            else
            {
                VerifyEnvelope(bundle.DsseEnvelope!);
            }
        }

        private void VerifyMessageSignature(MessageSignature message)
        {
            if (policy.Artifact is not { } artifact)
            {
                throw new VerificationException(VerificationStep.Policy, "a message signature bundle needs the artifact or its digest");
            }
            var algorithm = message.MessageDigest?.Algorithm is { } a and not HashAlgorithm.Unspecified ? a : HashAlgorithm.Sha2_256;
            var digest = artifact.Digest(algorithm)
                ?? throw new VerificationException(VerificationStep.ArtifactDigest, $"the bundle's digest is {ArtifactPolicy.AlgorithmName(algorithm)}, the artifact digest given is not");
            _artifactDigest = $"{ArtifactPolicy.AlgorithmName(algorithm)}:{Convert.ToHexStringLower(digest)}";
            if (message.MessageDigest is { } bundleDigest && !CryptographicOperations.FixedTimeEquals(bundleDigest.Digest, digest))
            {
                throw new VerificationException(VerificationStep.ArtifactDigest,
                    $"artifact digest {_artifactDigest} does not match the bundle's {Convert.ToHexStringLower(bundleDigest.Digest)}");
            }
            bool ok;
            if (_key!.Type == PublicKeyType.Ed25519)
            {
                // Pure Ed25519 over the artifact, or Ed25519ph over its SHA-512 digest (what Rekor's hashedrekord wants).
                var bytes = artifact.Bytes();
                ok = (bytes is not null && SignatureRules.VerifyMessage(_key, bytes, _signature))
                    || (algorithm == HashAlgorithm.Sha2_512 && _key.VerifyEd25519Prehashed(digest, _signature));
                if (!ok && bytes is null && algorithm != HashAlgorithm.Sha2_512)
                {
                    throw new VerificationException(VerificationStep.Signature, "a pure Ed25519 signature needs the artifact, not its digest");
                }
            }
            else
            {
                ok = SignatureRules.VerifyDigest(_key, algorithm, digest, _signature);
            }
            if (!ok)
            {
                throw new VerificationException(VerificationStep.Signature, "the signature does not verify over the artifact with the signer's key");
            }
        }

        private void VerifyEnvelope(DsseEnvelope envelope)
        {
            _artifactDigest = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(envelope.Payload));
            var pae = DsseEnvelope.PreAuthenticationEncoding(envelope.PayloadType, envelope.Payload);
            if (!SignatureRules.VerifyMessage(_key!, pae, _signature))
            {
                throw new VerificationException(VerificationStep.Signature, "the DSSE signature does not verify over the envelope's PAE");
            }
            if (policy.Artifact is { } artifact)
            {
                VerifyStatementSubject(envelope, artifact);
            }
        }

        private static void VerifyStatementSubject(DsseEnvelope envelope, ArtifactPolicy artifact)
        {
            // sigstore-go verifyEnvelopeWithArtifact: the artifact's digest must be one of the in-toto subjects'.
            if (envelope.PayloadType != DsseEnvelope.InTotoPayloadType)
            {
                throw new VerificationException(VerificationStep.ArtifactDigest, $"payload type {envelope.PayloadType} is not in-toto; cannot match an artifact");
            }
            try
            {
                using var statement = JsonDocument.Parse(envelope.Payload);
                foreach (var subject in statement.RootElement.GetProperty("subject").EnumerateArray())
                {
                    foreach (var digest in subject.GetProperty("digest").EnumerateObject())
                    {
                        var algorithm = digest.Name switch
                        {
                            "sha256" => HashAlgorithm.Sha2_256,
                            "sha384" => HashAlgorithm.Sha2_384,
                            "sha512" => HashAlgorithm.Sha2_512,
                            _ => HashAlgorithm.Unspecified,
                        };
                        if (algorithm != HashAlgorithm.Unspecified && artifact.Digest(algorithm) is { } actual
                            && string.Equals(Convert.ToHexStringLower(actual), digest.Value.GetString(), StringComparison.OrdinalIgnoreCase))
                        {
                            return;
                        }
                    }
                }
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                throw new VerificationException(VerificationStep.ArtifactDigest, $"the in-toto statement does not parse: {e.Message}", e);
            }
            throw new VerificationException(VerificationStep.ArtifactDigest, "no in-toto subject digest matches the artifact");
        }

        private void VerifyIdentity()
        {
            if (_leaf is null || policy.Identity is not IdentityPolicy.CertificateIdentity identity)
            {
                return;
            }
            SubjectAltNames sans;
            try
            {
                sans = SubjectAltNames.Read(_leaf.Extensions);
                _issuer = SigstoreExtensions.Parse(_leaf.Extensions).Issuer;
            }
            catch (WireFormatException e)
            {
                throw new VerificationException(VerificationStep.Identity, $"the certificate's identity does not parse: {e.Message}", e);
            }
            var names = sans.Uris.Concat(sans.Emails).Concat(sans.Usernames).ToList();
            _san = names.FirstOrDefault();
            if (identity.Issuer is not null && !string.Equals(identity.Issuer, _issuer, StringComparison.Ordinal))
            {
                // The usual slip is a trailing slash (http://host:5556/ vs http://host:5556): suggest the exact value.
                var hint = _issuer is not null && string.Equals(_issuer.TrimEnd('/'), identity.Issuer.TrimEnd('/'), StringComparison.Ordinal)
                    ? $" (they differ only by a trailing slash: use --certificate-oidc-issuer {_issuer})"
                    : "";
                throw new VerificationException(VerificationStep.Identity, $"certificate issuer \"{_issuer}\" is not \"{identity.Issuer}\"{hint}");
            }
            if (!names.Any(identity.Matches))
            {
                throw new VerificationException(VerificationStep.Identity, $"certificate identity \"{string.Join(", ", names)}\" does not match {identity.Describe()}");
            }
        }
    }
}
