using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using PrivateSigstore.Fulcio.Tests.Oidc;

namespace PrivateSigstore.Fulcio.Tests.Api;

/// <summary>Every refusal over HTTP: status, gRPC code and Fulcio's exact message; nothing is issued.</summary>
public sealed class NegativeApiTests : IAsyncLifetime
{
    private const string BadToken = "There was an error processing the identity token";
    private const string BadSignature = "The signature supplied in the request could not be verified";
    private const string BadKey = "The public key supplied in the request could not be parsed";
    private const string Insecure = "The public key supplied in the request is insecure";
    private const string BadCsr = "The certificate signing request could not be parsed";

    private FulcioTestServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await FulcioTestServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private Dictionary<string, object> Email(TimeSpan? expIn = null) =>
        _server.Claims("email", "user-1", new { email = "alice@example.com", email_verified = true }, expIn);

    private async Task<(int, int, string)> PostAsync(JsonNode body, string? bearer = null)
    {
        using var response = await _server.PostV2Async(body, bearer);
        return await FulcioTestServer.ErrorAsync(response);
    }

    private async Task<(int, int, string)> WithTokenAsync(string token)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return await PostAsync(FulcioTestServer.PublicKeyRequest(key, "user-1", token));
    }

    [Fact]
    public async Task Expired_token() =>
        Assert.Equal((400, 3, BadToken), await WithTokenAsync(_server.Token(Email(expIn: TimeSpan.FromSeconds(-1)))));

    [Fact]
    public async Task Not_yet_valid_token()
    {
        var claims = Email();
        claims["nbf"] = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds();
        claims["iat"] = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds();
        claims["exp"] = DateTimeOffset.UtcNow.AddMinutes(20).ToUnixTimeSeconds();
        Assert.Equal((400, 3, BadToken), await WithTokenAsync(_server.Token(claims)));
    }

    [Fact]
    public async Task Wrong_audience()
    {
        var claims = Email();
        claims["aud"] = "not-sigstore";
        Assert.Equal((400, 3, BadToken), await WithTokenAsync(_server.Token(claims)));
    }

    [Fact]
    public async Task Wrong_or_unknown_issuer()
    {
        var claims = Email();
        claims["iss"] = "https://unknown.example.com";
        Assert.Equal((400, 3, BadToken), await WithTokenAsync(_server.Token(claims)));
        // A configured issuer string that only differs by a trailing slash is not the issuer (exact iss).
        claims["iss"] = _server.Issuer("email") + "/";
        Assert.Equal((400, 3, BadToken), await WithTokenAsync(_server.Token(claims)));
        // The meta-issuer regex is anchored: a suffix does not match (GHSA-59jp-pj84-45mr).
        claims["iss"] = _server.Issuer("meta-a") + ".evil.example";
        Assert.Equal((400, 3, BadToken), await WithTokenAsync(_server.Token(claims)));
    }

    [Fact]
    public async Task Unknown_kid()
    {
        var stranger = TestOidcIssuer.NewRsaKey("not-published");
        Assert.Equal((400, 3, BadToken), await WithTokenAsync(TestOidcIssuer.Mint(stranger, Email())));
    }

    [Fact]
    public async Task Alg_none() =>
        Assert.Equal((400, 3, BadToken), await WithTokenAsync(TestOidcIssuer.Unsigned(Email())));

    [Fact]
    public async Task HS256_signed_with_the_public_key()
    {
        // Algorithm confusion: an HMAC keyed with the issuer's public RSA key bytes.
        var secret = new SymmetricSecurityKey(_server.Rsa.Rsa.ExportSubjectPublicKeyInfo()) { KeyId = "rsa-1" };
        var token = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = Email(),
            SigningCredentials = new SigningCredentials(secret, SecurityAlgorithms.HmacSha256),
        });
        Assert.Equal((400, 3, BadToken), await WithTokenAsync(token));
    }

    [Fact]
    public async Task Oversized_token()
    {
        var claims = Email();
        claims["padding"] = new string('x', 20_000);
        Assert.Equal((400, 3, BadToken), await WithTokenAsync(_server.Token(claims)));
    }

    [Fact]
    public async Task Missing_token()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.Equal((400, 3, BadToken), await PostAsync(FulcioTestServer.PublicKeyRequest(key, "user-1", token: null)));
    }

    [Fact]
    public async Task Claims_the_issuer_type_needs_are_missing()
    {
        var claims = _server.Claims("email", "user-1", new { email = "alice@example.com", email_verified = false });
        Assert.Equal((400, 3, BadToken), await WithTokenAsync(_server.Token(claims)));
    }

    [Fact]
    public async Task A_token_without_the_email_claim_says_so_in_details()
    {
        // A workload client added without --email, for a CA that trusts the provider as type email (issue 21).
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var claims = _server.Claims("email", "user-1", new { email_verified = true });
        using var response = await _server.PostV2Async(FulcioTestServer.PublicKeyRequest(key, "user-1", _server.Token(claims)));
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken))!;

        Assert.Equal(400, (int)response.StatusCode);
        Assert.Equal(BadToken, json["message"]!.GetValue<string>());
        var detail = Assert.Single(json["details"]!.AsArray())!;
        Assert.Equal("type.googleapis.com/google.rpc.DebugInfo", detail["@type"]!.GetValue<string>());
        Assert.Equal("token missing email claim", detail["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Bad_proof_of_possession()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var token = _server.Token(Email());
        Assert.Equal((400, 3, BadSignature), await PostAsync(FulcioTestServer.PublicKeyRequest(key, "someone-else", token)));

        // A proof made with another key.
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var body = FulcioTestServer.PublicKeyRequest(key, "user-1", token);
        body["publicKeyRequest"]!["proofOfPossession"] = Convert.ToBase64String(other.SignData("user-1"u8.ToArray(), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        Assert.Equal((400, 3, BadSignature), await PostAsync(body));
    }

    [Fact]
    public async Task Rsa_1024_is_insecure()
    {
        using var rsa = RSA.Create(1024);
        var body = new JsonObject
        {
            ["credentials"] = new JsonObject { ["oidcIdentityToken"] = _server.Token(Email()) },
            ["publicKeyRequest"] = new JsonObject
            {
                ["publicKey"] = new JsonObject { ["content"] = rsa.ExportSubjectPublicKeyInfoPem() },
                ["proofOfPossession"] = Convert.ToBase64String(rsa.SignData("user-1"u8.ToArray(), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)),
            },
        };
        Assert.Equal((400, 3, Insecure), await PostAsync(body));
    }

    [Fact]
    public async Task Malformed_pem_and_missing_key()
    {
        var body = new JsonObject
        {
            ["credentials"] = new JsonObject { ["oidcIdentityToken"] = _server.Token(Email()) },
            ["publicKeyRequest"] = new JsonObject
            {
                ["publicKey"] = new JsonObject { ["content"] = "-----BEGIN PUBLIC KEY-----\nnot base64!\n-----END PUBLIC KEY-----\n" },
                ["proofOfPossession"] = "AAAA",
            },
        };
        Assert.Equal((400, 3, BadKey), await PostAsync(body));
        Assert.Equal((400, 3, BadKey), await PostAsync(new JsonObject { ["credentials"] = new JsonObject { ["oidcIdentityToken"] = _server.Token(Email()) } }));
    }

    [Fact]
    public async Task Csr_with_a_bad_signature_and_garbage_csr()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var der = new CertificateRequest(new X500DistinguishedName([0x30, 0x00]), key, HashAlgorithmName.SHA256).CreateSigningRequest();
        der[^5] ^= 0x01; // inside the signature
        string pem = PemEncoding.WriteString("CERTIFICATE REQUEST", der);
        var token = _server.Token(Email());
        Assert.Equal((400, 3, BadSignature), await PostAsync(new JsonObject { ["certificateSigningRequest"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(pem)) }, token));
        Assert.Equal((400, 3, BadCsr), await PostAsync(new JsonObject { ["certificateSigningRequest"] = Convert.ToBase64String("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"u8.ToArray()) }, token));
    }

    [Fact]
    public async Task P256_csr_signed_with_sha384_is_not_a_permitted_algorithm()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string pem = new CertificateRequest(new X500DistinguishedName([0x30, 0x00]), key, HashAlgorithmName.SHA384).CreateSigningRequestPem();
        var (status, code, message) = await PostAsync(new JsonObject { ["certificateSigningRequest"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(pem)) }, _server.Token(Email()));
        Assert.Equal((400, 3), (status, code));
        Assert.StartsWith("signing algorithm not permitted", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Malformed_bodies()
    {
        foreach (string body in new[] { "{not json", "[]", "{\"publicKeyRequest\":\"x\"}", "{\"certificateSigningRequest\":\"!!!\"}", "{\"publicKeyRequest\":{},\"public_key_request\":{}}" })
        {
            using var response = await _server.Http.PostAsync("/api/v2/signingCert", new StringContent(body, Encoding.UTF8, "application/json"), FulcioTestServer.Ct);
            var (status, code, _) = await FulcioTestServer.ErrorAsync(response);
            Assert.Equal((400, 3), (status, code));
        }
    }

    [Fact]
    public async Task Legacy_v1_takes_the_token_only_from_the_header()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var body = new JsonObject
        {
            ["credentials"] = new JsonObject { ["oidcIdentityToken"] = _server.Token(Email()) },
            ["publicKey"] = new JsonObject { ["content"] = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()) },
            ["signedEmailAddress"] = Convert.ToBase64String(key.SignData("user-1"u8.ToArray(), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)),
        };
        using var response = await _server.Http.PostAsync("/api/v1/signingCert", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"), FulcioTestServer.Ct);
        Assert.Equal((400, 3, BadToken), await FulcioTestServer.ErrorAsync(response));
    }
}

/// <summary>A CT log that cannot be reached: upstream's 500 "Error entering certificate in CTL", nothing issued.</summary>
public sealed class CtFailureTests
{
    [Fact]
    public async Task Unreachable_ct_log_is_a_500_and_no_certificate()
    {
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        await using var server = await FulcioTestServer.StartAsync("--Fulcio:CtLog:Url", "http://127.0.0.1:1", "--Fulcio:CtLog:Timeout", "00:00:05");
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var token = server.Token(server.Claims("email", "user-1", new { email = "alice@example.com", email_verified = true }));
        using var response = await server.PostV2Async(FulcioTestServer.PublicKeyRequest(key, "user-1", token));
        Assert.Equal((500, 13, "Error entering certificate in CTL"), await FulcioTestServer.ErrorAsync(response));
        string metrics = await server.Http.GetStringAsync("/metrics", FulcioTestServer.Ct);
        Assert.DoesNotContain("fulcio_new_certs_total 1", metrics, StringComparison.Ordinal);
    }
}
