using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using PrivateSigstore.Core.Json;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Core.Rekor;
using PrivateSigstore.Core.Tests.Notes;

namespace PrivateSigstore.Core.Tests.Rekor;

/// <summary>Real public-good Rekor v1 and v2 data (testdata/rekor/README.md) checked with our code.</summary>
public sealed class PublicGoodVectorTests
{
    private const string RekorV1KeyBase64 = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwrkBbmLSGtks4L3qX6yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw==";
    private const string RekorV1LogId = "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d";
    private const string ProvenanceBundle = "sigstore.js-2.0.0-provenance.sigstore.json";

    private static readonly byte[] RekorV1Key = Convert.FromBase64String(RekorV1KeyBase64);

    public static TheoryData<string> V1Bundles => new() { ProvenanceBundle, "v1-hashedrekord-6757503.sigstore.json", "v1-dsse-22797666.sigstore.json" };

    public static TheoryData<string> V2Bundles => new() { "v2-dsse-544346.sigstore.json", "v2-hashedrekord-547661.sigstore.json" };

    [Fact]
    public void Rekor_v1_log_id_is_the_sha256_of_the_key_and_matches_the_trusted_root()
    {
        var tlog = TrustedRootLog("https://rekor.sigstore.dev");

        Assert.Equal(RekorV1LogId, SignedEntryTimestamp.LogId(RekorV1Key));
        Assert.Equal(RekorV1KeyBase64, tlog.GetProperty("publicKey").GetProperty("rawBytes").GetString());
        Assert.Equal(tlog.GetProperty("logId").GetProperty("keyId").GetBytesFromBase64(), EcdsaNoteVerifier.KeyId(RekorV1Key));
    }

    [Theory]
    [MemberData(nameof(V1Bundles))]
    public void Rekor_v1_signed_entry_timestamps_verify(string file)
    {
        using var bundle = TestData.ReadJson("rekor", file);
        var entry = TlogEntry(bundle);
        var body = entry.GetProperty("canonicalizedBody").GetString()!;
        var integratedTime = Int64Of(entry, "integratedTime");
        var logIndex = Int64Of(entry, "logIndex");
        var logId = Convert.ToHexStringLower(entry.GetProperty("logId").GetProperty("keyId").GetBytesFromBase64());
        var set = entry.GetProperty("inclusionPromise").GetProperty("signedEntryTimestamp").GetBytesFromBase64();

        var payload = SignedEntryTimestamp.Payload(body, integratedTime, logId, logIndex);

        Assert.Equal(RekorV1LogId, logId);
        Assert.Equal(
            $"{{\"body\":\"{body}\",\"integratedTime\":{integratedTime},\"logID\":\"{logId}\",\"logIndex\":{logIndex}}}",
            System.Text.Encoding.UTF8.GetString(payload));
        Assert.True(SignedEntryTimestamp.Verify(payload, set, RekorV1Key));
        Assert.False(SignedEntryTimestamp.Verify(SignedEntryTimestamp.Payload(body, integratedTime + 1, logId, logIndex), set, RekorV1Key));
        Assert.False(SignedEntryTimestamp.Verify(payload, set.AsSpan(0, set.Length - 1), RekorV1Key));
    }

    [Fact]
    public void Rekor_v1_set_covers_the_global_log_index_not_the_shard_index()
    {
        using var bundle = TestData.ReadJson("rekor", ProvenanceBundle);
        var entry = TlogEntry(bundle);
        var body = entry.GetProperty("canonicalizedBody").GetString()!;
        var set = entry.GetProperty("inclusionPromise").GetProperty("signedEntryTimestamp").GetBytesFromBase64();
        var shardIndex = Int64Of(entry.GetProperty("inclusionProof"), "logIndex");

        Assert.Equal(27657874, shardIndex);
        Assert.Equal(31821305, Int64Of(entry, "logIndex"));
        Assert.False(SignedEntryTimestamp.Verify(SignedEntryTimestamp.Payload(body, 1692374735, RekorV1LogId, shardIndex), set, RekorV1Key));
    }

