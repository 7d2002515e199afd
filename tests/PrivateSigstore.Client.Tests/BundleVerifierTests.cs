using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Client.Verification;
using PrivateSigstore.Core.Bundle;

namespace PrivateSigstore.Client.Tests;

/// <summary>
/// Real public-good bundles verify offline; mutated copies are rejected at the step sigstore-go rejects them.
/// </summary>
public sealed class BundleVerifierTests
{
    private static readonly VerificationPolicy HappyPolicy = new(
        ArtifactPolicy.FromFile(TestFiles.ArtifactA),
        IdentityPolicy.Certificate(ConformanceCase.DefaultIdentity, ConformanceCase.DefaultIssuer));

    [Fact]
    public void Public_good_v03_bundle_verifies_and_the_record_names_what_was_checked()
    {
        var record = new BundleVerifier(TestFiles.Production()).Verify(TestFiles.Bundle(TestFiles.Json(TestFiles.HappyV03)), HappyPolicy);

        Assert.True(record.IsVerified);
        Assert.Equal(ConformanceCase.DefaultIdentity, record.CertificateIdentity);
        Assert.Equal(ConformanceCase.DefaultIssuer, record.CertificateIssuer);
        Assert.Equal("sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(TestFiles.ArtifactA))), record.ArtifactDigest);
        var entry = Assert.Single(record.TransparencyLogEntries);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1710869186), entry.IntegratedTime);
        Assert.Equal("c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d", entry.LogId);
        Assert.StartsWith("rekor.sigstore.dev", entry.Checkpoint, StringComparison.Ordinal);
        using var json = JsonDocument.Parse(record.ToJson());
        Assert.Equal("verified", json.RootElement.GetProperty("verdict").GetString());
        Assert.Equal(VerificationRecord.MediaTypeV1, json.RootElement.GetProperty("mediaType").GetString());
        Assert.Contains("extremely-dangerous-oidc-beacon", json.RootElement.GetProperty("policy").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Public_good_v01_dsse_provenance_verifies_with_a_regex_identity()
    {
        var verifier = new BundleVerifier(TrustedMaterial.Load(TestFiles.Path("sigstore-go.public-good.trusted_root.json")));
        var bundle = TestFiles.Bundle(TestFiles.Json(TestFiles.Path("sigstore-go.sigstore.js@2.0.0-provenance.sigstore.json")));

        var record = verifier.Verify(bundle, new VerificationPolicy(null,
            IdentityPolicy.CertificateRegex("^https://github.com/sigstore/sigstore-js/", "https://token.actions.githubusercontent.com")));

        Assert.True(record.IsVerified);
        Assert.StartsWith("https://github.com/sigstore/sigstore-js/.github/workflows/", record.CertificateIdentity, StringComparison.Ordinal);
    }

    [Fact]
    public void Dsse_artifact_that_is_not_a_statement_subject_is_rejected()
    {
        var verifier = new BundleVerifier(TrustedMaterial.Load(TestFiles.Path("sigstore-go.public-good.trusted_root.json")));
        var bundle = TestFiles.Bundle(TestFiles.Json(TestFiles.Path("sigstore-go.sigstore.js@2.0.0-provenance.sigstore.json")));

        var e = Assert.Throws<VerificationException>(() => verifier.Verify(bundle, new VerificationPolicy(
            ArtifactPolicy.FromBytes("not the package"u8.ToArray()), IdentityPolicy.AnyCertificateUnsafe())));

        Assert.Equal(VerificationStep.ArtifactDigest, e.Step);
    }

    [Fact]
    public void Flipped_signature_bit_is_rejected_because_the_log_entry_no_longer_matches()
    {
        var json = TestFiles.Json(TestFiles.HappyV03);
        json["messageSignature"]!["signature"] = TestFiles.FlipBit(json["messageSignature"]!["signature"]!.GetValue<string>());

        AssertRejected(VerificationStep.EntryBodyMismatch, TestFiles.Bundle(json));
    }

    [Fact]
    public void Different_artifact_is_rejected_at_the_digest_step()
    {
        var policy = HappyPolicy with { Artifact = ArtifactPolicy.FromBytes("something else\n"u8.ToArray()) };

        var e = Assert.Throws<VerificationException>(() => new BundleVerifier(TestFiles.Production()).Verify(TestFiles.Bundle(TestFiles.Json(TestFiles.HappyV03)), policy));

        Assert.Equal(VerificationStep.ArtifactDigest, e.Step);
    }

    [Theory]
    [InlineData("https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/other.yml@refs/heads/main", null)]
    [InlineData(null, "https://accounts.google.com")]
    public void Changed_identity_or_issuer_is_rejected_at_the_identity_step(string? san, string? issuer)
    {
        var policy = HappyPolicy with { Identity = IdentityPolicy.Certificate(san ?? ConformanceCase.DefaultIdentity, issuer ?? ConformanceCase.DefaultIssuer) };

        var e = Assert.Throws<VerificationException>(() => new BundleVerifier(TestFiles.Production()).Verify(TestFiles.Bundle(TestFiles.Json(TestFiles.HappyV03)), policy));

        Assert.Equal(VerificationStep.Identity, e.Step);
    }

    [Fact]
    public void An_issuer_that_differs_only_by_a_trailing_slash_gets_the_exact_value_suggested()
    {
        var policy = HappyPolicy with { Identity = IdentityPolicy.Certificate(ConformanceCase.DefaultIdentity, ConformanceCase.DefaultIssuer + "/") };

        var e = Assert.Throws<VerificationException>(() => new BundleVerifier(TestFiles.Production()).Verify(TestFiles.Bundle(TestFiles.Json(TestFiles.HappyV03)), policy));

        Assert.Equal(VerificationStep.Identity, e.Step);
        Assert.Contains($"(they differ only by a trailing slash: use --certificate-oidc-issuer {ConformanceCase.DefaultIssuer})", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Certificate_expired_at_the_integrated_time_is_rejected()
    {
        // Without the SET the integrated time is unauthenticated, so move it past the certificate's 10 minutes and
        // check that the validity rule (not only the SET) catches it; a second log entry is not needed for that.
        var json = TestFiles.Json(TestFiles.HappyV03);
        var entry = json["verificationMaterial"]!["tlogEntries"]![0]!;
        entry.AsObject().Remove("inclusionPromise");
        entry["integratedTime"] = (1710869186 + 3600).ToString(System.Globalization.CultureInfo.InvariantCulture);

        AssertRejected(VerificationStep.CertificateChain, TestFiles.Bundle(json));
    }

    [Fact]
    public void Certificate_authority_not_valid_at_the_signing_time_is_rejected()
    {
        var root = TestFiles.Json(TestFiles.Path("production.trusted_root.json"));
        foreach (var ca in root["certificateAuthorities"]!.AsArray())
        {
            ca!["validFor"]!["end"] = "2024-03-01T00:00:00Z";
        }

        AssertRejected(VerificationStep.CertificateChain, TestFiles.Bundle(TestFiles.Json(TestFiles.HappyV03)), TestFiles.Material(root));
    }

    [Fact]
    public void Missing_SCT_log_is_rejected_at_the_certificate_transparency_step()
    {
        var root = TestFiles.Json(TestFiles.Path("production.trusted_root.json"));
        root["ctlogs"] = new JsonArray();

        AssertRejected(VerificationStep.CertificateTransparency, TestFiles.Bundle(TestFiles.Json(TestFiles.HappyV03)), TestFiles.Material(root));
    }

    [Fact]
    public void Wrong_log_key_is_rejected_at_the_inclusion_promise_step()
    {
        var root = TestFiles.Json(TestFiles.Path("production.trusted_root.json"));
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        foreach (var tlog in root["tlogs"]!.AsArray())
        {
            if (tlog!["publicKey"]!["keyDetails"]!.GetValue<string>() == "PKIX_ECDSA_P256_SHA_256")
            {
                tlog["publicKey"]!["rawBytes"] = Convert.ToBase64String(other.ExportSubjectPublicKeyInfo());
            }
        }

        AssertRejected(VerificationStep.InclusionPromise, TestFiles.Bundle(TestFiles.Json(TestFiles.HappyV03)), TestFiles.Material(root));
    }

    [Fact]
    public void Untrusted_log_leaves_too_few_verified_entries()
    {
        var root = TestFiles.Json(TestFiles.Path("production.trusted_root.json"));
        root["tlogs"] = new JsonArray();

        AssertRejected(VerificationStep.TransparencyLog, TestFiles.Bundle(TestFiles.Json(TestFiles.HappyV03)), TestFiles.Material(root));
    }

    [Fact]
    public void Tampered_inclusion_proof_hash_is_rejected()
    {
        var json = TestFiles.Json(TestFiles.HappyV03);
        var hashes = json["verificationMaterial"]!["tlogEntries"]![0]!["inclusionProof"]!["hashes"]!.AsArray();
        hashes[0] = TestFiles.FlipBit(hashes[0]!.GetValue<string>(), 0);

        AssertRejected(VerificationStep.InclusionProof, TestFiles.Bundle(json));
    }

    [Fact]
    public void Proof_root_hash_that_the_checkpoint_does_not_commit_to_is_rejected()
    {
        var json = TestFiles.Json(TestFiles.HappyV03);
        var proof = json["verificationMaterial"]!["tlogEntries"]![0]!["inclusionProof"]!;
        proof["rootHash"] = TestFiles.FlipBit(proof["rootHash"]!.GetValue<string>(), 0);

        AssertRejected(VerificationStep.Checkpoint, TestFiles.Bundle(json));
    }

    [Fact]
    public void Bundle_digest_that_differs_from_the_log_entry_is_rejected()
    {
        var json = TestFiles.Json(TestFiles.HappyV03);
        var digest = json["messageSignature"]!["messageDigest"]!;
        digest["digest"] = TestFiles.FlipBit(digest["digest"]!.GetValue<string>(), 0);

        AssertRejected(VerificationStep.EntryBodyMismatch, TestFiles.Bundle(json));
    }

    [Fact]
    public void Tampered_canonical_body_breaks_the_signed_entry_timestamp()
    {
        var json = TestFiles.Json(TestFiles.HappyV03);
        var entry = json["verificationMaterial"]!["tlogEntries"]![0]!;
        entry["canonicalizedBody"] = TestFiles.FlipBit(entry["canonicalizedBody"]!.GetValue<string>(), 40);

        AssertRejected(VerificationStep.InclusionPromise, TestFiles.Bundle(json));
    }

    [Fact]
    public void Key_policy_for_a_certificate_bundle_is_a_policy_failure()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var policy = HappyPolicy with { Identity = IdentityPolicy.PublicKey(key.ExportSubjectPublicKeyInfo()) };

        var e = Assert.Throws<VerificationException>(() => new BundleVerifier(TestFiles.Production()).Verify(TestFiles.Bundle(TestFiles.Json(TestFiles.HappyV03)), policy));

        Assert.Equal(VerificationStep.Policy, e.Step);
    }

    [Fact]
    public void Failed_verification_still_yields_a_record_with_the_step()
    {
        var json = TestFiles.Json(TestFiles.HappyV03);
        json["messageSignature"]!["signature"] = TestFiles.FlipBit(json["messageSignature"]!["signature"]!.GetValue<string>());

        var record = new BundleVerifier(TestFiles.Production()).Audit(TestFiles.Bundle(json), HappyPolicy);

        Assert.False(record.IsVerified);
        Assert.Equal("entry-body-mismatch", record.FailedStep);
        Assert.Contains("\"verdict\": \"not-verified\"", record.ToJson(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 1, 1)]
    [InlineData(1, 0, 1)]
    [InlineData(1, 1, 0)]
    public void Thresholds_below_one_are_refused(int scts, int tlogs, int timestamps)
    {
        var options = new VerifierOptions { SignedCertificateTimestampThreshold = scts, TransparencyLogThreshold = tlogs, ObserverTimestampThreshold = timestamps };

        Assert.Throws<ArgumentOutOfRangeException>(() => new BundleVerifier(TestFiles.Production(), options));
    }

    [Fact]
    public void Sct_threshold_above_the_embedded_count_is_rejected()
    {
        var verifier = new BundleVerifier(TestFiles.Production(), new VerifierOptions { SignedCertificateTimestampThreshold = 2 });

        var e = Assert.Throws<VerificationException>(() => verifier.Verify(TestFiles.Bundle(TestFiles.Json(TestFiles.HappyV03)), HappyPolicy));

        Assert.Equal(VerificationStep.CertificateTransparency, e.Step);
    }

    [Fact]
    public void Digest_only_policy_verifies()
    {
        var digest = SHA256.HashData(File.ReadAllBytes(TestFiles.ArtifactA));
        var policy = HappyPolicy with { Artifact = ArtifactPolicy.TryParseDigest("sha256:" + Convert.ToHexStringLower(digest)) };

        Assert.True(new BundleVerifier(TestFiles.Production()).Verify(TestFiles.Bundle(TestFiles.Json(TestFiles.HappyV03)), policy).IsVerified);
    }

    private static void AssertRejected(VerificationStep step, Bundle bundle, TrustedMaterial? material = null)
    {
        var e = Assert.Throws<VerificationException>(() => new BundleVerifier(material ?? TestFiles.Production()).Verify(bundle, HappyPolicy));
        Assert.Equal(step, e.Step);
    }

    [Fact]
    public void Rekor_v2_bundle_with_a_TSA_timestamp_verifies_and_a_tampered_timestamp_is_rejected()
    {
        var dir = TestFiles.Path("conformance", "bundle-verify", "rekor2-happy-path");
        var material = TrustedMaterial.Load(System.IO.Path.Combine(dir, "trusted_root.json"));
        var json = TestFiles.Json(System.IO.Path.Combine(dir, "bundle.sigstore.json"));
        var verifier = new BundleVerifier(material);

        var record = verifier.Verify(TestFiles.Bundle(json), HappyPolicy);
        Assert.Null(Assert.Single(record.TransparencyLogEntries).IntegratedTime);

        var stamps = json["verificationMaterial"]!["timestampVerificationData"]!["rfc3161Timestamps"]!.AsArray();
        var stamp = stamps[0]!["signedTimestamp"]!.GetValue<string>();
        stamps[0]!["signedTimestamp"] = TestFiles.FlipBit(stamp, Convert.FromBase64String(stamp).Length - 20);
        var e = Assert.Throws<VerificationException>(() => verifier.Verify(TestFiles.Bundle(json), HappyPolicy));
        Assert.Equal(VerificationStep.Timestamps, e.Step);
    }

    [Fact]
    public void File_artifact_reports_hashing_progress_up_to_its_length()
    {
        var seen = new List<long>();
        var policy = HappyPolicy with { Artifact = ArtifactPolicy.FromFile(TestFiles.ArtifactA, new SynchronousProgress(seen)) };

        new BundleVerifier(TestFiles.Production()).Verify(TestFiles.Bundle(TestFiles.Json(TestFiles.HappyV03)), policy);

        Assert.Equal(new FileInfo(TestFiles.ArtifactA).Length, seen.Max());
    }

    private sealed class SynchronousProgress(List<long> seen) : IProgress<long>
    {
        public void Report(long value) => seen.Add(value);
    }
}
