using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Pem;

namespace PrivateSigstore.Rekor.Tests;

/// <summary>
/// Malformed and hostile requests: each gets its status and a message saying what is wrong, in Rekor's
/// {code, message} shape, and the tree does not change.
/// </summary>
public sealed class RekorNegativeTests(RekorFixture rekor) : IClassFixture<RekorFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public sealed record HostileRequest(string Name, string Method, string Path, Func<string?> Body, int Status, string Message)
    {
        public override string ToString() => Name;
    }

    private static string Valid(Action<JsonObject> mutate)
    {
        var (entry, _) = Proposals.HashedRekord();
        mutate(entry);
        return entry.ToJsonString();
    }

    private static JsonObject Spec(JsonObject e) => e["spec"]!.AsObject();

    private static string KeyOf(AsymmetricAlgorithm key) => Proposals.B64(Proposals.KeyPem(key));

    private static string SignedWith(AsymmetricAlgorithm key, HashAlgorithmName hash, string algorithm, int digestBytes)
    {
        var digest = RandomNumberGenerator.GetBytes(digestBytes);
        var sig = key switch
        {
            ECDsa e => e.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence),
            RSA r => r.SignHash(digest, hash, RSASignaturePadding.Pkcs1),
            _ => throw new ArgumentException("unsupported key type", nameof(key)),
        };
        return Proposals.HashedRekordJson(Convert.ToHexStringLower(digest), Convert.ToBase64String(sig), KeyOf(key), algorithm).ToJsonString();
    }

    private static string ChainOf(int n)
    {
        var certs = new List<byte[]>();
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        for (var i = 0; i < n; i++)
        {
            var req = new CertificateRequest($"CN=c{i}", key, HashAlgorithmName.SHA256);
            using var cert = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            certs.Add(cert.RawData);
        }
        var digest = RandomNumberGenerator.GetBytes(32);
        var sig = key.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
        return Proposals.HashedRekordJson(Convert.ToHexStringLower(digest), Convert.ToBase64String(sig), Proposals.B64(GoPem.EncodeCertificates(certs))).ToJsonString();
    }

    private static string Nest(int depth) => new string('[', depth) + new string(']', depth);

    private const string Entries = "/api/v1/log/entries";

    public static TheoryData<HostileRequest> Cases() => new((HostileRequest[])
    [
        // Bodies that are not proposed entries at all.
        new HostileRequest("empty body", "POST", Entries, () => "", 400, "empty"),
        new HostileRequest("not JSON", "POST", Entries, () => "this is not json", 400, ""),
        new HostileRequest("truncated JSON", "POST", Entries, () => Valid(_ => { })[..40], 400, ""),
        new HostileRequest("JSON array", "POST", Entries, () => "[1,2,3]", 400, "cannot unmarshal array"),
        new HostileRequest("JSON string", "POST", Entries, () => "\"hello\"", 400, "cannot unmarshal string"),
        new HostileRequest("JSON null", "POST", Entries, () => "null", 400, "cannot unmarshal null"),
        new HostileRequest("nesting bomb", "POST", Entries, () => "{\"kind\":" + Nest(5000) + "}", 400, ""),
        new HostileRequest("nesting bomb in spec", "POST", Entries, () => "{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\",\"spec\":" + new string('[', 200) + new string(']', 200) + "}", 400, ""),
        new HostileRequest("oversized body", "POST", Entries, () => Valid(e => Spec(e)["padding"] = new string('x', 200 * 1024)), 413, "larger than the limit"),
        // Envelope fields.
        new HostileRequest("missing kind", "POST", Entries, () => Valid(e => e.Remove("kind")), 422, "kind in body is required"),
        new HostileRequest("unknown kind", "POST", Entries, () => Valid(e => e["kind"] = "nosuchkind"), 422, "invalid kind value: \"nosuchkind\""),
        new HostileRequest("kind of wrong type", "POST", Entries, () => Valid(e => e["kind"] = 5), 400, "cannot unmarshal number"),
        new HostileRequest("missing apiVersion", "POST", Entries, () => Valid(e => e.Remove("apiVersion")), 422, "apiVersion in body is required"),
        new HostileRequest("unsupported apiVersion", "POST", Entries, () => Valid(e => e["apiVersion"] = "9.9.9"), 400, "9.9.9"),
        new HostileRequest("malformed apiVersion", "POST", Entries, () => Valid(e => e["apiVersion"] = "v1"), 422, "apiVersion in body should match"),
        new HostileRequest("missing spec", "POST", Entries, () => Valid(e => e.Remove("spec")), 422, "spec in body is required"),
        new HostileRequest("spec is a string", "POST", Entries, () => Valid(e => e["spec"] = "x"), 400, "error processing entry"),
        // hashedrekord data.
        new HostileRequest("missing data", "POST", Entries, () => Valid(e => Spec(e).Remove("data")), 400, "error processing entry"),
        new HostileRequest("missing hash", "POST", Entries, () => Valid(e => Spec(e)["data"]!.AsObject().Remove("hash")), 400, "error processing entry"),
        new HostileRequest("unknown hash algorithm", "POST", Entries, () => Valid(e => Spec(e)["data"]!["hash"]!["algorithm"] = "md5"), 400, "error processing entry"),
        new HostileRequest("digest one hex char short", "POST", Entries, () => Valid(e => Spec(e)["data"]!["hash"]!["value"] = new string('a', 63)), 400, "error processing entry"),
        new HostileRequest("digest too long", "POST", Entries, () => Valid(e => Spec(e)["data"]!["hash"]!["value"] = new string('a', 66)), 400, "error processing entry"),
        new HostileRequest("digest not hex", "POST", Entries, () => Valid(e => Spec(e)["data"]!["hash"]!["value"] = new string('z', 64)), 400, "error processing entry"),
        new HostileRequest("sha384 with a sha256-length digest", "POST", Entries, () => Valid(e => Spec(e)["data"]!["hash"]!["algorithm"] = "sha384"), 400, "error processing entry"),
        new HostileRequest("sha512 with a sha256-length digest", "POST", Entries, () => Valid(e => Spec(e)["data"]!["hash"]!["algorithm"] = "sha512"), 400, "error processing entry"),
        new HostileRequest("digest of a different artifact", "POST", Entries, () => Valid(e => Spec(e)["data"]!["hash"]!["value"] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32))), 400, "error processing entry"),
        // hashedrekord signature.
        new HostileRequest("missing signature", "POST", Entries, () => Valid(e => Spec(e).Remove("signature")), 400, "error processing entry"),
        new HostileRequest("missing signature content", "POST", Entries, () => Valid(e => Spec(e)["signature"]!.AsObject().Remove("content")), 400, "error processing entry"),
        new HostileRequest("empty signature", "POST", Entries, () => Valid(e => Spec(e)["signature"]!["content"] = ""), 400, "error processing entry"),
        new HostileRequest("signature not base64", "POST", Entries, () => Valid(e => Spec(e)["signature"]!["content"] = "!!!not-base64!!!"), 400, "error processing entry"),
        new HostileRequest("truncated base64 signature", "POST", Entries, () => Valid(e => Spec(e)["signature"]!["content"] = Spec(e)["signature"]!["content"]!.GetValue<string>()[..21]), 400, "error processing entry"),
        new HostileRequest("signature over other data", "POST", Entries, () => Valid(e => Spec(e)["signature"]!["content"] = Convert.ToBase64String(Proposals.Key.SignHash(RandomNumberGenerator.GetBytes(32), DSASignatureFormat.Rfc3279DerSequence))), 400, "error processing entry"),
        new HostileRequest("signature by another key", "POST", Entries, () => Valid(e => Spec(e)["signature"]!["publicKey"]!["content"] = KeyOf(ECDsa.Create(ECCurve.NamedCurves.nistP256))), 400, "error processing entry"),
        new HostileRequest("signature as raw r||s", "POST", Entries, () => Valid(e => Spec(e)["signature"]!["content"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(64))), 400, "error processing entry"),
        // hashedrekord public key.
        new HostileRequest("missing public key", "POST", Entries, () => Valid(e => Spec(e)["signature"]!.AsObject().Remove("publicKey")), 400, "error processing entry"),
        new HostileRequest("public key not base64", "POST", Entries, () => Valid(e => Spec(e)["signature"]!["publicKey"]!["content"] = "%%%"), 400, "error processing entry"),
        new HostileRequest("public key not PEM", "POST", Entries, () => Valid(e => Spec(e)["signature"]!["publicKey"]!["content"] = Proposals.B64("just some text")), 400, "error processing entry"),
        new HostileRequest("PEM with broken base64", "POST", Entries, () => Valid(e => Spec(e)["signature"]!["publicKey"]!["content"] = Proposals.B64("-----BEGIN PUBLIC KEY-----\n@@@@\n-----END PUBLIC KEY-----\n")), 400, "error processing entry"),
        new HostileRequest("PEM of garbage DER", "POST", Entries, () => Valid(e => Spec(e)["signature"]!["publicKey"]!["content"] = Proposals.B64(GoPem.Encode("PUBLIC KEY", RandomNumberGenerator.GetBytes(91)))), 400, "error processing entry"),
        new HostileRequest("truncated PEM", "POST", Entries, () => Valid(e => Spec(e)["signature"]!["publicKey"]!["content"] = Proposals.B64(Proposals.KeyPem()[..60])), 400, "error processing entry"),
        new HostileRequest("RSA 1024 key", "POST", Entries, () => SignedWith(RSA.Create(1024), HashAlgorithmName.SHA256, "sha256", 32), 400, "error processing entry"),
        new HostileRequest("P-224 key", "POST", Entries, () => SignedWith(ECDsa.Create(ECCurve.CreateFromValue("1.3.132.0.33")), HashAlgorithmName.SHA256, "sha256", 32), 400, "error processing entry"),
        new HostileRequest("P-384 key with SHA-256 (not allowed)", "POST", Entries, () => SignedWith(ECDsa.Create(ECCurve.NamedCurves.nistP384), HashAlgorithmName.SHA256, "sha256", 32), 400, "entry algorithms are not allowed"),
        new HostileRequest("certificate chain of 11", "POST", Entries, () => ChainOf(11), 400, "error processing entry"),
        // dsse and intoto.
        new HostileRequest("dsse envelope that does not verify", "POST", Entries, () => Proposals.Dsse("{\"a\":1}", breakSignature: true).ToJsonString(), 400, "error processing entry"),
        new HostileRequest("dsse envelope not a string", "POST", Entries, () => { var d = Proposals.Dsse("{}"); d["spec"]!["proposedContent"]!["envelope"] = new JsonObject(); return d.ToJsonString(); }, 400, "error processing entry"),
        new HostileRequest("dsse without verifiers", "POST", Entries, () => { var d = Proposals.Dsse("{}"); d["spec"]!["proposedContent"]!.AsObject().Remove("verifiers"); return d.ToJsonString(); }, 400, "error processing entry"),
        new HostileRequest("dsse envelope not JSON", "POST", Entries, () => { var d = Proposals.Dsse("{}"); d["spec"]!["proposedContent"]!["envelope"] = "{not json"; return d.ToJsonString(); }, 400, "error processing entry"),
        new HostileRequest("intoto 0.0.2 without content", "POST", Entries, () => "{\"apiVersion\":\"0.0.2\",\"kind\":\"intoto\",\"spec\":{}}", 400, "error processing entry"),
        // Reads and searches.
        new HostileRequest("11 queries in retrieve", "POST", Entries + "/retrieve", () => new JsonObject { ["logIndexes"] = new JsonArray(Enumerable.Range(0, 11).Select(i => (JsonNode)i).ToArray()) }.ToJsonString(), 422, "more than max allowed 10 entries in request"),
        new HostileRequest("retrieve with a bad UUID", "POST", Entries + "/retrieve", () => "{\"entryUUIDs\":[\"xyz\"]}", 400, "invalid entry UUID"),
        new HostileRequest("retrieve not JSON", "POST", Entries + "/retrieve", () => "{{", 400, "not valid JSON"),
        new HostileRequest("retrieve with entryUUIDs not an array", "POST", Entries + "/retrieve", () => "{\"entryUUIDs\":\"abc\"}", 400, "must be an array"),
        new HostileRequest("retrieve with a negative index", "POST", Entries + "/retrieve", () => "{\"logIndexes\":[-1]}", 400, "non-negative"),
        new HostileRequest("retrieve with an index that is not a number", "POST", Entries + "/retrieve", () => "{\"logIndexes\":[\"1\"]}", 400, "integers"),
        new HostileRequest("retrieve with a bad proposed entry", "POST", Entries + "/retrieve", () => "{\"entries\":[{\"kind\":\"nosuch\",\"apiVersion\":\"0.0.1\",\"spec\":{}}]}", 422, "invalid kind value"),
        new HostileRequest("logIndex not a number", "GET", Entries + "?logIndex=abc", () => null, 400, "logIndex"),
        new HostileRequest("negative logIndex", "GET", Entries + "?logIndex=-1", () => null, 400, "logIndex"),
        new HostileRequest("missing logIndex", "GET", Entries, () => null, 400, "logIndex"),
        new HostileRequest("entry id of 63 hex", "GET", Entries + "/" + new string('a', 63), () => null, 400, "entryUUID"),
        new HostileRequest("entry id not hex", "GET", Entries + "/" + new string('z', 64), () => null, 400, "entryUUID"),
        new HostileRequest("proof without lastSize", "GET", "/api/v1/log/proof?firstSize=1", () => null, 400, "lastSize"),
        new HostileRequest("proof firstSize above lastSize", "GET", "/api/v1/log/proof?firstSize=3&lastSize=2", () => null, 400, "firstSize(3) must be less than lastSize(2)"),
        new HostileRequest("proof beyond the tree", "GET", "/api/v1/log/proof?firstSize=1&lastSize=999999999", () => null, 400, "was greater than what is currently observable"),
        new HostileRequest("proof firstSize zero", "GET", "/api/v1/log/proof?firstSize=0&lastSize=1", () => null, 400, "firstSize"),
        new HostileRequest("proof with an unknown tree", "GET", "/api/v1/log/proof?lastSize=1&treeID=12345", () => null, 400, "unable to find a shard with treeID 12345"),
        new HostileRequest("public key of an unknown tree", "GET", "/api/v1/log/publicKey?treeID=12345", () => null, 400, "unable to find a shard with treeID 12345"),
        new HostileRequest("index search with nothing to search", "POST", "/api/v1/index/retrieve", () => "{}", 400, "at least one of"),
        new HostileRequest("index search with a bad hash", "POST", "/api/v1/index/retrieve", () => "{\"hash\":\"sha256:1234\"}", 400, "invalid hash value"),
        new HostileRequest("index search with a bad operator", "POST", "/api/v1/index/retrieve", () => "{\"email\":\"a@b.c\",\"operator\":\"xor\"}", 400, "operator"),
        new HostileRequest("index search with an unsupported key format", "POST", "/api/v1/index/retrieve", () => "{\"publicKey\":{\"format\":\"pgp\",\"content\":\"AAAA\"}}", 400, "unsupported public key format"),
        new HostileRequest("index search that is not JSON", "POST", "/api/v1/index/retrieve", () => "nope", 400, "not valid JSON"),
    ]);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Hostile_request_is_refused_and_the_tree_does_not_change(HostileRequest c)
    {
        // Keep at least one entry in the log so that read paths have something to refuse around.
        await rekor.Http.PostAsync("/api/v1/log/entries", Proposals.Json(Proposals.HashedRekord().Entry), Ct);
        var before = await rekor.Http.GetStringAsync("/api/v1/log", Ct);
        using var request = new HttpRequestMessage(new HttpMethod(c.Method), c.Path);
        if (c.Body() is { } body) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        var response = await rekor.Http.SendAsync(request, Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True((int)response.StatusCode == c.Status, $"{c.Name}: got {(int)response.StatusCode} {text}");
        var error = Proposals.Parse(text);
        Assert.Equal(c.Status, error.GetProperty("code").GetInt32());
        var message = error.GetProperty("message").GetString()!;
        Assert.False(string.IsNullOrWhiteSpace(message), $"{c.Name}: empty message");
        Assert.Contains(c.Message, message, StringComparison.Ordinal);
        // Nothing was written: the published tree is unchanged.
        var after = await rekor.Http.GetStringAsync("/api/v1/log", Ct);
        Assert.Equal(JsonNode.Parse(before)!["treeSize"]!.GetValue<long>(), JsonNode.Parse(after)!["treeSize"]!.GetValue<long>());
    }

    [Fact]
    public void There_are_at_least_fifty_hostile_cases() => Assert.True(Cases().Count >= 50, $"{Cases().Count} cases");
}