    [Fact]
    public void Rekor_v1_checkpoint_verifies_with_the_v1_ecdsa_key()
    {
        using var bundle = TestData.ReadJson("rekor", ProvenanceBundle);
        var proof = TlogEntry(bundle).GetProperty("inclusionProof");
        var envelope = proof.GetProperty("checkpoint").GetProperty("envelope").GetString()!;
        var verifier = new EcdsaNoteVerifier("rekor.sigstore.dev", RekorV1Key);

        var signed = SignedCheckpoint.Parse(envelope);

        Assert.Equal(envelope, signed.Serialize());
        Assert.Equal(0xc0d23d6au, verifier.KeyHash); // logID[0:4]
        Assert.Equal("rekor.sigstore.dev - 2605736670972794746", signed.Checkpoint.Origin);
        Assert.True(signed.Checkpoint.IsRekorV1Origin);
        Assert.Equal(["Timestamp: 1692374735595899989"], signed.Checkpoint.Extensions);
        Assert.Equal((ulong)Int64Of(proof, "treeSize"), signed.Checkpoint.Size);
        Assert.Equal(proof.GetProperty("rootHash").GetBytesFromBase64(), signed.Checkpoint.RootHash);
        Assert.Equal([verifier], signed.Verify([verifier]));
        Assert.True(signed.VerifyRekorV1(verifier));

        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.False(signed.VerifyRekorV1(new EcdsaNoteVerifier("rekor.sigstore.dev", otherKey)));
        var tampered = SignedCheckpoint.Parse(envelope.Replace("27657875", "27657876", StringComparison.Ordinal));
        Assert.Throws<NoteVerificationException>(() => tampered.Verify([verifier]));
    }

    [Fact]
    public void Rekor_v1_uuid_and_inclusion_proof()
    {
        using var bundle = TestData.ReadJson("rekor", ProvenanceBundle);
        var entry = TlogEntry(bundle);
        var proof = entry.GetProperty("inclusionProof");
        var leaf = LeafHash(entry.GetProperty("canonicalizedBody").GetBytesFromBase64());

        // UUID = hex(RFC 6962 leaf hash) (reference/rekor.md §1.3, Appendix A).
        Assert.Equal("83c4d5305de1248c4bc0f14c9fa50b20120bb04579f13a29151c2494d1d220cb", Convert.ToHexStringLower(leaf));
        Assert.True(VerifyInclusion(leaf, (ulong)Int64Of(proof, "logIndex"), (ulong)Int64Of(proof, "treeSize"), Hashes(proof), proof.GetProperty("rootHash").GetBytesFromBase64()));
        Assert.False(VerifyInclusion(leaf, (ulong)Int64Of(proof, "logIndex") - 1, (ulong)Int64Of(proof, "treeSize"), Hashes(proof), proof.GetProperty("rootHash").GetBytesFromBase64()));
    }

    [Theory]
    [MemberData(nameof(V1Bundles))]
    [MemberData(nameof(V2Bundles))]
    public void Leaf_bodies_are_already_rfc8785_canonical(string file)
    {
        using var bundle = TestData.ReadJson("rekor", file);
        var body = TlogEntry(bundle).GetProperty("canonicalizedBody").GetBytesFromBase64();

        Assert.Equal(body, CanonicalJson.Canonicalize(body));
    }

