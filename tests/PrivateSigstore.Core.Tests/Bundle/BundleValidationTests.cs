using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Dsse;
using SigstoreBundle = PrivateSigstore.Core.Bundle.Bundle;

namespace PrivateSigstore.Core.Tests.Bundle;

/// <summary>Bundle.Validate enforces the format rules of sigstore-js validate.ts and sigstore-go's version checks.</summary>
public sealed class BundleValidationTests
{
    public static TheoryData<string> ValidBundles =>
    [
        "sigstore-go.sigstore.js@2.0.0-provenance.sigstore.json",
        "sigstore-go.othername.sigstore.json",
        "sigstore-go.dsse.sigstore.json",
        "sigstore-go.public-key-validity.sigstore.json",
        "conformance.happy-path-v0.1.sigstore.json",
        "conformance.happy-path-v0.2.sigstore.json",
        "conformance.happy-path-v0.3.sigstore.json",
        "conformance.happy-path-v0.3-new-mediaType.sigstore.json",
        "conformance.happy-path-intoto-in-dsse-v3.sigstore.json",
        "conformance.rekor2-happy-path.sigstore.json",
        "conformance.rekor2-dsse-happy-path.sigstore.json",
        "conformance.managed-key-happy-path.sigstore.json",
        "conformance.bundle-negative-log-index_fail.sigstore.json", // fails verification, not the format rules
        "sigstore-python.staging-rekor-v2.txt.sigstore.json",
    ];

    [Theory]
    [MemberData(nameof(ValidBundles))]
    public void Real_bundles_pass(string file)
    {
        var bundle = BundleJson.Parse(TestData.Bytes("bundles/" + file));

        bundle.Validate();
    }

    [Theory]
    [InlineData("conformance.bundle-unknown-version_fail.sigstore.json", "mediaType: \"application/vnd.dev.sigstore.bundle+json;version=99.9\" is not a known bundle media type")]
    [InlineData("conformance.bundle-empty-certificate-chain_fail.sigstore.json", "verificationMaterial.content.x509CertificateChain.certificates: must not be empty")]
    [InlineData("conformance.intoto-missing-inclusion-proof_fail.sigstore.json", "verificationMaterial.tlogEntries[0].inclusionProof: required in a v0.2 or later bundle")]
    [InlineData("conformance.rekor2-no-inclusion-proof_fail.sigstore.json", "verificationMaterial.tlogEntries[0].inclusionProof: required in a v0.2 or later bundle")]
    [InlineData("sigstore-go.dsse-2sigs.sigstore.json", "content.dsseEnvelope.signatures: must hold exactly one signature, holds 2")]
    public void Real_invalid_bundles_fail_with_the_broken_rule(string file, string violation)
    {
        var bundle = BundleJson.Parse(TestData.Bytes("bundles/" + file));

        var error = Assert.Throws<InvalidBundleException>(bundle.Validate);

        Assert.Contains(error.Violations, v => v.StartsWith(violation, StringComparison.Ordinal));
        Assert.IsAssignableFrom<WireFormatException>(error);
    }

    [Theory]
    [InlineData(BundleMediaType.V0_1, BundleVersion.V0_1)]
    [InlineData(BundleMediaType.V0_2, BundleVersion.V0_2)]
    [InlineData(BundleMediaType.V0_3, BundleVersion.V0_3)]
    [InlineData(BundleMediaType.V0_3Legacy, BundleVersion.V0_3)]
    [InlineData("application/vnd.dev.sigstore.bundle.v0.1+json", BundleVersion.V0_1)]
    [InlineData("application/vnd.dev.sigstore.bundle.v0.2+json", BundleVersion.V0_2)]
    public void Media_types_name_versions(string mediaType, BundleVersion version) =>
        Assert.Equal(version, BundleMediaType.TryGetVersion(mediaType));

    [Theory]
    [InlineData("")]
    [InlineData("application/json")]
    [InlineData("application/vnd.dev.sigstore.bundle+json;version=0.4")]
    [InlineData("application/vnd.dev.sigstore.bundle+json;version=99.9")]
    [InlineData("application/vnd.dev.sigstore.bundle.v0.4+json")]
    [InlineData("application/vnd.dev.sigstore.bundle+json;version=0.1 ")]
    [InlineData("application/vnd.dev.sigstore.bundle+json; version=0.1")]
    [InlineData("APPLICATION/vnd.dev.sigstore.bundle+json;version=0.1")]
    [InlineData("application/vnd.dev.sigstore.bundle.v0.3")]
    public void Unknown_media_types_name_no_version(string mediaType) =>
        Assert.Null(BundleMediaType.TryGetVersion(mediaType));

