using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PrivateSigstore.Client;
using PrivateSigstore.Client.Rekor;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Dsse;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Cli.Tests;

/// <summary>The Rekor v2 client's wire format (rekor-tiles api/proto/rekor/v2, reference/rekor.md §4), without a server.</summary>
public sealed class RekorV2ClientTests
{
    [Fact]
    public void Hashed_rekord_request_has_the_upstream_shape()
    {
        var request = JsonNode.Parse(RekorV2Client.HashedRekordRequest([1, 2, 3], [4, 5], (null, [6, 7]), PublicKeyDetails.PkixEcdsaP256Sha256))!;
        Assert.Equal("""{"hashedRekordRequestV002":{"digest":"AQID","signature":{"content":"BAU=","verifier":{"publicKey":{"rawBytes":"Bgc="},"keyDetails":"PKIX_ECDSA_P256_SHA_256"}}}}""",
            request.ToJsonString());
        var withCertificate = JsonNode.Parse(RekorV2Client.HashedRekordRequest([1], [2], ([9], null), PublicKeyDetails.PkixEcdsaP256Sha256))!;
        Assert.Equal("CQ==", (string?)withCertificate["hashedRekordRequestV002"]!["signature"]!["verifier"]!["x509Certificate"]!["rawBytes"]);
    }

    [Fact]
    public void Dsse_request_carries_the_envelope_and_one_verifier()
    {
        var envelope = new DsseEnvelope("application/vnd.in-toto+json", Encoding.UTF8.GetBytes("{}"), [new DsseSignature([1, 2], null)]);
        var request = JsonNode.Parse(RekorV2Client.DsseRequest(envelope, (null, [6]), PublicKeyDetails.PkixEcdsaP256Sha256))!["dsseRequestV002"]!;
        Assert.Equal("e30=", (string?)request["envelope"]!["payload"]);
        Assert.Equal("application/vnd.in-toto+json", (string?)request["envelope"]!["payloadType"]);
        Assert.Equal("AQI=", (string?)request["envelope"]!["signatures"]![0]!["sig"]);
        Assert.Equal("PKIX_ECDSA_P256_SHA_256", (string?)request["verifiers"]![0]!["keyDetails"]);
    }

    [Fact]
    public void Pure_ed25519_keys_are_refused_for_rekor_v2()
    {
        var spki = Core.Crypto.Ed25519.ToSubjectPublicKeyInfo(Core.Crypto.Ed25519.PublicKeyFromSeed(new byte[32]));
        Assert.Throws<ArgumentException>(() => RekorV2Client.KeyDetailsFor(spki));
        using var p384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        Assert.Equal(Core.Bundle.HashAlgorithm.Sha2_384, RekorV2Client.DigestOf(RekorV2Client.KeyDetailsFor(p384.ExportSubjectPublicKeyInfo())));
    }

    [Fact]
    public void The_protojson_transparency_log_entry_is_read_into_the_bundle_form_and_checked()
    {
        var (json, body) = Response();

        var entry = RekorV2Client.ParseEntry(Encoding.UTF8.GetBytes(json));

        Assert.Equal(1, entry.LogIndex);
        Assert.Equal(0, entry.IntegratedTime);
        Assert.Null(entry.InclusionPromise);
        Assert.Equal("hashedrekord", entry.KindVersion!.Kind);
        Assert.Equal("0.0.2", entry.KindVersion.Version);
        Assert.Equal(32, entry.LogId!.KeyId.Length);
        Assert.Equal(body, entry.CanonicalizedBody);
        Assert.Equal(2, entry.InclusionProof!.TreeSize);
        Assert.Single(entry.InclusionProof.Hashes);
        RekorV2Client.CheckEntry(entry, "hashedrekord");
        Assert.Throws<ServiceClientException>(() => RekorV2Client.CheckEntry(entry, "dsse"));

        var tampered = entry with { CanonicalizedBody = [.. body, (byte)' '] };
        Assert.Throws<ServiceClientException>(() => RekorV2Client.CheckEntry(tampered, "hashedrekord"));
    }

    [Fact]
    public void Malformed_entries_are_service_errors()
    {
        Assert.Throws<ServiceClientException>(() => RekorV2Client.ParseEntry("[]"u8));
        Assert.Throws<ServiceClientException>(() => RekorV2Client.ParseEntry("""{"logIndex":"x","logId":{},"kindVersion":{}}"""u8));
        Assert.Throws<ServiceClientException>(() => RekorV2Client.ParseEntry("""{"logIndex":"1"}"""u8));
    }

    [Fact]
    public void Entry_bundles_split_into_length_prefixed_entries()
    {
        byte[] bundle = [0, 2, (byte)'a', (byte)'b', 0, 0, 0, 1, (byte)'c'];
        var entries = RekorV2Client.ParseEntryBundle(bundle, 3);
        Assert.Equal(["ab", "", "c"], entries.Select(e => Encoding.ASCII.GetString(e)));
        Assert.Throws<ServiceClientException>(() => RekorV2Client.ParseEntryBundle(bundle, 2));
        Assert.Throws<ServiceClientException>(() => RekorV2Client.ParseEntryBundle(bundle.AsSpan(0, bundle.Length - 1), 3));
    }

    // An upstream-shaped 201 body (EmitUnpopulated: inclusionPromise null, int64 as strings) for leaf 1 of a 2-leaf tree.
    private static (string Json, byte[] Body) Response()
    {
        var body = Encoding.UTF8.GetBytes("""{"apiVersion":"0.0.2","kind":"hashedrekord","spec":{}}""");
        var other = Rfc6962.HashLeaf("leaf 0"u8);
        var root = Rfc6962.HashChildren(other, Rfc6962.HashLeaf(body));
        var signer = new Ed25519NoteSigner("127.0.0.1", new byte[32]);
        var checkpoint = SignedCheckpoint.Sign(new Checkpoint("127.0.0.1", 2, root), signer).Serialize();
        var json = new JsonObject
        {
            ["logIndex"] = "1",
            ["logId"] = new JsonObject { ["keyId"] = Convert.ToBase64String(Ed25519NoteVerifier.KeyId("127.0.0.1", signer.Verifier.PublicKey)) },
            ["kindVersion"] = new JsonObject { ["kind"] = "hashedrekord", ["version"] = "0.0.2" },
            ["integratedTime"] = "0",
            ["inclusionPromise"] = null,
            ["inclusionProof"] = new JsonObject
            {
                ["logIndex"] = "1", ["rootHash"] = Convert.ToBase64String(root), ["treeSize"] = "2",
                ["hashes"] = new JsonArray(Convert.ToBase64String(other)),
                ["checkpoint"] = new JsonObject { ["envelope"] = checkpoint },
            },
            ["canonicalizedBody"] = Convert.ToBase64String(body),
        };
        return (json.ToJsonString(), body);
    }
}
