using System.Text;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Dsse;

namespace PrivateSigstore.Core.Tests.Bundle;

/// <summary>Specific fields of real bundles land in the right properties with the right values.</summary>
public sealed class BundleFieldTests
{
    [Fact]
    public void Sigstore_js_2_0_0_provenance_v0_1_dsse_bundle()
    {
        var bundle = BundleJson.Parse(TestData.Bytes("bundles/sigstore-go.sigstore.js@2.0.0-provenance.sigstore.json"));

        Assert.Equal(BundleMediaType.V0_1, bundle.MediaType);
        Assert.Equal(BundleVersion.V0_1, bundle.Version);
        var material = Assert.IsType<VerificationMaterial>(bundle.VerificationMaterial);
        Assert.Null(material.PublicKey);
        Assert.Null(material.Certificate);
        Assert.Null(material.TimestampVerificationData); // written as JSON null upstream
        var chain = Assert.IsType<X509CertificateChain>(material.X509CertificateChain);
        var leaf = Assert.Single(chain.Certificates);
        Assert.Equal((byte)0x30, leaf.RawBytes[0]); // DER SEQUENCE

        var entry = Assert.Single(material.TlogEntries);
        Assert.Equal(31821305L, entry.LogIndex);
        Assert.Equal("wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=", Convert.ToBase64String(entry.LogId!.KeyId));
        Assert.Equal("intoto", entry.KindVersion!.Kind);
        Assert.Equal("0.0.2", entry.KindVersion.Version);
        Assert.Equal(1692374735L, entry.IntegratedTime);
        Assert.NotEmpty(entry.InclusionPromise!.SignedEntryTimestamp);
        var proof = Assert.IsType<TlogInclusionProof>(entry.InclusionProof);
        Assert.Equal(27657874L, proof.LogIndex);
        Assert.Equal(27657875L, proof.TreeSize);
        Assert.Equal("v+7gOn1wovHHKBEVizJ5FFgTKUBCN9UxLo5KQ1Jz8cw=", Convert.ToBase64String(proof.RootHash));
        Assert.All(proof.Hashes, h => Assert.Equal(32, h.Length));
        Assert.Equal("/pZbqoFwAGIZaonQ2KdQj3HSGP7/4yfdZBUxKadw9Z8=", Convert.ToBase64String(proof.Hashes[0]));
        Assert.StartsWith("rekor.sigstore.dev - 2605736670972794746\n27657875\nv+7gOn1wovHHKBEVizJ5FFgTKUBCN9UxLo5KQ1Jz8cw=\n", proof.Checkpoint!.Envelope, StringComparison.Ordinal);
        Assert.Contains("\n\u2014 rekor.sigstore.dev wNI9a", proof.Checkpoint.Envelope, StringComparison.Ordinal);
        Assert.StartsWith("{\"apiVersion\":\"0.0.2\",\"kind\":\"intoto\"", Encoding.UTF8.GetString(entry.CanonicalizedBody), StringComparison.Ordinal);

        Assert.Null(bundle.MessageSignature);
        var envelope = Assert.IsType<DsseEnvelope>(bundle.DsseEnvelope);
        Assert.Equal(DsseEnvelope.InTotoPayloadType, envelope.PayloadType);
        Assert.StartsWith("{\"_type\":\"https://in-toto.io/Statement/v1\"", Encoding.UTF8.GetString(envelope.Payload), StringComparison.Ordinal);
        var signature = Assert.Single(envelope.Signatures);
        Assert.Equal("", signature.KeyId); // written as "keyid": "" upstream
        Assert.Equal((byte)0x30, signature.Sig[0]); // DER ECDSA signature
    }

    [Fact]
    public void Rekor_v2_entry_in_a_v0_3_bundle_has_no_integrated_time_or_promise()
    {
        var bundle = BundleJson.Parse(TestData.Bytes("bundles/conformance.rekor2-happy-path.sigstore.json"));

        Assert.Equal(BundleVersion.V0_3, bundle.Version);
        var material = bundle.VerificationMaterial!;
        Assert.NotNull(material.Certificate);
        Assert.Null(material.X509CertificateChain);
        var entry = Assert.Single(material.TlogEntries);
        Assert.Equal(735L, entry.LogIndex);
        Assert.Equal("8w1amZ2S5mJIQkQmPxdMuOrL/oJkvFg9MnQXmeOCXck=", Convert.ToBase64String(entry.LogId!.KeyId));
        Assert.Equal(("hashedrekord", "0.0.2"), (entry.KindVersion!.Kind, entry.KindVersion.Version));
        Assert.Equal(0L, entry.IntegratedTime);
        Assert.Null(entry.InclusionPromise);
        Assert.Equal(736L, entry.InclusionProof!.TreeSize);
        Assert.StartsWith("log2025-alpha1.rekor.sigstage.dev\n736\n", entry.InclusionProof.Checkpoint!.Envelope, StringComparison.Ordinal);
        Assert.Contains("\"hashedRekordV002\"", Encoding.UTF8.GetString(entry.CanonicalizedBody), StringComparison.Ordinal);
        Assert.Single(material.TimestampVerificationData!.Rfc3161Timestamps);

        var signature = Assert.IsType<MessageSignature>(bundle.MessageSignature);
        Assert.Equal(HashAlgorithm.Sha2_256, signature.MessageDigest!.Algorithm);
        Assert.Equal("oM/HEnHW4njlfNMy/5V8P3BD/do1TEy7GQow1W76Ab8=", Convert.ToBase64String(signature.MessageDigest.Digest));
        Assert.NotEmpty(signature.Signature);
    }

