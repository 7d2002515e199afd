using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace PrivateSigstore.Rekor.Tests.V2;

/// <summary>
/// Hostile and malformed Rekor v2 requests: each gets a 4xx in upstream's {code, message, details} shape (400/413) with a
/// message that says what is wrong, and nothing is written (the tree size does not change).
/// </summary>
public sealed class RekorV2NegativeTests(RekorV2Fixture rekor) : IClassFixture<RekorV2Fixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string B64(byte[] b) => Convert.ToBase64String(b);

    private static JsonObject Req(JsonObject request) => request["hashedRekordRequestV002"]!.AsObject();

    private static JsonObject Sig(JsonObject request) => Req(request)["signature"]!.AsObject();

    private static JsonObject Ver(JsonObject request) => Sig(request)["verifier"]!.AsObject();

    private static string Mutate(Action<JsonObject> mutate, string keyType = "P256")
    {
        var request = V2Requests.Valid(keyType);
        mutate(request);
        return request.ToJsonString();
    }

    private static string SignedBy(AsymmetricAlgorithm signer, byte[] spkiOrCert, string details, int digestBytes, bool certificate = false)
    {
        var digest = RandomNumberGenerator.GetBytes(digestBytes);
        var sig = signer switch
        {
            ECDsa e => e.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence),
            RSA r => r.SignHash(digest, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
            _ => throw new ArgumentException("key", nameof(signer)),
        };
        var verifier = certificate ? V2Requests.CertVerifier(spkiOrCert, details) : V2Requests.KeyVerifier(spkiOrCert, details);
        return V2Requests.HashedRekord(digest, sig, verifier).ToJsonString();
    }

    private static string DsseMutate(Action<JsonObject> mutate)
    {
        var request = V2Requests.Dsse("{\"a\":1}", certificate: false);
        mutate(request["dsseRequestV002"]!.AsObject());
        return request.ToJsonString();
    }

    private static readonly ECDsa OtherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private static readonly RSA Rsa1024 = RSA.Create(1024);

    /// <summary>name → (body, expected status, part of the expected message).</summary>
    private static readonly Dictionary<string, (Func<string> Body, int Status, string Message)> Cases = new()
    {
        ["empty body"] = (() => "", 400, "syntax error"),
        ["not JSON"] = (() => "hello", 400, "syntax error"),
        ["truncated JSON"] = (() => V2Requests.Valid().ToJsonString()[..40], 400, "syntax error"),
        ["a JSON array"] = (() => "[]", 400, "expected an object"),
        ["a JSON string"] = (() => "\"x\"", 400, "expected an object"),
        ["no entry type"] = (() => "{}", 400, "invalid type, must be hashedrekord"),
        ["null entry"] = (() => "{\"hashedRekordRequestV002\":null}", 400, "invalid type, must be hashedrekord"),
        ["entry is a string"] = (() => "{\"hashedRekordRequestV002\":\"x\"}", 400, "expected an object"),
        ["unknown top-level field"] = (() => Mutate(r => r["foo"] = 1), 400, "unknown field \"foo\""),
        ["old field name hashedRekordV0_0_2"] = (() => "{\"hashedRekordV0_0_2\":{}}", 400, "unknown field"),
        ["unknown field in request"] = (() => Mutate(r => Req(r)["digest2"] = "AA=="), 400, "unknown field \"digest2\""),
        ["unknown field in signature"] = (() => Mutate(r => Sig(r)["extra"] = true), 400, "unknown field \"extra\""),
        ["unknown field in verifier"] = (() => Mutate(r => Ver(r)["keyId"] = "x"), 400, "unknown field \"keyId\""),
        ["unknown field in publicKey"] = (() => Mutate(r => Ver(r)["publicKey"]!["pem"] = "x"), 400, "unknown field \"pem\""),
        ["both request types"] = (() => Mutate(r => r["dsseRequestV002"] = new JsonObject()), 400, "oneof"),
        ["both publicKey and certificate"] = (() => Mutate(r => Ver(r)["x509Certificate"] = new JsonObject { ["rawBytes"] = "AAAA" }), 400, "oneof"),
        ["a field given twice"] = (() => Mutate(r => { }).Replace("{\"digest\":", "{\"digest\":\"AAAA\",\"digest\":", StringComparison.Ordinal), 400, "duplicate field"),
        ["proto and JSON name of one field"] = (() => Mutate(r => Ver(r)["public_key"] = Ver(r)["publicKey"]!.DeepClone()), 400, "duplicate field \"public_key\""),
        ["deep nesting"] = (() => "{\"hashedRekordRequestV002\":{\"digest\":" + new string('[', 500) + new string(']', 500) + "}}", 400, "syntax error"),
        ["bad base64 digest"] = (() => Mutate(r => Req(r)["digest"] = "!!!notbase64"), 400, "bytes field digest"),
        ["bad base64 signature"] = (() => Mutate(r => Sig(r)["content"] = "a b c d"), 400, "bytes field content"),
        ["bad base64 key"] = (() => Mutate(r => Ver(r)["publicKey"]!["rawBytes"] = "%%%%"), 400, "bytes field rawBytes"),
        ["digest is a number"] = (() => Mutate(r => Req(r)["digest"] = 12), 400, "bytes field digest"),
        ["keyDetails unknown name"] = (() => Mutate(r => Ver(r)["keyDetails"] = "PKIX_FOO"), 400, "enum field keyDetails"),
        ["keyDetails missing"] = (() => Mutate(r => Ver(r).Remove("keyDetails")), 400, "signing algorithm not supported"),
        ["keyDetails unknown number"] = (() => Mutate(r => Ver(r)["keyDetails"] = 999), 400, "signing algorithm not supported"),
        ["keyDetails deprecated HMAC"] = (() => Mutate(r => Ver(r)["keyDetails"] = "PKIX_ECDSA_P256_HMAC_SHA_256"), 400, "signing algorithm not supported"),
        ["keyDetails RSA-PSS not allowed"] = (() => SignedBy(V2Requests.Rsa2048, V2Requests.Rsa2048.ExportSubjectPublicKeyInfo(), "PKIX_RSA_PSS_2048_SHA256", 32), 400, "unsupported entry algorithm for RSA key"),
        ["pure Ed25519"] = (() =>
        {
            var digest = RandomNumberGenerator.GetBytes(32);
            var pub = Core.Crypto.Ed25519.PublicKeyFromSeed(V2Requests.Ed25519Seed);
            return V2Requests.HashedRekord(digest, Core.Crypto.Ed25519.Sign(V2Requests.Ed25519Seed, digest), V2Requests.KeyVerifier(Core.Crypto.Ed25519.ToSubjectPublicKeyInfo(pub), "PKIX_ED25519")).ToJsonString();
        }, 400, "PKIX_ED25519"),
        ["RSA 1024"] = (() => SignedBy(Rsa1024, Rsa1024.ExportSubjectPublicKeyInfo(), "PKIX_RSA_PKCS1V15_2048_SHA256", 32), 400, "unsupported entry algorithm for RSA key, size 1024"),
        ["P-384 details for a P-256 key"] = (() => SignedBy(V2Requests.P256, V2Requests.P256.ExportSubjectPublicKeyInfo(), "PKIX_ECDSA_P384_SHA_384", 48), 400, "unsupported entry algorithm for ECDSA key, curve P-256"),
        ["P-256 details for an RSA key"] = (() => SignedBy(V2Requests.Rsa2048, V2Requests.Rsa2048.ExportSubjectPublicKeyInfo(), "PKIX_ECDSA_P256_SHA_256", 32), 400, "do not match"),
        ["RSA 3072 details for a 2048 key"] = (() => SignedBy(V2Requests.Rsa2048, V2Requests.Rsa2048.ExportSubjectPublicKeyInfo(), "PKIX_RSA_PKCS1V15_3072_SHA256", 32), 400, "do not match"),
        ["Ed25519ph details for an ECDSA key"] = (() => SignedBy(V2Requests.P521, V2Requests.P521.ExportSubjectPublicKeyInfo(), "PKIX_ED25519_PH", 64), 400, "do not match"),
        ["48-byte digest for P-256"] = (() => SignedBy(V2Requests.P256, V2Requests.P256.ExportSubjectPublicKeyInfo(), "PKIX_ECDSA_P256_SHA_256", 48), 400, "digest length (48) does not match expected size (32)"),
        ["31-byte digest"] = (() => SignedBy(V2Requests.P256, V2Requests.P256.ExportSubjectPublicKeyInfo(), "PKIX_ECDSA_P256_SHA_256", 31), 400, "digest length (31)"),
        ["32-byte digest for Ed25519ph"] = (() => Mutate(r => Req(r)["digest"] = B64(new byte[32]), "ED25519PH"), 400, "digest length (32) does not match expected size (64)"),
        ["empty digest"] = (() => Mutate(r => Req(r)["digest"] = ""), 400, "missing digest"),
        ["missing digest"] = (() => Mutate(r => Req(r).Remove("digest")), 400, "missing digest"),
        ["missing signature"] = (() => Mutate(r => Req(r).Remove("signature")), 400, "missing signature"),
        ["empty signature"] = (() => Mutate(r => Sig(r)["content"] = ""), 400, "missing signature"),
        ["missing verifier"] = (() => Mutate(r => Sig(r).Remove("verifier")), 400, "missing verifier"),
        ["verifier without key or certificate"] = (() => Mutate(r => Ver(r).Remove("publicKey")), 400, "missing signature public key or X.509 certificate"),
        ["empty public key"] = (() => Mutate(r => Ver(r)["publicKey"]!["rawBytes"] = ""), 400, "missing public key raw bytes"),
        ["empty certificate"] = (() => Mutate(r => { Ver(r).Remove("publicKey"); Ver(r)["x509Certificate"] = new JsonObject { ["rawBytes"] = "" }; }), 400, "missing X.509 certificate raw bytes"),
        ["garbage public key"] = (() => Mutate(r => Ver(r)["publicKey"]!["rawBytes"] = B64(RandomNumberGenerator.GetBytes(91))), 400, "parsing verifier"),
        ["PEM instead of DER key"] = (() => Mutate(r => Ver(r)["publicKey"]!["rawBytes"] = B64(Encoding.ASCII.GetBytes(V2Requests.P256.ExportSubjectPublicKeyInfoPem()))), 400, "parsing verifier"),
        ["garbage certificate"] = (() => Mutate(r => { Ver(r).Remove("publicKey"); Ver(r)["x509Certificate"] = new JsonObject { ["rawBytes"] = B64(RandomNumberGenerator.GetBytes(300)) }; }), 400, "parsing certificate"),
        ["signature over other data"] = (() => Mutate(r => Req(r)["digest"] = B64(SHA256.HashData("other"u8))), 400, "verifying signature"),
        ["signature by another key"] = (() => SignedBy(OtherKey, V2Requests.P256.ExportSubjectPublicKeyInfo(), "PKIX_ECDSA_P256_SHA_256", 32), 400, "verifying signature"),
        ["certificate of another key"] = (() => SignedBy(OtherKey, V2Requests.SelfSignedCertificate(V2Requests.P256), "PKIX_ECDSA_P256_SHA_256", 32, certificate: true), 400, "verifying signature"),
        ["RSA signature with a flipped bit"] = (() => Mutate(r => { var s = Convert.FromBase64String(Sig(r)["content"]!.GetValue<string>()); s[10] ^= 1; Sig(r)["content"] = B64(s); }, "RSA2048"), 400, "verifying signature"),
        ["Ed25519ph signature with a flipped bit"] = (() => Mutate(r => { var s = Convert.FromBase64String(Sig(r)["content"]!.GetValue<string>()); s[0] ^= 1; Sig(r)["content"] = B64(s); }, "ED25519PH"), 400, "verifying signature"),
        ["huge body"] = (() => "{\"hashedRekordRequestV002\":{\"digest\":\"" + new string('A', 5 * 1024 * 1024) + "\"}}", 413, "request body too large"),
        ["huge signature"] = (() => Mutate(r => Sig(r)["content"] = B64(RandomNumberGenerator.GetBytes(1024 * 1024))), 400, "verifying signature"),
        ["dsse empty envelope"] = (() => DsseMutate(d => d["envelope"] = new JsonObject()), 400, "envelope missing signatures"),
        ["dsse missing envelope"] = (() => DsseMutate(d => d.Remove("envelope")), 400, "missing envelope"),
        ["dsse no verifiers"] = (() => DsseMutate(d => d["verifiers"] = new JsonArray()), 400, "missing verifiers"),
        ["dsse eleven verifiers"] = (() => DsseMutate(d => d["verifiers"] = new JsonArray([.. Enumerable.Range(0, 11).Select(_ => (JsonNode)V2Requests.KeyVerifier(ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportSubjectPublicKeyInfo(), "PKIX_ECDSA_P256_SHA_256"))])), 400, "too many elements"),
        ["dsse duplicate verifier"] = (() => DsseMutate(d => d["verifiers"]!.AsArray().Add(d["verifiers"]![0]!.DeepClone())), 400, "duplicate verifier"),
        ["dsse empty signature"] = (() => DsseMutate(d => d["envelope"]!["signatures"]![0]!["sig"] = ""), 400, "envelope signature empty"),
        ["dsse broken signature"] = (() => V2Requests.Dsse("{}", breakSignature: true).ToJsonString(), 400, "could not verify envelope"),
        ["dsse signature over another payload"] = (() => DsseMutate(d => d["envelope"]!["payload"] = B64("{\"a\":2}"u8.ToArray())), 400, "could not verify envelope"),
        ["dsse unknown envelope field"] = (() => DsseMutate(d => d["envelope"]!["payloadHash"] = "x"), 400, "unknown field \"payloadHash\""),
        ["dsse verifier with pure Ed25519 details"] = (() => DsseMutate(d => d["verifiers"]![0]!["keyDetails"] = "PKIX_ED25519"), 400, "PKIX_ED25519"),
    };

    public static TheoryData<string> Names() => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public async Task Hostile_request_is_refused_with_4xx_and_nothing_is_written(string name)
    {
        var (body, status, message) = Cases[name];
        var before = await rekor.TreeSizeAsync();
        using var response = await rekor.PostAsync(body(), expectContinue: status == 413);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True((int)response.StatusCode == status, $"{name}: {(int)response.StatusCode} {text}");
        var error = JsonNode.Parse(text)!;
        Assert.Equal(3 + (status == 413 ? 5 : 0), error["code"]!.GetValue<int>());
        Assert.Contains(message, error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.NotNull(error["details"]);
        Assert.Equal(before, await rekor.TreeSizeAsync());
    }

    [Fact]
    public void There_are_at_least_forty_hostile_requests() => Assert.True(Cases.Count >= 40, $"{Cases.Count}");

    [Fact]
    public async Task Proto_names_unpadded_and_url_safe_base64_and_enum_numbers_are_accepted_as_protojson_does()
    {
        var (spki, _, digest, sig) = V2Requests.Sign("P256");
        var body = "{\"hashed_rekord_request_v002\":{\"digest\":\"" + Convert.ToBase64String(digest).TrimEnd('=').Replace('+', '-').Replace('/', '_') +
            "\",\"signature\":{\"content\":\"" + Convert.ToBase64String(sig) + "\",\"verifier\":{\"public_key\":{\"raw_bytes\":\"" + Convert.ToBase64String(spki) + "\"},\"key_details\":5}}}}";
        using var response = await rekor.PostAsync(body);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var tle = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
        var stored = Encoding.UTF8.GetString(Convert.FromBase64String(tle["canonicalizedBody"]!.GetValue<string>()));
        Assert.Contains("\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\"", stored, StringComparison.Ordinal);
        Assert.Contains(Convert.ToBase64String(digest), stored, StringComparison.Ordinal);
    }
}
