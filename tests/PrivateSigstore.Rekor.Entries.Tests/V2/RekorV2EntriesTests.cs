using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Rekor.Entries.V2;

namespace PrivateSigstore.Rekor.Entries.Tests.V2;

/// <summary>Rekor v2 admission: byte-exact bodies against real rekor-tiles entries, policy, and refusals.</summary>
public sealed class RekorV2EntriesTests
{
    private static readonly ECDsa P256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public static TheoryData<string> UpstreamBodies()
    {
        using var doc = TestData.ReadJson("v2", "upstream-v2-bodies.json");
        return [.. doc.RootElement.EnumerateArray().Select(e => e.GetProperty("source").GetString()!)];
    }

    [Theory]
    [MemberData(nameof(UpstreamBodies))]
    public void A_request_rebuilt_from_a_public_good_entry_canonicalizes_to_the_same_bytes(string source)
    {
        using var doc = TestData.ReadJson("v2", "upstream-v2-bodies.json");
        var body = Convert.FromBase64String(doc.RootElement.EnumerateArray().Single(e => e.GetProperty("source").GetString() == source).GetProperty("canonicalizedBody").GetString()!);
        var spec = JsonNode.Parse(body)!["spec"]!["hashedRekordV002"]!;
        var request = new JsonObject
        {
            ["hashedRekordRequestV002"] = new JsonObject { ["digest"] = spec["data"]!["digest"]!.DeepClone(), ["signature"] = spec["signature"]!.DeepClone() },
        };
        var entry = RekorV2Entries.Canonicalize(Encoding.UTF8.GetBytes(request.ToJsonString()), RekorV2EntryPolicy.Default);
        Assert.Equal(Encoding.UTF8.GetString(body), Encoding.UTF8.GetString(entry.Body));
        Assert.Equal(SHA256.HashData([0, .. body]), entry.LeafHash);
        Assert.Equal(("hashedrekord", "0.0.2"), (entry.Kind, entry.ApiVersion));
        Assert.Empty(entry.IndexKeys);

        // What a verifier that does not trust the stored body rebuilds (hashedrekord.ToEntryHash) is the same body.
        var verifier = spec["signature"]!["verifier"]!;
        var isCert = verifier["x509Certificate"] is not null;
        var raw = Convert.FromBase64String((isCert ? verifier["x509Certificate"] : verifier["publicKey"])!["rawBytes"]!.GetValue<string>());
        var rebuilt = RekorV2Entries.HashedRekordBody(Convert.FromBase64String(spec["data"]!["digest"]!.GetValue<string>()),
            Convert.FromBase64String(spec["signature"]!["content"]!.GetValue<string>()), raw, isCert, PublicKeyDetails.PkixEcdsaP256Sha256);
        Assert.Equal(body, rebuilt);
    }

    private static byte[] Request(byte[] digest, byte[] sig, byte[] spki, string details = "PKIX_ECDSA_P256_SHA_256") => Encoding.UTF8.GetBytes(
        $"{{\"hashedRekordRequestV002\":{{\"digest\":\"{Convert.ToBase64String(digest)}\",\"signature\":{{\"content\":\"{Convert.ToBase64String(sig)}\",\"verifier\":{{\"publicKey\":{{\"rawBytes\":\"{Convert.ToBase64String(spki)}\"}},\"keyDetails\":\"{details}\"}}}}}}}}");

    [Fact]
    public void Field_order_of_the_request_does_not_change_the_canonical_body()
    {
        var digest = SHA256.HashData("artifact"u8);
        var sig = P256.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
        var spki = P256.ExportSubjectPublicKeyInfo();
        var a = RekorV2Entries.Canonicalize(Request(digest, sig, spki), RekorV2EntryPolicy.Default);
        var reordered = Encoding.UTF8.GetBytes(
            $"{{\"hashed_rekord_request_v002\":{{\"signature\":{{\"verifier\":{{\"key_details\":\"PKIX_ECDSA_P256_SHA_256\",\"public_key\":{{\"raw_bytes\":\"{Convert.ToBase64String(spki)}\"}}}},\"content\":\"{Convert.ToBase64String(sig)}\"}},\"digest\":\"{Convert.ToBase64String(digest)}\"}}}}");
        var b = RekorV2Entries.Canonicalize(reordered, RekorV2EntryPolicy.Default);
        Assert.Equal(a.Body, b.Body);
        Assert.Equal(
            "{\"apiVersion\":\"0.0.2\",\"kind\":\"hashedrekord\",\"spec\":{\"hashedRekordV002\":{\"data\":{\"algorithm\":\"SHA2_256\",\"digest\":\"" + Convert.ToBase64String(digest) +
            "\"},\"signature\":{\"content\":\"" + Convert.ToBase64String(sig) + "\",\"verifier\":{\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\",\"publicKey\":{\"rawBytes\":\"" + Convert.ToBase64String(spki) + "\"}}}}}}",
            Encoding.UTF8.GetString(a.Body));
    }