    [Fact]
    public void Media_type_for_each_version_round_trips()
    {
        foreach (var version in Enum.GetValues<BundleVersion>())
        {
            Assert.Equal(version, BundleMediaType.TryGetVersion(BundleMediaType.For(version)));
        }
    }

    [Fact]
    public void V0_1_requires_an_inclusion_promise_but_not_a_proof()
    {
        var withProofOnly = Valid(BundleMediaType.V0_1) with
        {
            VerificationMaterial = Material(new X509CertificateChain { Certificates = [Cert()] }, Entry(promise: false, proof: true)),
        };
        var withPromiseOnly = Valid(BundleMediaType.V0_1) with
        {
            VerificationMaterial = Material(new X509CertificateChain { Certificates = [Cert()] }, Entry(promise: true, proof: false)),
        };

        withPromiseOnly.Validate();
        var error = Assert.Throws<InvalidBundleException>(withProofOnly.Validate);
        Assert.Equal(["verificationMaterial.tlogEntries[0].inclusionPromise: required in a v0.1 bundle"], error.Violations);
        Assert.StartsWith("invalid v0.1 bundle: ", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(BundleMediaType.V0_2)]
    [InlineData(BundleMediaType.V0_3)]
    public void V0_2_and_later_require_an_inclusion_proof_with_a_checkpoint(string mediaType)
    {
        var noProof = Valid(mediaType) with { VerificationMaterial = Material(Cert(), Entry(promise: true, proof: false)) };
        var noCheckpoint = Valid(mediaType) with
        {
            VerificationMaterial = Material(Cert(), Entry(promise: true, proof: true) with
            {
                InclusionProof = Entry(promise: false, proof: true).InclusionProof! with { Checkpoint = null },
            }),
        };

        Assert.Equal(
            ["verificationMaterial.tlogEntries[0].inclusionProof: required in a v0.2 or later bundle"],
            Assert.Throws<InvalidBundleException>(noProof.Validate).Violations);
        Assert.Equal(
            ["verificationMaterial.tlogEntries[0].inclusionProof.checkpoint: required in a v0.2 or later bundle"],
            Assert.Throws<InvalidBundleException>(noCheckpoint.Validate).Violations);
    }

    [Fact]
    public void V0_3_forbids_a_certificate_chain()
    {
        var chain = new X509CertificateChain { Certificates = [Cert()] };
        var v02 = Valid(BundleMediaType.V0_2) with { VerificationMaterial = Material(chain, Entry(promise: false, proof: true)) };
        var v03 = Valid(BundleMediaType.V0_3) with { VerificationMaterial = Material(chain, Entry(promise: false, proof: true)) };
        var v03Legacy = v03 with { MediaType = BundleMediaType.V0_3Legacy };

        v02.Validate();
        Assert.Equal(
            ["verificationMaterial.content.x509CertificateChain: not allowed in a v0.3 bundle; use certificate"],
            Assert.Throws<InvalidBundleException>(v03.Validate).Violations);
        Assert.Throws<InvalidBundleException>(v03Legacy.Validate);
    }

    [Fact]
    public void Content_and_material_are_required_and_single()
    {
        var empty = new SigstoreBundle { MediaType = BundleMediaType.V0_3 };
        var both = Valid(BundleMediaType.V0_3) with
        {
            DsseEnvelope = new DsseEnvelope("t", [1], [new DsseSignature([1], null)]),
        };
        var noKey = Valid(BundleMediaType.V0_3) with { VerificationMaterial = new VerificationMaterial() };

        Assert.Equal(
            ["content: a messageSignature or a dsseEnvelope is required", "verificationMaterial: required"],
            Assert.Throws<InvalidBundleException>(empty.Validate).Violations);
        Assert.Contains(Assert.Throws<InvalidBundleException>(both.Validate).Violations, v => v.StartsWith("content: ", StringComparison.Ordinal));
        Assert.Equal(
            ["verificationMaterial.content: a publicKey, x509CertificateChain or certificate is required"],
            Assert.Throws<InvalidBundleException>(noKey.Validate).Violations);
    }

    [Fact]
    public void Message_signature_needs_digest_and_signature()
    {
        var noDigest = Valid(BundleMediaType.V0_3) with { MessageSignature = new MessageSignature { Signature = [1] } };
        var emptyBoth = Valid(BundleMediaType.V0_3) with
        {
            MessageSignature = new MessageSignature { MessageDigest = new HashOutput { Algorithm = HashAlgorithm.Sha2_256 } },
        };

        Assert.Equal(["content.messageSignature.messageDigest: required"], Assert.Throws<InvalidBundleException>(noDigest.Validate).Violations);
        Assert.Equal(
            ["content.messageSignature.messageDigest.digest: must not be empty", "content.messageSignature.signature: must not be empty"],
            Assert.Throws<InvalidBundleException>(emptyBoth.Validate).Violations);
    }

    [Fact]
    public void Dsse_envelope_needs_payload_and_exactly_one_non_empty_signature()
    {
        var ok = Valid(BundleMediaType.V0_3) with
        {
            MessageSignature = null,
            DsseEnvelope = new DsseEnvelope(DsseEnvelope.InTotoPayloadType, [1], [new DsseSignature([2], null)]),
        };
        var emptySig = ok with { DsseEnvelope = new DsseEnvelope("t", [], [new DsseSignature([], "k")]) };
        var noSig = ok with { DsseEnvelope = new DsseEnvelope("t", [1], []) };

        ok.Validate();
        Assert.Equal(
            ["content.dsseEnvelope.payload: must not be empty", "content.dsseEnvelope.signatures[0].sig: must not be empty"],
            Assert.Throws<InvalidBundleException>(emptySig.Validate).Violations);
        Assert.Equal(
            ["content.dsseEnvelope.signatures: must hold exactly one signature, holds 0"],
            Assert.Throws<InvalidBundleException>(noSig.Validate).Violations);
    }

    [Fact]
    public void Tlog_entries_need_log_id_and_kind_version_and_every_violation_is_listed()
    {
        var bare = new TransparencyLogEntry { InclusionPromise = new InclusionPromise { SignedEntryTimestamp = [1] } };
        var bundle = Valid("application/vnd.dev.sigstore.bundle+json;version=7.0") with
        {
            VerificationMaterial = Material(new X509CertificateChain { Certificates = [Cert(), new DerCertificate()] }, bare),
        };

        var error = Assert.Throws<InvalidBundleException>(bundle.Validate);

        Assert.Equal(
            [
                "mediaType: \"application/vnd.dev.sigstore.bundle+json;version=7.0\" is not a known bundle media type (0.1, 0.2 or 0.3)",
                "verificationMaterial.content.x509CertificateChain.certificates[1].rawBytes: must not be empty",
                "verificationMaterial.tlogEntries[0].logId: required",
                "verificationMaterial.tlogEntries[0].kindVersion: required",
                "verificationMaterial.tlogEntries[0].inclusionProof: required in a v0.2 or later bundle",
            ],
            error.Violations);
    }

    [Fact]
    public void Empty_certificate_is_rejected()
    {
        var bundle = Valid(BundleMediaType.V0_3) with { VerificationMaterial = Material(new DerCertificate(), Entry(false, true)) };

        Assert.Equal(
            ["verificationMaterial.content.certificate.rawBytes: must not be empty"],
            Assert.Throws<InvalidBundleException>(bundle.Validate).Violations);
    }

    private static DerCertificate Cert() => new() { RawBytes = [0x30, 0x03, 0x02, 0x01, 0x01] };

    private static TransparencyLogEntry Entry(bool promise, bool proof) => new()
    {
        LogIndex = 7,
        LogId = new LogId { KeyId = new byte[32] },
        KindVersion = new KindVersion { Kind = "hashedrekord", Version = "0.0.1" },
        IntegratedTime = 1_700_000_000,
        InclusionPromise = promise ? new InclusionPromise { SignedEntryTimestamp = [0x30] } : null,
        InclusionProof = proof
            ? new TlogInclusionProof
            {
                LogIndex = 7,
                RootHash = new byte[32],
                TreeSize = 8,
                Hashes = [new byte[32]],
                Checkpoint = new CheckpointEnvelope { Envelope = "log\n8\nAAAA\n\n\u2014 log AAAA\n" },
            }
            : null,
    };

    private static VerificationMaterial Material(object key, TransparencyLogEntry entry) => new()
    {
        X509CertificateChain = key as X509CertificateChain,
        Certificate = key as DerCertificate,
        TlogEntries = [entry],
    };

    private static SigstoreBundle Valid(string mediaType) => new()
    {
        MediaType = mediaType,
        VerificationMaterial = Material(Cert(), Entry(promise: true, proof: true)),
        MessageSignature = new MessageSignature
        {
            MessageDigest = new HashOutput { Algorithm = HashAlgorithm.Sha2_256, Digest = new byte[32] },
            Signature = [0x30],
        },
    };
}