    [Theory]
    [MemberData(nameof(V2Bundles))]
    public void Rekor_v2_ed25519_checkpoints_verify_and_the_key_id_matches(string file)
    {
        using var bundle = TestData.ReadJson("rekor", file);
        var entry = TlogEntry(bundle);
        var proof = entry.GetProperty("inclusionProof");
        var tlog = TrustedRootLog("https://log2025-1.rekor.sigstore.dev");
        var origin = new Uri(tlog.GetProperty("baseUrl").GetString()!).Host;
        var verifier = Ed25519NoteVerifier.FromSubjectPublicKeyInfo(origin, tlog.GetProperty("publicKey").GetProperty("rawBytes").GetBytesFromBase64());
        var keyId = Ed25519NoteVerifier.KeyId(origin, verifier.PublicKey);

        Assert.Equal("log2025-1.rekor.sigstore.dev", origin);
        Assert.Equal(tlog.GetProperty("logId").GetProperty("keyId").GetBytesFromBase64(), keyId);
        Assert.Equal(entry.GetProperty("logId").GetProperty("keyId").GetBytesFromBase64(), keyId);
        Assert.StartsWith("cf1199155bdd", Convert.ToHexStringLower(keyId), StringComparison.Ordinal);
        Assert.Equal(0xcf119915u, verifier.KeyHash);

        var envelope = proof.GetProperty("checkpoint").GetProperty("envelope").GetString()!;
        var signed = SignedCheckpoint.Parse(envelope);

        Assert.Equal(envelope, signed.Serialize());
        Assert.False(signed.Checkpoint.IsRekorV1Origin);
        Assert.Empty(signed.Checkpoint.Extensions);
        Assert.Equal([verifier], signed.Verify([verifier], expectedOrigin: origin));
        Assert.Equal((ulong)Int64Of(proof, "treeSize"), signed.Checkpoint.Size);
        Assert.Equal(proof.GetProperty("rootHash").GetBytesFromBase64(), signed.Checkpoint.RootHash);

        // Rekor v2 verifiers use the top-level logIndex against the checkpoint (reference/rekor.md §4.3).
        var leaf = LeafHash(entry.GetProperty("canonicalizedBody").GetBytesFromBase64());
        Assert.True(VerifyInclusion(leaf, (ulong)Int64Of(entry, "logIndex"), signed.Checkpoint.Size, Hashes(proof), signed.Checkpoint.RootHash));

        var wrongKey = new Ed25519NoteVerifier(origin, Ed25519PublicKeyOf(7));
        Assert.Throws<NoteVerificationException>(() => signed.Verify([wrongKey]));
        Assert.Throws<NoteVerificationException>(() => signed.Verify([new FixedHashVerifier(origin, verifier.KeyHash, wrongKey)]));
    }

    private static JsonElement TlogEntry(JsonDocument bundle) =>
        bundle.RootElement.GetProperty("verificationMaterial").GetProperty("tlogEntries")[0];

    private static JsonElement TrustedRootLog(string baseUrl)
    {
        using var root = TestData.ReadJson("rekor", "trusted_root.public-good.json");
        return root.RootElement.GetProperty("tlogs").EnumerateArray()
            .Single(t => t.GetProperty("baseUrl").GetString() == baseUrl)
            .Clone();
    }

    // Bundle JSON (proto3 JSON) writes int64 as strings.
    private static long Int64Of(JsonElement element, string name) =>
        long.Parse(element.GetProperty(name).GetString()!, CultureInfo.InvariantCulture);

    private static List<byte[]> Hashes(JsonElement proof) =>
        [.. proof.GetProperty("hashes").EnumerateArray().Select(h => h.GetBytesFromBase64())];

    private static byte[] Ed25519PublicKeyOf(byte seedByte) => PrivateSigstore.Core.Crypto.Ed25519.PublicKeyFromSeed(Enumerable.Repeat(seedByte, 32).ToArray());

    private static byte[] LeafHash(byte[] leaf) => SHA256.HashData([0x00, .. leaf]);


    // RFC 9162 §2.1.3.2 inclusion proof verification, by Core's ProofVerifier.
    private static bool VerifyInclusion(byte[] leafHash, ulong index, ulong size, IReadOnlyList<byte[]> proof, byte[] root) =>
        PrivateSigstore.Core.Merkle.ProofVerifier.TryVerifyInclusion(leafHash, index, size, proof, root, out _);
}
