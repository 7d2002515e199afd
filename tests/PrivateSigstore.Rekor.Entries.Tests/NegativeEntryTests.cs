using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using PrivateSigstore.Core;
using PrivateSigstore.Rekor.Entries;

namespace PrivateSigstore.Rekor.Entries.Tests;

/// <summary>Rejected entries: each throws <see cref="RekorEntryException"/> with upstream's message.</summary>
public sealed class NegativeEntryTests
{
    private const string Prefix = "error processing entry: ";
    private const string PayloadType = "application/vnd.in-toto+json";
    private static readonly byte[] Payload = Encoding.UTF8.GetBytes("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[]}");

    private static readonly Dictionary<string, Case> Cases = BuildCases();

    public static TheoryData<string> Names()
    {
        var data = new TheoryData<string>();
        foreach (var name in Cases.Keys)
        {
            data.Add(name);
        }

        return data;
    }

    [Fact]
    public void There_are_at_least_forty_cases() => Assert.True(Cases.Count >= 40, $"{Cases.Count} cases");

    [Theory]
    [MemberData(nameof(Names))]
    public void Is_rejected_with_upstreams_reason(string name)
    {
        var c = Cases[name];

        var e = Assert.Throws<RekorEntryException>(() => RekorEntries.Canonicalize(c.Json(), c.Policy ?? RekorEntryPolicy.Default));

        if (c.ReasonStartsWith)
        {
            Assert.StartsWith(c.Reason, e.Reason, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(c.Reason, e.Reason);
        }

        Assert.Equal(c.Status, e.HttpStatus);
        Assert.Equal(e.Reason, e.Message);
        Assert.IsAssignableFrom<WireFormatException>(e);
        if (c.Status == 400 && e.Reason.StartsWith(Prefix, StringComparison.Ordinal))
        {
            Assert.Equal(e.Reason[Prefix.Length..], e.Detail);
        }
    }

    [Fact]
    public void Search_reasons_have_no_error_processing_prefix()
    {
        var proposed = Hashed(SignerKind.P256, "sha256", j => j["spec"]!["data"]!["hash"]!["value"] = new string('a', 63));

        var e = Assert.Throws<RekorEntryException>(() => RekorEntries.Canonicalize(proposed, RekorEntryPolicy.Search));

        Assert.Equal("invalid value for hash", e.Reason);
        Assert.Equal(e.Reason, e.Detail);
    }

    private sealed record Case(Func<byte[]> Json, string Reason, int Status = 400, bool ReasonStartsWith = false, RekorEntryPolicy? Policy = null);

    private static Dictionary<string, Case> BuildCases()
    {
        var cases = new Dictionary<string, Case>();
        void Add(string name, Func<byte[]> json, string reason, int status = 400, bool startsWith = false, RekorEntryPolicy? policy = null) =>
            cases.Add(name, new Case(json, reason, status, startsWith, policy));
        byte[] Text(string json) => Encoding.UTF8.GetBytes(json);

        // The request body and the proposed-entry envelope (go-openapi binding).
        Add("not JSON", () => Text("{\"kind\":"), "parsing proposedEntry body failed: ", startsWith: true);
        Add("empty body", () => [], "parsing proposedEntry body failed: ", startsWith: true);
        Add("data after the JSON value", () => Text("{} {}"), "parsing proposedEntry body failed: ", startsWith: true);
        Add("non-object JSON (array)", () => Text("[1,2]"), "json: cannot unmarshal array into Go value of type models.targetedProposedEntry");
        Add("non-object JSON (string)", () => Text("\"hashedrekord\""), "json: cannot unmarshal string into Go value of type models.targetedProposedEntry");
        Add("nesting bomb", () => Text("{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\",\"spec\":" + new string('[', 40) + new string(']', 40) + "}"), "parsing proposedEntry body failed: ", startsWith: true);
        Add("oversized entry", () => Text($"{{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\",\"spec\":\"{new string('x', 128 * 1024)}\"}}"), "proposed entry is 131126 bytes, more than the limit of 131072", status: 413);
        Add("oversized for a small policy", () => Hashed(SignerKind.P256, "sha256"), "proposed entry is ", status: 413, startsWith: true, policy: new RekorEntryPolicy { MaxEntryBytes = 100 });
        Add("missing kind", () => Text("{\"apiVersion\":\"0.0.1\",\"spec\":{}}"), "kind in body is required", status: 422);
        Add("kind not a string", () => Text("{\"apiVersion\":\"0.0.1\",\"kind\":7,\"spec\":{}}"), "json: cannot unmarshal number into Go struct field targetedProposedEntry.kind of type string");
        Add("unsupported kind", () => Text("{\"apiVersion\":\"0.0.1\",\"kind\":\"pgp\",\"spec\":{}}"), "invalid kind value: \"pgp\"", status: 422);
        Add("kind not enabled here (rekord)", () => Text("{\"apiVersion\":\"0.0.1\",\"kind\":\"rekord\",\"spec\":{}}"), Prefix + "entry kind 'rekord' is not enabled for submission on this server");
        Add("unsupported version", () => Text("{\"apiVersion\":\"0.0.2\",\"kind\":\"hashedrekord\",\"spec\":{}}"), Prefix + "hashedrekord implementation for version '0.0.2' not found: unable to locate entry for version 0.0.2");
        Add("unsupported intoto version", () => Text("{\"apiVersion\":\"0.0.3\",\"kind\":\"intoto\",\"spec\":{}}"), Prefix + "intoto implementation for version '0.0.3' not found: unable to locate entry for version 0.0.3");
        Add("missing apiVersion", () => Text("{\"kind\":\"dsse\",\"spec\":{}}"), "apiVersion in body is required", status: 422);
        Add("apiVersion not semver", () => Text("{\"apiVersion\":\"1\",\"kind\":\"dsse\",\"spec\":{}}"), "apiVersion in body should match '^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)", status: 422, startsWith: true);
        Add("missing spec", () => Text("{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\"}"), "spec in body is required", status: 422);
        Add("spec not an object", () => Text("{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\",\"spec\":\"x\"}"), Prefix + "unsupported input type string for DecodeEntry");

        Add("lone surrogate in a value", () => Text("{\"apiVersion\":\"0.0.1\",\"kind\":\"\\ud800\",\"spec\":{}}"), Prefix + "invalid JSON string: ", startsWith: true);
        Add("lone surrogate in a member name", () => Text("{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\",\"\\udc00\":1,\"spec\":{}}"), Prefix, startsWith: true);
        Add("invalid UTF-8", () => [.. "{\"kind\":\""u8, 0xff, .. "\"}"u8], "parsing proposedEntry body failed: invalid UTF-8 in JSON text");

        // hashedrekord 0.0.1.
        Add("hashedrekord truncated base64 signature", () => Hashed(SignerKind.P256, "sha256", j => j["spec"]!["signature"]!["content"] = "MEUCIQ"), Prefix + "failed parsing base64 data for signature content: illegal base64 data at input byte ", startsWith: true);
        Add("hashedrekord invalid base64 public key", () => Hashed(SignerKind.P256, "sha256", j => j["spec"]!["signature"]!["publicKey"]!["content"] = "LS0t*"), Prefix + "failed parsing base64 data for public key content: illegal base64 data at input byte 4");
        Add("hashedrekord missing data", () => Hashed(SignerKind.P256, "sha256", j => j["spec"]!.AsObject().Remove("data")), Prefix + "validation failure list:\ndata in body is required");
        Add("hashedrekord missing signature", () => Hashed(SignerKind.P256, "sha256", j => j["spec"]!.AsObject().Remove("signature")), Prefix + "validation failure list:\nsignature in body is required");
        Add("hashedrekord missing everything", () => Text("{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\",\"spec\":{}}"), Prefix + "validation failure list:\ndata in body is required\nsignature in body is required");
        Add("hashedrekord unknown hash algorithm", () => Hashed(SignerKind.P256, "sha256", j => j["spec"]!["data"]!["hash"]!["algorithm"] = "md5"), Prefix + "validation failure list:\ndata.hash.algorithm in body should be one of [sha256 sha384 sha512]");
        Add("hashedrekord missing hash value", () => Hashed(SignerKind.P256, "sha256", j => j["spec"]!["data"]!["hash"]!.AsObject().Remove("value")), Prefix + "validation failure list:\ndata.hash.value in body is required");
        Add("hashedrekord sha256 digest length for sha384", () => Hashed(SignerKind.P384, "sha384", j => j["spec"]!["data"]!["hash"]!["value"] = new string('a', 64)), Prefix + "invalid value for hash");
        Add("hashedrekord digest one hex digit short", () => Hashed(SignerKind.P256, "sha256", j => j["spec"]!["data"]!["hash"]!["value"] = new string('a', 63)), Prefix + "invalid value for hash");
        Add("hashedrekord non-hex digest", () => Hashed(SignerKind.P256, "sha256", j => j["spec"]!["data"]!["hash"]!["value"] = "g" + new string('a', 63)), Prefix + "encoding/hex: invalid byte: U+0067 'g'");
        Add("hashedrekord missing public key", () => Hashed(SignerKind.P256, "sha256", j => j["spec"]!["signature"]!.AsObject().Remove("publicKey")), Prefix + "missing public key");
        Add("hashedrekord invalid PEM", () => Hashed(SignerKind.P256, "sha256", j => j["spec"]!["signature"]!["publicKey"]!["content"] = ProposedEntries.Base64("not a key")), Prefix + "invalid public key: failure decoding PEM");
        Add("hashedrekord PEM of another type", () => Hashed(SignerKind.P256, "sha256", j => j["spec"]!["signature"]!["publicKey"]!["content"] = ProposedEntries.Base64(PrivateSigstore.Core.Pem.GoPem.Encode("PRIVATE KEY", [1, 2, 3]))), Prefix + "invalid public key: cannot handle type PRIVATE KEY");
        Add("hashedrekord certificate with trailing text", () => HashedWithChain(TestCertificates.Pem(TestCertificates.SelfSigned(TestSigner.Of(SignerKind.P256))) + "trailing text"), Prefix + "error during PEM decoding");
        Add("hashedrekord public key with trailing text (parsed as a chain)", () => Hashed(SignerKind.P256, "sha256", j => j["spec"]!["signature"]!["publicKey"]!["content"] = ProposedEntries.Base64(TestSigner.Of(SignerKind.P256).PublicKeyPem + "trailing text")), Prefix + "x509: malformed certificate", startsWith: true);
        Add("hashedrekord PUBLIC KEY holding garbage", () => Hashed(SignerKind.P256, "sha256", j => j["spec"]!["signature"]!["publicKey"]!["content"] = ProposedEntries.Base64(PrivateSigstore.Core.Pem.GoPem.Encode("PUBLIC KEY", [0x30, 0x03, 0x02, 0x01, 0x01]))), Prefix + "x509: ", startsWith: true);
        Add("hashedrekord signature over other data", () => Hashed(SignerKind.P256, "sha256", j => j["spec"]!["data"]!["hash"]!["value"] = Convert.ToHexStringLower(SHA256.HashData("other"u8))), Prefix + "verifying signature: invalid signature when validating ASN.1 encoded signature");
        Add("hashedrekord ECDSA signature with trailing bytes", () => Hashed(SignerKind.P256, "sha256", j => j["spec"]!["signature"]!["content"] = Convert.ToBase64String([.. Convert.FromBase64String(j["spec"]!["signature"]!["content"]!.GetValue<string>()), 0])), Prefix + "verifying signature: invalid signature when validating ASN.1 encoded signature");
        Add("hashedrekord odd-length raw ECDSA signature", () => Hashed(SignerKind.P256, "sha256", j => j["spec"]!["signature"]!["content"] = Convert.ToBase64String(new byte[63])), Prefix + "verifying signature: ecdsa: Invalid IEEE_P1363 encoded bytes");
        Add("hashedrekord RSA signature over other data", () => Hashed(SignerKind.Rsa2048, "sha256", j => j["spec"]!["data"]!["hash"]!["value"] = new string('0', 64)), Prefix + "verifying signature: crypto/rsa: verification error");
        Add("hashedrekord empty signature", () => Hashed(SignerKind.P256, "sha256", j => j["spec"]!["signature"]!["content"] = string.Empty), Prefix + "verifying signature: X509 signature has not been initialized");
        Add("hashedrekord RSA-1024 key", () => Hashed(SignerKind.Rsa1024, "sha256"), Prefix + "entry algorithms are not allowed");
        Add("hashedrekord P-224 key", () => Hashed(SignerKind.P224, "sha256"), Prefix + "entry algorithms are not allowed");
        Add("hashedrekord P-256 key with a SHA-384 digest", () => Hashed(SignerKind.P256, "sha384"), Prefix + "entry algorithms are not allowed");
        Add("hashedrekord RSA-2048 with a SHA-512 digest", () => Hashed(SignerKind.Rsa2048, "sha512"), Prefix + "entry algorithms are not allowed");
        Add("hashedrekord Ed25519 with a SHA-256 digest", () => HashedEd25519Sha256(), Prefix + "verifying signature: unsupported hash algorithm: \"SHA-256\" not in [SHA-512]");
        Add("hashedrekord Ed25519ph over other data", () => Hashed(SignerKind.Ed25519, "sha512", j => j["spec"]!["data"]!["hash"]!["value"] = new string('1', 128)), Prefix + "verifying signature: failed to verify signature: ed25519: invalid signature");
        Add("hashedrekord chain of 11", () => HashedWithChain(ChainOf(11)), Prefix + "too many certificates specified in PEM block");
        Add("hashedrekord chain that does not link", () => HashedWithChain(UnlinkedChain()), Prefix + "verifying signature: x509: certificate signed by unknown authority");
        Add("hashedrekord chain through a non-CA", () => HashedWithChain(ChainThroughNonCa()), Prefix + "verifying signature: x509: certificate signed by unknown authority (possibly because of \"x509: invalid signature: parent certificate cannot sign this kind of certificate\"", startsWith: true);
        Add("hashedrekord chain with an unknown critical extension", () => HashedWithChain(ChainWithCriticalExtension()), Prefix + "verifying signature: x509: unhandled critical extension");
        Add("hashedrekord chain with a public key block", () => HashedWithChain(string.Concat(TestSigner.Of(SignerKind.P256).PublicKeyPem, TestSigner.Of(SignerKind.P256).PublicKeyPem)), Prefix + "x509: malformed certificate", startsWith: true);

        // dsse 0.0.1.
        Add("dsse envelope is not JSON", () => Dsse(_ => "{not json"), Prefix + "invalid DSSE envelope JSON: ", startsWith: true);
        Add("dsse envelope payload is a number", () => Dsse(_ => "{\"payload\":1,\"payloadType\":\"x\",\"signatures\":[]}"), Prefix + "json: cannot unmarshal number into Go struct field Envelope.payload of type string");
        Add("dsse envelope without signatures", () => Dsse(_ => ProposedEntries.EnvelopeJson(PayloadType, Payload, [])), Prefix + "DSSE envelope must contain 1 or more signatures");
        Add("dsse signature that does not verify", () => Dsse(sig => ProposedEntries.EnvelopeJson(PayloadType, Payload, [([.. sig.AsSpan(0, sig.Length - 1), (byte)(sig[^1] ^ 1)], null)])), Prefix + "could not verify envelope: accepted signatures do not match threshold, Found: 0, Expected 1");
        Add("dsse payload that is not base64", () => Dsse(sig => $"{{\"payload\":\"@@@\",\"payloadType\":\"{PayloadType}\",\"signatures\":[{{\"sig\":\"{Convert.ToBase64String(sig)}\"}}]}}"), Prefix + "could not verify envelope: unable to base64 decode payload (is payload in the right format?)");
        Add("dsse second signature without a verifier", () => Dsse(sig => ProposedEntries.EnvelopeJson(PayloadType, Payload, [(sig, null), (TestSigner.Of(SignerKind.P384).SignMessage(ProposedEntries.Pae(PayloadType, Payload)), null)])), Prefix + "all signatures must have a key that verifies it");
        Add("dsse too many signatures", () => Dsse(sig => ProposedEntries.EnvelopeJson(PayloadType, Payload, Enumerable.Repeat((sig, (string?)null), 17))), Prefix + "DSSE envelope has more than 16 signatures");
        Add("dsse verifier that is not PEM", () => Text(ProposedEntries.Dsse(ProposedEntries.EnvelopeJson(PayloadType, Payload, [(new byte[] { 1 }, null)]), "junk").ToJsonString()), Prefix + "could not parse public key as x509: invalid public key: failure decoding PEM");
        Add("dsse missing verifiers", () => Dsse(null, j => j["spec"]!["proposedContent"]!.AsObject().Remove("verifiers")), Prefix + "validation failure list:\nproposedContent.verifiers in body is required");
        Add("dsse empty verifiers", () => Dsse(null, j => j["spec"]!["proposedContent"]!["verifiers"] = new JsonArray()), Prefix + "validation failure list:\nproposedContent.verifiers in body should have at least 1 items");
        Add("dsse missing envelope", () => Dsse(null, j => j["spec"]!["proposedContent"]!.AsObject().Remove("envelope")), Prefix + "validation failure list:\nproposedContent.envelope in body is required");
        Add("dsse proposed content and signatures", () => Dsse(null, j => j["spec"]!["signatures"] = new JsonArray(new JsonObject { ["signature"] = "AAAA", ["verifier"] = "AAAA" })), Prefix + "either proposedContent or envelopeHash, payloadHash, and signatures must be present but not both");
        Add("dsse neither form", () => Text("{\"apiVersion\":\"0.0.1\",\"kind\":\"dsse\",\"spec\":{}}"), Prefix + "either proposedContent or envelopeHash, payloadHash, and signatures must be present");
        Add("dsse stored form with a bad signature pattern", () => Text("{\"apiVersion\":\"0.0.1\",\"kind\":\"dsse\",\"spec\":{\"signatures\":[{\"signature\":\"AAAA\\n\",\"verifier\":\"AAAA\"}]}}"), Prefix + "validation failure list:\nsignatures.0.signature in body should match '", startsWith: true);

        // intoto 0.0.2.
        Add("intoto 0.0.2 without hash", () => Intoto2(j => j["spec"]!["content"]!.AsObject().Remove("hash")), Prefix + "missing envelope digest");
        Add("intoto 0.0.2 hash algorithm not sha256", () => Intoto2(j => j["spec"]!["content"]!["hash"]!["algorithm"] = "sha512"), Prefix + "validation failure list:\ncontent.hash.algorithm in body should be one of [sha256]");
        Add("intoto 0.0.2 signature without public key", () => Intoto2(j => j["spec"]!["content"]!["envelope"]!["signatures"]![0]!.AsObject().Remove("publicKey")), Prefix + "validation failure list:\ncontent.envelope.signatures.0.publicKey in body is required");
        Add("intoto 0.0.2 without content", () => Text("{\"apiVersion\":\"0.0.2\",\"kind\":\"intoto\",\"spec\":{}}"), Prefix + "validation failure list:\ncontent.envelope.payloadType in body is required\ncontent.envelope.signatures in body is required");
        Add("intoto 0.0.2 without payload", () => Intoto2(j => j["spec"]!["content"]!["envelope"]!.AsObject().Remove("payload")), Prefix + "entry not insertable into log: missing envelope content");
        Add("intoto 0.0.2 single base64 signature", () => Intoto2(j => j["spec"]!["content"]!["envelope"]!["signatures"]![0]!["sig"] = Convert.ToBase64String(TestSigner.Of(SignerKind.P256).SignMessage(ProposedEntries.Pae(PayloadType, Payload)))), Prefix + "could not verify envelope: unable to base64 decode payload (is payload in the right format?)");
        Add("intoto 0.0.2 signature that does not verify", () => Intoto2(j => j["spec"]!["content"]!["envelope"]!["payloadType"] = "text/plain"), Prefix + "could not verify envelope: accepted signatures do not match threshold, Found: 0, Expected 1");
        Add("intoto 0.0.2 truncated base64 payload", () => Intoto2(j => j["spec"]!["content"]!["envelope"]!["payload"] = "ZXlK"[..3]), Prefix + "failed parsing base64 data for payload: illegal base64 data at input byte 0");

        // intoto 0.0.1.
        Add("intoto 0.0.1 missing public key", () => Intoto1(j => j["spec"]!.AsObject().Remove("publicKey")), Prefix + "validation failure list:\npublicKey in body is required");
        Add("intoto 0.0.1 key id that is not the key's", () => Intoto1(null, "SHA256:not-this-key"), Prefix + "accepted signatures do not match threshold, Found: 0, Expected 1");
        Add("intoto 0.0.1 without envelope", () => Intoto1(j => j["spec"]!["content"] = new JsonObject { ["hash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = "ab" } }), Prefix + "entry not insertable into log: missing envelope content");
        Add("intoto 0.0.1 without envelope or hash", () => Intoto1(j => j["spec"]!["content"] = new JsonObject()), Prefix + "missing hash value for envelope");
        Add("intoto 0.0.1 envelope without signatures", () => Text(ProposedEntries.IntotoV001("{\"payload\":\"e30=\",\"payloadType\":\"x\",\"signatures\":[]}", TestSigner.Of(SignerKind.P256).PublicKeyPem).ToJsonString()), Prefix + "no signature found");

        return cases;
    }

    private static byte[] Hashed(SignerKind kind, string algorithm, Action<JsonObject>? mutate = null)
    {
        var signer = TestSigner.Of(kind);
        var (digest, hash) = GeneratedEntryTests.Digest(algorithm);
        var proposed = ProposedEntries.HashedRekord(signer.SignDigest(digest, hash), signer.PublicKeyPem, algorithm, Convert.ToHexStringLower(digest));
        mutate?.Invoke(proposed);
        return ProposedEntries.Bytes(proposed);
    }

    private static byte[] HashedEd25519Sha256()
    {
        var signer = TestSigner.Of(SignerKind.Ed25519);
        var digest = SHA512.HashData("x"u8);
        var proposed = ProposedEntries.HashedRekord(signer.SignDigest(digest, HashAlgorithmName.SHA512), signer.PublicKeyPem, "sha256", Convert.ToHexStringLower(SHA256.HashData("x"u8)));
        return ProposedEntries.Bytes(proposed);
    }

    private static byte[] HashedWithChain(string chainPem)
    {
        var (digest, hash) = GeneratedEntryTests.Digest("sha256");
        var signature = TestSigner.Of(SignerKind.P256).SignDigest(digest, hash);
        return ProposedEntries.Bytes(ProposedEntries.HashedRekord(signature, chainPem, "sha256", Convert.ToHexStringLower(digest)));
    }

    private static string ChainOf(int count)
    {
        var root = TestCertificates.Ca("CN=root", TestSigner.Of(SignerKind.P384));
        var leaf = TestCertificates.Leaf(TestSigner.Of(SignerKind.P256), ("CN=root", TestSigner.Of(SignerKind.P384)));
        return TestCertificates.Pem([leaf, .. Enumerable.Repeat(root, count - 1)]);
    }

    private static string UnlinkedChain()
    {
        var leaf = TestCertificates.Leaf(TestSigner.Of(SignerKind.P256), ("CN=issuer", TestSigner.Of(SignerKind.P384)));
        var unrelated = TestCertificates.Ca("CN=unrelated", TestSigner.Of(SignerKind.Rsa2048));
        return TestCertificates.Pem(leaf, unrelated);
    }

    private static string ChainThroughNonCa()
    {
        var rootKey = TestSigner.Of(SignerKind.P384);
        var middleKey = TestSigner.Of(SignerKind.P521);
        var root = TestCertificates.Ca("CN=root", rootKey);
        var middle = TestCertificates.Ca("CN=middle", middleKey, ("CN=root", rootKey), isCa: false);
        var leaf = TestCertificates.Leaf(TestSigner.Of(SignerKind.P256), ("CN=middle", middleKey));
        return TestCertificates.Pem(leaf, middle, root);
    }

    private static string ChainWithCriticalExtension()
    {
        var rootKey = TestSigner.Of(SignerKind.P384);
        var root = TestCertificates.Ca("CN=root", rootKey);
        var leaf = TestCertificates.Leaf(TestSigner.Of(SignerKind.P256), ("CN=root", rootKey), extra: new X509Extension("1.3.6.1.4.1.99999.1", [0x05, 0x00], critical: true));
        return TestCertificates.Pem(leaf, root);
    }

    private static byte[] Dsse(Func<byte[], string>? envelope, Action<JsonObject>? mutate = null)
    {
        var signer = TestSigner.Of(SignerKind.P256);
        var signature = signer.SignMessage(ProposedEntries.Pae(PayloadType, Payload));
        var json = envelope?.Invoke(signature) ?? ProposedEntries.EnvelopeJson(PayloadType, Payload, [(signature, null)]);
        var proposed = ProposedEntries.Dsse(json, signer.PublicKeyPem);
        mutate?.Invoke(proposed);
        return ProposedEntries.Bytes(proposed);
    }

    private static byte[] Intoto2(Action<JsonObject> mutate)
    {
        var signer = TestSigner.Of(SignerKind.P256);
        var signature = Convert.ToBase64String(signer.SignMessage(ProposedEntries.Pae(PayloadType, Payload)));
        var proposed = ProposedEntries.IntotoV002(PayloadType, Convert.ToBase64String(Payload), [(signature, signer.PublicKeyPem, string.Empty)]);
        mutate(proposed);
        return ProposedEntries.Bytes(proposed);
    }

    private static byte[] Intoto1(Action<JsonObject>? mutate, string? keyId = null)
    {
        var signer = TestSigner.Of(SignerKind.P256);
        var envelope = ProposedEntries.EnvelopeJson(PayloadType, Payload, [(signer.SignMessage(ProposedEntries.Pae(PayloadType, Payload)), keyId)]);
        var proposed = ProposedEntries.IntotoV001(envelope, signer.PublicKeyPem);
        mutate?.Invoke(proposed);
        return ProposedEntries.Bytes(proposed);
    }
}