    [Fact]
    public void An_ieee_p1363_signature_is_accepted_and_stored_as_sent()
    {
        var digest = SHA256.HashData("p1363"u8);
        var sig = P256.SignHash(digest, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        var entry = RekorV2Entries.Canonicalize(Request(digest, sig, P256.ExportSubjectPublicKeyInfo()), RekorV2EntryPolicy.Default);
        Assert.Contains(Convert.ToBase64String(sig), Encoding.UTF8.GetString(entry.Body), StringComparison.Ordinal);
    }

    [Fact]
    public void Dsse_is_refused_with_upstreams_message_when_not_accepted_and_canonicalized_when_it_is()
    {
        var pae = Core.Dsse.DsseEnvelope.PreAuthenticationEncoding("text/plain", "hi"u8);
        var sig = P256.SignData(pae, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var request = Encoding.UTF8.GetBytes(
            $"{{\"dsseRequestV002\":{{\"envelope\":{{\"payload\":\"aGk=\",\"payloadType\":\"text/plain\",\"signatures\":[{{\"sig\":\"{Convert.ToBase64String(sig)}\",\"keyid\":\"\"}}]}},\"verifiers\":[{{\"publicKey\":{{\"rawBytes\":\"{Convert.ToBase64String(P256.ExportSubjectPublicKeyInfo())}\"}},\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\"}}]}}}}");
        var refused = Assert.Throws<RekorEntryException>(() => RekorV2Entries.Canonicalize(request, new RekorV2EntryPolicy { AcceptDsse = false }));
        Assert.Equal("invalid type, must be hashedrekord", refused.Reason);
        Assert.Equal(400, refused.HttpStatus);

        var entry = RekorV2Entries.Canonicalize(request, RekorV2EntryPolicy.Default);
        Assert.Equal(("dsse", "0.0.2"), (entry.Kind, entry.ApiVersion));
        Assert.Equal(
            "{\"apiVersion\":\"0.0.2\",\"kind\":\"dsse\",\"spec\":{\"dsseV002\":{\"payloadHash\":{\"algorithm\":\"SHA2_256\",\"digest\":\"" + Convert.ToBase64String(SHA256.HashData("hi"u8)) +
            "\"},\"signatures\":[{\"content\":\"" + Convert.ToBase64String(sig) + "\",\"verifier\":{\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\",\"publicKey\":{\"rawBytes\":\"" +
            Convert.ToBase64String(P256.ExportSubjectPublicKeyInfo()) + "\"}}}]}}}",
            Encoding.UTF8.GetString(entry.Body));
    }

    [Fact]
    public void Dsse_signatures_are_sorted_by_their_raw_bytes()
    {
        var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pae = Core.Dsse.DsseEnvelope.PreAuthenticationEncoding("t", "p"u8);
        var s1 = P256.SignData(pae, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var s2 = other.SignData(pae, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        string V(ECDsa k) => $"{{\"publicKey\":{{\"rawBytes\":\"{Convert.ToBase64String(k.ExportSubjectPublicKeyInfo())}\"}},\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\"}}";
        var request = Encoding.UTF8.GetBytes(
            $"{{\"dsseRequestV002\":{{\"envelope\":{{\"payload\":\"cA==\",\"payloadType\":\"t\",\"signatures\":[{{\"sig\":\"{Convert.ToBase64String(s1)}\"}},{{\"sig\":\"{Convert.ToBase64String(s2)}\"}}]}},\"verifiers\":[{V(P256)},{V(other)}]}}}}");
        var body = JsonNode.Parse(RekorV2Entries.Canonicalize(request, RekorV2EntryPolicy.Default).Body)!;
        var contents = body["spec"]!["dsseV002"]!["signatures"]!.AsArray().Select(s => Convert.FromBase64String(s!["content"]!.GetValue<string>())).ToList();
        Assert.Equal(2, contents.Count);
        Assert.True(contents[0].AsSpan().SequenceCompareTo(contents[1]) < 0);
    }

    [Theory]
    [InlineData("{\"hashedRekordRequestV002\":{},\"x\":1}", "unknown field \"x\"")]
    [InlineData("{\"hashedRekordRequestV002\":{}}", "invalid hashedrekord request: missing signature")]
    [InlineData("[1]", "expected an object")]
    [InlineData("{", "syntax error")]
    public void Malformed_requests_are_refused_with_400(string request, string message)
    {
        var e = Assert.Throws<RekorEntryException>(() => RekorV2Entries.Canonicalize(Encoding.UTF8.GetBytes(request), RekorV2EntryPolicy.Default));
        Assert.Equal(400, e.HttpStatus);
        Assert.Contains(message, e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Pure_ed25519_and_algorithms_outside_upstreams_set_cannot_be_allowed()
    {
        Assert.DoesNotContain(PublicKeyDetails.PkixEd25519, RekorV2EntryPolicy.DefaultAllowedSigningAlgorithms);
        Assert.Throws<ArgumentException>(() => new RekorV2EntryPolicy { AllowedSigningAlgorithms = new HashSet<PublicKeyDetails> { PublicKeyDetails.PkixEd25519 } });
        var onlyP384 = new RekorV2EntryPolicy { AllowedSigningAlgorithms = new HashSet<PublicKeyDetails> { PublicKeyDetails.PkixEcdsaP384Sha384 } };
        var digest = SHA256.HashData("x"u8);
        var e = Assert.Throws<RekorEntryException>(() => RekorV2Entries.Canonicalize(Request(digest, P256.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence), P256.ExportSubjectPublicKeyInfo()), onlyP384));
        Assert.Contains("unsupported entry algorithm for ECDSA key, curve P-256, digest SHA-256", e.Reason, StringComparison.Ordinal);
    }

    // Found by fuzzing (fuzz/run.sh rekor-v2): a string that is not valid UTF-8, or a lone escaped surrogate, in any
    // field threw InvalidOperationException out of JsonElement.GetString (a 500 from POST /api/v2/log/entries).
    public static TheoryData<string> NotUnicodeStrings() => ["\"\xff\"", "\"\xc3\"", "\"\\ud800\"", "\"a\\udc00b\""];

    [Theory]
    [MemberData(nameof(NotUnicodeStrings))]
    public void A_string_that_is_not_unicode_in_any_field_is_refused_with_a_reason(string bad)
    {
        var digest = SHA256.HashData("utf8"u8);
        var good = Encoding.UTF8.GetString(Request(digest, P256.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence), P256.ExportSubjectPublicKeyInfo()));
        var value = Latin1(bad);
        foreach (var request in new[]
        {
            Splice(good, "\"PKIX_ECDSA_P256_SHA_256\"", value),
            Splice(good, "\"" + Convert.ToBase64String(digest) + "\"", value),
            Splice(good, "\"hashedRekordRequestV002\"", value),
            Splice(good, "{\"hashedRekordRequestV002\"", Latin1("{" + Encoding.Latin1.GetString(value) + ":1,\"hashedRekordRequestV002\"")),
            Encoding.Latin1.GetBytes("{\"dsseRequestV002\":{\"envelope\":{\"payload\":\"aGk=\",\"payloadType\":" + Encoding.Latin1.GetString(value) + ",\"signatures\":[]},\"verifiers\":[]}}"),
        })
        {
            var e = Assert.Throws<RekorEntryException>(() => RekorV2Entries.Canonicalize(request, RekorV2EntryPolicy.Default));
            Assert.Equal(400, e.HttpStatus);
        }
    }

    private static byte[] Latin1(string s) => Encoding.Latin1.GetBytes(s);

    private static byte[] Splice(string json, string what, byte[] with)
    {
        var at = json.IndexOf(what, StringComparison.Ordinal);
        Assert.True(at >= 0, what);
        return [.. Encoding.Latin1.GetBytes(json[..at]), .. with, .. Encoding.Latin1.GetBytes(json[(at + what.Length)..])];
    }
}
