using System.Security.Cryptography;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using PrivateSigstore.Fulcio.Config;
using PrivateSigstore.Fulcio.Oidc;

namespace PrivateSigstore.Fulcio.Tests.Oidc;

public sealed class OidcVerifierTests : IAsyncLifetime
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
    private readonly RsaSecurityKey _rsa = TestOidcIssuer.NewRsaKey("rsa-1");
    private readonly ECDsaSecurityKey _ec = TestOidcIssuer.NewEcKey("ec-1");
    private TestOidcIssuer _idp = null!;
    private static readonly OidcVerifierOptions Options = new() { AllowHttpDiscovery = true };

    public async ValueTask InitializeAsync()
    {
        _idp = await TestOidcIssuer.StartAsync();
        _idp.Publish(_rsa, _ec);
    }

    public async ValueTask DisposeAsync() => await _idp.DisposeAsync();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private FulcioConfig Config(string extra = "", string issuerExtra = "") => FulcioConfig.Parse($$$"""
        {"OIDCIssuers":{"{{{_idp.BaseUrl}}}":{"IssuerURL":"{{{_idp.BaseUrl}}}","ClientID":"sigstore","Type":"email"{{{issuerExtra}}}}}
         {{{extra}}}}
        """);

    private Dictionary<string, object> Claims(string? iss = null, object? aud = null, TimeSpan? expIn = null) => new()
    {
        ["iss"] = iss ?? _idp.BaseUrl,
        ["aud"] = aud ?? "sigstore",
        ["sub"] = "user-123",
        ["email"] = "alice@example.com",
        ["email_verified"] = true,
        ["iat"] = _time.GetUtcNow().ToUnixTimeSeconds(),
        ["nbf"] = _time.GetUtcNow().ToUnixTimeSeconds(),
        ["exp"] = _time.GetUtcNow().Add(expIn ?? TimeSpan.FromMinutes(10)).ToUnixTimeSeconds(),
    };

    private static async Task<OidcErrorReason> Reject(OidcVerifier verifier, string token)
    {
        var ex = await Assert.ThrowsAsync<OidcVerificationException>(() => verifier.VerifyAsync(token, Ct));
        Assert.Equal(OidcErrors.InvalidCredentialsMessage, OidcErrors.ToResponse(ex.Reason).Message);
        Assert.Equal(400, OidcErrors.ToResponse(ex.Reason).HttpStatus);
        return ex.Reason;
    }

    [Fact]
    public async Task Valid_RS256_token_verifies()
    {
        using var verifier = new OidcVerifier(Config(), Options, _time);
        var token = await verifier.VerifyAsync(TestOidcIssuer.Mint(_rsa, Claims()), Ct);
        Assert.Equal(_idp.BaseUrl, token.Issuer.IssuerUrl);
        Assert.Equal("user-123", token.Subject);
        Assert.Equal("alice@example.com", token.Email);
        Assert.True(token.EmailVerified);
        Assert.Equal("user-123", token.Claims.GetProperty("sub").GetString());
    }

    [Fact]
    public async Task Valid_ES256_token_with_audience_array_and_string_email_verified_verifies()
    {
        using var verifier = new OidcVerifier(Config(), Options, _time);
        var claims = Claims(aud: new[] { "other", "sigstore" });
        claims["email_verified"] = "true";
        var token = await verifier.VerifyAsync(TestOidcIssuer.Mint(_ec, claims), Ct);
        Assert.True(token.EmailVerified);
    }

    [Fact]
    public async Task Exp_has_no_leeway()
    {
        using var verifier = new OidcVerifier(Config(), Options, _time);
        var raw = TestOidcIssuer.Mint(_rsa, Claims(expIn: TimeSpan.FromMinutes(1)));
        _time.Advance(TimeSpan.FromMinutes(1));
        await verifier.VerifyAsync(raw, Ct); // exactly at exp: still valid (go-oidc: now.After(exp))
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(OidcErrorReason.Expired, await Reject(verifier, raw));
    }

    [Fact]
    public async Task Missing_exp_is_rejected()
    {
        using var verifier = new OidcVerifier(Config(), Options, _time);
        var claims = Claims();
        claims.Remove("exp");
        Assert.Equal(OidcErrorReason.MissingExpiry, await Reject(verifier, TestOidcIssuer.Mint(_rsa, claims)));
    }

    [Fact]
    public async Task Nbf_and_iat_have_a_small_leeway()
    {
        using var verifier = new OidcVerifier(Config(), Options, _time);
        var ok = Claims();
        ok["nbf"] = _time.GetUtcNow().AddSeconds(30).ToUnixTimeSeconds();
        await verifier.VerifyAsync(TestOidcIssuer.Mint(_rsa, ok), Ct);
        var future = Claims();
        future["nbf"] = _time.GetUtcNow().AddMinutes(5).ToUnixTimeSeconds();
        Assert.Equal(OidcErrorReason.NotYetValid, await Reject(verifier, TestOidcIssuer.Mint(_rsa, future)));
        var iat = Claims();
        iat["iat"] = _time.GetUtcNow().AddMinutes(5).ToUnixTimeSeconds();
        Assert.Equal(OidcErrorReason.IssuedInFuture, await Reject(verifier, TestOidcIssuer.Mint(_rsa, iat)));
    }

    [Fact]
    public async Task Wrong_audience_is_rejected()
    {
        using var verifier = new OidcVerifier(Config(), Options, _time);
        Assert.Equal(OidcErrorReason.WrongAudience, await Reject(verifier, TestOidcIssuer.Mint(_rsa, Claims(aud: "not-sigstore"))));
    }

    [Fact]
    public async Task Unknown_issuer_is_rejected()
    {
        using var verifier = new OidcVerifier(Config(), Options, _time);
        Assert.Equal(OidcErrorReason.UnknownIssuer, await Reject(verifier, TestOidcIssuer.Mint(_rsa, Claims(iss: "https://unknown.example.com"))));
        var noIss = Claims();
        noIss.Remove("iss");
        Assert.Equal(OidcErrorReason.UnknownIssuer, await Reject(verifier, TestOidcIssuer.Mint(_rsa, noIss)));
    }

    [Fact]
    public async Task Token_signed_by_another_issuers_key_is_rejected()
    {
        // iss names our issuer, but the signature comes from a key it never published (an attacker's IdP).
        using var verifier = new OidcVerifier(Config(), Options, _time);
        var foreign = TestOidcIssuer.NewRsaKey("rsa-1");
        Assert.Equal(OidcErrorReason.InvalidSignature, await Reject(verifier, TestOidcIssuer.Mint(foreign, Claims())));
    }

    [Fact]
    public async Task Discovery_issuer_mismatch_is_rejected()
    {
        // The config says the issuer is BaseUrl + "/", but discovery reports BaseUrl: go-oidc refuses such a provider.
        var url = _idp.BaseUrl + "/tenants/x/";
        using var verifier = new OidcVerifier(FulcioConfig.Parse($$$"""{"OIDCIssuers":{"{{{url}}}":{"IssuerURL":"{{{url}}}","Type":"email"} } }"""), Options, _time);
        Assert.Equal(OidcErrorReason.KeysUnavailable, await Reject(verifier, TestOidcIssuer.Mint(_rsa, Claims(iss: url))));
    }

    [Fact]
    public async Task Unknown_kid_triggers_a_rate_limited_refresh_that_picks_up_rotated_keys()
    {
        using var verifier = new OidcVerifier(Config(), Options, _time);
        await verifier.VerifyAsync(TestOidcIssuer.Mint(_rsa, Claims()), Ct);
        var fetches = _idp.JwksRequests;
        var rotated = TestOidcIssuer.NewRsaKey("rsa-2");
        _idp.ReplaceKeys(rotated);

        // Within the minimum refresh interval the cache is kept: unknown kid fails without a fetch.
        Assert.Equal(OidcErrorReason.UnknownKey, await Reject(verifier, TestOidcIssuer.Mint(rotated, Claims())));
        Assert.Equal(fetches, _idp.JwksRequests);

        _time.Advance(TimeSpan.FromSeconds(31));
        var token = await verifier.VerifyAsync(TestOidcIssuer.Mint(rotated, Claims()), Ct);
        Assert.Equal("user-123", token.Subject);
        Assert.Equal(fetches + 1, _idp.JwksRequests);
    }

    // Issue 20 finding 4: a kid that names no JWKS key was accepted when the signature verified under another key
    // (every key was tried). go-oidc tries only the keys with the token's kid, after one rate-limited refresh.
    [Fact]
    public async Task Kid_naming_no_published_key_is_refused_after_a_rate_limited_refresh_even_if_another_key_verifies()
    {
        using var verifier = new OidcVerifier(Config(), Options, _time);
        await verifier.VerifyAsync(TestOidcIssuer.Mint(_rsa, Claims()), Ct);
        var fetches = _idp.JwksRequests;
        var misnamed = new RsaSecurityKey(_rsa.Rsa) { KeyId = "no-such-kid" };

        Assert.Equal(OidcErrorReason.UnknownKey, await Reject(verifier, TestOidcIssuer.Mint(misnamed, Claims())));
        Assert.Equal(fetches, _idp.JwksRequests); // within the refresh interval: no fetch

        _time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(OidcErrorReason.UnknownKey, await Reject(verifier, TestOidcIssuer.Mint(misnamed, Claims())));
        Assert.Equal(fetches + 1, _idp.JwksRequests); // one refresh, still no such key

        var ecMisnamed = new ECDsaSecurityKey(_ec.ECDsa) { KeyId = _rsa.KeyId };
        // The kid of another published key: only that key is tried, and it does not verify.
        Assert.Equal(OidcErrorReason.InvalidSignature, await Reject(verifier, TestOidcIssuer.Mint(ecMisnamed, Claims())));
    }

    [Fact]
    public async Task Token_without_a_kid_is_checked_against_every_published_key()
    {
        using var verifier = new OidcVerifier(Config(), Options, _time);
        var unnamed = new ECDsaSecurityKey(_ec.ECDsa);
        Assert.Equal("user-123", (await verifier.VerifyAsync(TestOidcIssuer.Mint(unnamed, Claims()), Ct)).Subject);
    }

    [Fact]
    public async Task Alg_none_is_rejected()
    {
        using var verifier = new OidcVerifier(Config(), Options, _time);
        Assert.Equal(OidcErrorReason.UnsupportedAlgorithm, await Reject(verifier, TestOidcIssuer.Unsigned(Claims())));
    }

    [Fact]
    public async Task HS256_signed_with_the_rsa_public_key_is_rejected()
    {
        using var verifier = new OidcVerifier(Config(), Options, _time);
        var secret = new SymmetricSecurityKey(_rsa.Rsa.ExportSubjectPublicKeyInfo()) { KeyId = "rsa-1" };
        var raw = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Claims = Claims(),
            SigningCredentials = new SigningCredentials(secret, SecurityAlgorithms.HmacSha256),
        });
        Assert.Equal(OidcErrorReason.UnsupportedAlgorithm, await Reject(verifier, raw));
    }

    [Fact]
    public async Task Oversized_token_is_rejected_before_parsing()
    {
        using var verifier = new OidcVerifier(Config(), Options, _time);
        var claims = Claims();
        claims["padding"] = new string('a', 17 * 1024);
        var ex = await Assert.ThrowsAsync<OidcVerificationException>(() => verifier.VerifyAsync(TestOidcIssuer.Mint(_rsa, claims), Ct));
        Assert.Equal(OidcErrorReason.TokenTooLarge, ex.Reason);
        Assert.Contains("token too large", ex.Message, StringComparison.Ordinal);
        Assert.Equal(0, _idp.JwksRequests);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-jwt")]
    [InlineData("a.b.c")]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.!!!.sig")]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0")]
    public async Task Malformed_tokens_are_rejected(string raw)
    {
        using var verifier = new OidcVerifier(Config(), Options, _time);
        Assert.Equal(OidcErrorReason.MalformedToken, await Reject(verifier, raw));
    }

    [Fact]
    public async Task Static_jwks_file_issuer_needs_no_network()
    {
        var dir = Directory.CreateTempSubdirectory("jwks");
        try
        {
            var key = TestOidcIssuer.NewEcKey("offline-1");
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "jwks.json"), "{\"keys\":[" + TestOidcIssuer.ToJwk(key) + "]}", Ct);
            const string iss = "https://idp.airgapped.invalid";
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "config.yaml"), $"""
                oidc-issuers:
                  {iss}:
                    issuer-url: {iss}
                    type: email
                    jwks-file: jwks.json
                """, Ct);
            using var verifier = new OidcVerifier(FulcioConfig.Load(Path.Combine(dir.FullName, "config.yaml")), timeProvider: _time);
            var token = await verifier.VerifyAsync(TestOidcIssuer.Mint(key, Claims(iss: iss)), Ct);
            Assert.Equal(iss, token.Issuer.IssuerUrl);
            Assert.Equal(OidcErrorReason.InvalidSignature, await Reject(verifier, TestOidcIssuer.Mint(TestOidcIssuer.NewEcKey("offline-1"), Claims(iss: iss))));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public async Task Discovery_over_https_trusts_the_configured_ca_certificate_file()
    {
        var (caPem, leaf) = TestOidcIssuer.NewTlsChain();
        using var _ = leaf;
        await using var idp = await TestOidcIssuer.StartAsync(leaf);
        idp.Publish(_rsa);
        var dir = Directory.CreateTempSubdirectory("ca");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "idp-ca.pem"), caPem, Ct);
            var json = $$$"""{"OIDCIssuers":{"{{{idp.BaseUrl}}}":{"IssuerURL":"{{{idp.BaseUrl}}}","Type":"email","CaCertificateFile":"idp-ca.pem"} } }""";
            await File.WriteAllTextAsync(Path.Combine(dir.FullName, "config.json"), json, Ct);
            using var verifier = new OidcVerifier(FulcioConfig.Load(Path.Combine(dir.FullName, "config.json")), timeProvider: _time);
            var token = await verifier.VerifyAsync(TestOidcIssuer.Mint(_rsa, Claims(iss: idp.BaseUrl)), Ct);
            Assert.Equal(idp.BaseUrl, token.Issuer.IssuerUrl);

            // Inline PEM (upstream CACert) works too; without any custom CA the TLS handshake fails.
            var inline = FulcioConfig.Parse($$$"""{"OIDCIssuers":{"{{{idp.BaseUrl}}}":{"IssuerURL":"{{{idp.BaseUrl}}}","Type":"email","CACert":{{{System.Text.Json.JsonSerializer.Serialize(caPem)}}}} } }""");
            using var inlineVerifier = new OidcVerifier(inline, timeProvider: _time);
            await inlineVerifier.VerifyAsync(TestOidcIssuer.Mint(_rsa, Claims(iss: idp.BaseUrl)), Ct);

            using var untrusting = new OidcVerifier(FulcioConfig.Parse($$$"""{"OIDCIssuers":{"{{{idp.BaseUrl}}}":{"IssuerURL":"{{{idp.BaseUrl}}}","Type":"email"} } }"""), timeProvider: _time);
            Assert.Equal(OidcErrorReason.KeysUnavailable, await Reject(untrusting, TestOidcIssuer.Mint(_rsa, Claims(iss: idp.BaseUrl))));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public async Task Http_discovery_is_refused_unless_allowed()
    {
        using var verifier = new OidcVerifier(Config(), timeProvider: _time);
        Assert.Equal(OidcErrorReason.KeysUnavailable, await Reject(verifier, TestOidcIssuer.Mint(_rsa, Claims())));
    }

    [Fact]
    public async Task EdDSA_token_verifies_with_an_Ed25519_jwk_and_tampering_fails()
    {
        var seed = RandomNumberGenerator.GetBytes(32);
        var pub = PrivateSigstore.Core.Crypto.Ed25519.PublicKeyFromSeed(seed);
        var dir = Directory.CreateTempSubdirectory("jwks");
        try
        {
            var jwk = $$$"""{"kty":"OKP","crv":"Ed25519","kid":"ed-1","x":"{{{Base64UrlEncoder.Encode(pub)}}}"}""";
            var jwks = Path.Combine(dir.FullName, "jwks.json");
            await File.WriteAllTextAsync(jwks, "{\"keys\":[" + jwk + "]}", Ct);
            const string iss = "https://ed.airgapped.invalid";
            var config = FulcioConfig.Parse($$$"""{"OIDCIssuers":{"{{{iss}}}":{"IssuerURL":"{{{iss}}}","Type":"email","JwksFile":{{{System.Text.Json.JsonSerializer.Serialize(jwks)}}}} } }""");
            using var verifier = new OidcVerifier(config, timeProvider: _time);

            string Mint(Dictionary<string, object> claims, string kid = "ed-1")
            {
                var input = Base64UrlEncoder.Encode($$$"""{"alg":"EdDSA","typ":"JWT","kid":"{{{kid}}}"}""") + "." + Base64UrlEncoder.Encode(System.Text.Json.JsonSerializer.Serialize(claims));
                return input + "." + Base64UrlEncoder.Encode(PrivateSigstore.Core.Crypto.Ed25519.Sign(seed, System.Text.Encoding.ASCII.GetBytes(input)));
            }

            var token = await verifier.VerifyAsync(Mint(Claims(iss: iss)), Ct);
            Assert.Equal("user-123", token.Subject);

            var good = Mint(Claims(iss: iss));
            var parts = good.Split('.');
            var evil = Claims(iss: iss);
            evil["sub"] = "admin";
            var tampered = parts[0] + "." + Base64UrlEncoder.Encode(System.Text.Json.JsonSerializer.Serialize(evil)) + "." + parts[2];
            Assert.Equal(OidcErrorReason.InvalidSignature, await Reject(verifier, tampered));
            Assert.Equal(OidcErrorReason.WrongAudience, await Reject(verifier, Mint(Claims(iss: iss, aud: "other"))));
            Assert.Equal(OidcErrorReason.UnknownKey, await Reject(verifier, Mint(Claims(iss: iss), kid: "ed-2")));
            _time.Advance(TimeSpan.FromMinutes(11));
            Assert.Equal(OidcErrorReason.Expired, await Reject(verifier, good));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public async Task Meta_issuer_wildcard_matches_one_segment_only()
    {
        var config = FulcioConfig.Parse($$$"""{"MetaIssuers":{"{{{_idp.BaseUrl}}}/tenants/*":{"ClientID":"sigstore","Type":"email"} } }""");
        using var verifier = new OidcVerifier(config, Options, _time);
        var iss = _idp.BaseUrl + "/tenants/acme";
        var token = await verifier.VerifyAsync(TestOidcIssuer.Mint(_rsa, Claims(iss: iss)), Ct);
        Assert.Equal(iss, token.Issuer.IssuerUrl);
        Assert.Equal(OidcErrorReason.UnknownIssuer, await Reject(verifier, TestOidcIssuer.Mint(_rsa, Claims(iss: _idp.BaseUrl + "/tenants/acme/evil"))));
        Assert.Equal(OidcErrorReason.UnknownIssuer, await Reject(verifier, TestOidcIssuer.Mint(_rsa, Claims(iss: _idp.BaseUrl + "/tenants/"))));
    }

    [Fact]
    public async Task Allowed_claims_accept_and_deny()
    {
        var config = Config(issuerExtra: """, "AllowedClaims": {"email": ["*@example.com"], "groups": ["release-*"]}""");
        using var verifier = new OidcVerifier(config, Options, _time);
        var ok = Claims();
        ok["groups"] = new[] { "dev", "release-managers" };
        await verifier.VerifyAsync(TestOidcIssuer.Mint(_rsa, ok), Ct);

        var wrongEmail = Claims();
        wrongEmail["email"] = "mallory@evil.com";
        wrongEmail["groups"] = new[] { "release-managers" };
        Assert.Equal(OidcErrorReason.ClaimNotAllowed, await Reject(verifier, TestOidcIssuer.Mint(_rsa, wrongEmail)));

        var noGroup = Claims();
        Assert.Equal(OidcErrorReason.ClaimNotAllowed, await Reject(verifier, TestOidcIssuer.Mint(_rsa, noGroup)));
    }

    // Issue 20 finding 3: the glob "*.example.com"-style patterns were anchored with '$', which matches before a final newline.
    [Fact]
    public async Task Allowed_claims_globs_do_not_match_a_trailing_newline()
    {
        var config = Config(issuerExtra: """, "AllowedClaims": {"hd": ["example.com"], "email": ["*@example.com"]}""");
        using var verifier = new OidcVerifier(config, Options, _time);
        var ok = Claims();
        ok["hd"] = "example.com";
        await verifier.VerifyAsync(TestOidcIssuer.Mint(_rsa, ok), Ct);
        var trailing = Claims();
        trailing["hd"] = "example.com\n";
        Assert.Equal(OidcErrorReason.ClaimNotAllowed, await Reject(verifier, TestOidcIssuer.Mint(_rsa, trailing)));
        var email = Claims();
        email["hd"] = "example.com";
        email["email"] = "alice@example.com\n";
        Assert.Equal(OidcErrorReason.ClaimNotAllowed, await Reject(verifier, TestOidcIssuer.Mint(_rsa, email)));
    }

    [Fact]
    public async Task Meta_issuer_with_a_trailing_newline_is_unknown()
    {
        var config = FulcioConfig.Parse($$$"""{"MetaIssuers":{"{{{_idp.BaseUrl}}}/meta/*":{"Type":"email"} } }""");
        using var verifier = new OidcVerifier(config, Options, _time);
        Assert.Equal(OidcErrorReason.UnknownIssuer, await Reject(verifier, TestOidcIssuer.Mint(_rsa, Claims(iss: _idp.BaseUrl + "/meta/abc\n"))));
    }

    [Fact]
    public async Task Allowed_claims_apply_to_meta_issuers()
    {
        var config = FulcioConfig.Parse($$$"""{"MetaIssuers":{"{{{_idp.BaseUrl}}}/tenants/*":{"Type":"email","AllowedClaims":{"sub":["user-*"]}} } }""");
        using var verifier = new OidcVerifier(config, Options, _time);
        await verifier.VerifyAsync(TestOidcIssuer.Mint(_rsa, Claims(iss: _idp.BaseUrl + "/tenants/a")), Ct);
        var other = Claims(iss: _idp.BaseUrl + "/tenants/a");
        other["sub"] = "robot-1";
        Assert.Equal(OidcErrorReason.ClaimNotAllowed, await Reject(verifier, TestOidcIssuer.Mint(_rsa, other)));
    }

    [Fact]
    public async Task Discovery_failures_are_negatively_cached()
    {
        var config = FulcioConfig.Parse($$$"""{"MetaIssuers":{"{{{_idp.BaseUrl}}}/missing/*":{"Type":"email"} } }""");
        using var verifier = new OidcVerifier(config, Options, _time);
        var raw = TestOidcIssuer.Mint(_rsa, Claims(iss: _idp.BaseUrl + "/missing/a"));
        Assert.Equal(OidcErrorReason.KeysUnavailable, await Reject(verifier, raw));
        var ex = await Assert.ThrowsAsync<OidcVerificationException>(() => verifier.VerifyAsync(raw, Ct));
        Assert.Contains("cached failure", ex.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_reason_maps_to_fulcios_invalid_credentials_response()
    {
        foreach (var reason in Enum.GetValues<OidcErrorReason>())
        {
            Assert.Equal(new OidcErrorResponse(400, 3, "There was an error processing the identity token"), OidcErrors.ToResponse(reason));
        }
    }

    [Fact]
    public void Unsupported_algorithms_cannot_be_allowed()
    {
        Assert.Throws<ArgumentException>(() => new OidcVerifier(FulcioConfig.Parse("{}"), new OidcVerifierOptions { AllowedAlgorithms = ["HS256"] }));
        Assert.Throws<ArgumentException>(() => new OidcVerifier(FulcioConfig.Parse("{}"), new OidcVerifierOptions { AllowedAlgorithms = ["none"] }));
    }
}