    [Fact]
    public void Public_key_hint_bundle_has_no_tlog_entries()
    {
        var bundle = BundleJson.Parse(TestData.Bytes("bundles/sigstore-go.public-key-validity.sigstore.json"));

        Assert.Equal("IpekKjxVkmTfB4YqY8q5sGEAeVtF9x3m7jHdhAxpgjQ=", bundle.VerificationMaterial!.PublicKey!.Hint);
        Assert.Empty(bundle.VerificationMaterial.TlogEntries);
        Assert.Single(bundle.VerificationMaterial.TimestampVerificationData!.Rfc3161Timestamps);
        bundle.Validate();
    }

    [Fact]
    public void Negative_log_index_parses_as_written()
    {
        // Rejecting it is the verifier's job (conformance bundle-negative-log-index_fail).
        var bundle = BundleJson.Parse(TestData.Bytes("bundles/conformance.bundle-negative-log-index_fail.sigstore.json"));

        Assert.Equal(-1L, bundle.VerificationMaterial!.TlogEntries[0].LogIndex);
    }

    [Fact]
    public void A_bundle_built_in_code_serializes_in_proto_order_without_defaults()
    {
        var bundle = new PrivateSigstore.Core.Bundle.Bundle
        {
            MediaType = BundleMediaType.V0_3,
            VerificationMaterial = new VerificationMaterial
            {
                Certificate = new DerCertificate { RawBytes = [0x30, 0x00] },
                TlogEntries =
                [
                    new TransparencyLogEntry
                    {
                        LogIndex = 0, // zero: omitted, as protojson omits it
                        LogId = new LogId { KeyId = [1, 2, 3] },
                        KindVersion = new KindVersion { Kind = "hashedrekord", Version = "0.0.2" },
                        InclusionProof = new TlogInclusionProof
                        {
                            LogIndex = 9_007_199_254_740_993, // above 2^53: must stay exact as a string
                            RootHash = [0xff],
                            TreeSize = long.MaxValue,
                            Hashes = [[0xfb], [0xfe]],
                            Checkpoint = new CheckpointEnvelope { Envelope = "origin\n1\nroot\n\n\u2014 origin sig\n" },
                        },
                    },
                ],
                TimestampVerificationData = new TimestampVerificationData(),
            },
            MessageSignature = new MessageSignature
            {
                MessageDigest = new HashOutput { Algorithm = HashAlgorithm.Sha2_384, Digest = [0xaa] },
                Signature = [0xbb],
            },
        };

        var json = BundleJson.Serialize(bundle);

        Assert.Equal(
            "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":{\"certificate\":{\"rawBytes\":\"MAA=\"},"
            + "\"tlogEntries\":[{\"logId\":{\"keyId\":\"AQID\"},\"kindVersion\":{\"kind\":\"hashedrekord\",\"version\":\"0.0.2\"},"
            + "\"inclusionProof\":{\"logIndex\":\"9007199254740993\",\"rootHash\":\"/w==\",\"treeSize\":\"9223372036854775807\","
            + "\"hashes\":[\"+w==\",\"/g==\"],\"checkpoint\":{\"envelope\":\"origin\\n1\\nroot\\n\\n\u2014 origin sig\\n\"}}}],"
            + "\"timestampVerificationData\":{}},"
            + "\"messageSignature\":{\"messageDigest\":{\"algorithm\":\"SHA2_384\",\"digest\":\"qg==\"},\"signature\":\"uw==\"}}",
            json);
        var reread = BundleJson.Parse(json);
        Assert.Equal(9_007_199_254_740_993, reread.VerificationMaterial!.TlogEntries[0].InclusionProof!.LogIndex);
        Assert.Equal(json, BundleJson.Serialize(reread));
        bundle.Validate();
    }

    [Fact]
    public void Indented_output_uses_two_spaces_and_lf()
    {
        var bundle = BundleJson.Parse(TestData.Bytes("bundles/sigstore-go.public-key-validity.sigstore.json"));

        var json = BundleJson.Serialize(bundle, indented: true);

        Assert.StartsWith("{\n  \"mediaType\": \"application/vnd.dev.sigstore.bundle.v0.3+json\",\n  \"verificationMaterial\": {\n    \"publicKey\": {", json, StringComparison.Ordinal);
        Assert.DoesNotContain('\r', json);
    }

    [Fact]
    public void Semantic_comparison_notices_a_changed_value()
    {
        // Guard for the round-trip harness itself: a one-digit change must not compare equal.
        var original = TestData.Text("bundles/sigstore-go.sigstore.js@2.0.0-provenance.sigstore.json");
        var changed = original.Replace("\"31821305\"", "\"31821306\"", StringComparison.Ordinal);

        Assert.NotEqual(original, changed);
        Assert.ThrowsAny<Exception>(() => JsonComparison.AssertSemanticallyEqual(original, changed));
    }
}
