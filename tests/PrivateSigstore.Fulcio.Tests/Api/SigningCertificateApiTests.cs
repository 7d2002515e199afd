using System.Formats.Asn1;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Certificates;

namespace PrivateSigstore.Fulcio.Tests.Api;

/// <summary>The v2 and v1 issuance API over HTTP, one test per issuer type, both request forms and both name styles.</summary>
public sealed class SigningCertificateApiTests : IAsyncLifetime
{
    private FulcioTestServer _server = null!;

    public async ValueTask InitializeAsync() => _server = await FulcioTestServer.StartAsync();

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    private static CancellationToken Ct => FulcioTestServer.Ct;

    private static byte[] Utf8String(string value)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteCharacterString(UniversalTagNumber.UTF8String, value);
        return writer.Encode();
    }

    /// <summary>Issues for <paramref name="claims"/>, checks the profile, chain and key, and returns the leaf.</summary>
    private async Task<X509Certificate2> IssueAndCheckAsync(Dictionary<string, object> claims, string challenge, SanKind sanKind, string san, SigstoreExtensions expected, bool rsa = true)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var chain = await _server.IssueAsync(FulcioTestServer.PublicKeyRequest(key, challenge, _server.Token(claims, rsa)));
        var leaf = chain[0];

        // The chain validates under the code-signing policy, and the certificate key is the requested key.
        Assert.Equal(3, chain.Length);
        Assert.Equal(X509ChainStatusFlags.NoError, FulcioTestServer.ValidateCodeSigning(chain));
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), leaf.PublicKey.ExportSubjectPublicKeyInfo());

        // Profile: empty subject, 10 minutes, KU digitalSignature (critical), EKU codeSigning only, one critical SAN.
        Assert.Equal([0x30, 0x00], leaf.SubjectName.RawData);
        Assert.Equal(TimeSpan.FromMinutes(10), leaf.NotAfter - leaf.NotBefore);
        var ku = Assert.IsType<X509KeyUsageExtension>(leaf.Extensions["2.5.29.15"]);
        Assert.True(ku.Critical);
        Assert.Equal(X509KeyUsageFlags.DigitalSignature, ku.KeyUsages);
        var eku = Assert.IsType<X509EnhancedKeyUsageExtension>(leaf.Extensions["2.5.29.37"]);
        Assert.Equal([SigstoreOids.CodeSigningEku], eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value));
        var sanExtension = leaf.Extensions["2.5.29.17"]!;
        Assert.True(sanExtension.Critical);
        var names = SubjectAltNames.Read(leaf);
        Assert.Equal(1, names.Emails.Count + names.Uris.Count + names.Usernames.Count);
        Assert.Equal(san, Assert.Single(sanKind switch { SanKind.Email => names.Emails, SanKind.Uri => names.Uris, _ => names.Usernames }));

        // Every Sigstore extension, byte for byte: 1.1 raw, 1.8 and the rest DER UTF8String.
        Assert.Equal(expected, SigstoreExtensions.Parse(leaf.Extensions.Cast<X509Extension>()));
        Assert.Equal(Encoding.UTF8.GetBytes(expected.Issuer), leaf.Extensions[SigstoreOids.Issuer]!.RawData);
        Assert.Equal(Utf8String(expected.Issuer), leaf.Extensions[SigstoreOids.IssuerV2]!.RawData);
        Assert.Equal(Utf8String(expected.TokenSubject), leaf.Extensions[SigstoreOids.TokenSubject]!.RawData);
        return leaf;
    }

    public enum SanKind
    {
        Email,
        Uri,
        OtherName,
    }

    [Fact]
    public async Task Email_issuer_RS256()
    {
        string iss = _server.Issuer("email");
        var claims = _server.Claims("email", "user-1", new { email = "alice@example.com", email_verified = true });
        await IssueAndCheckAsync(claims, "alice@example.com", SanKind.Email, "alice@example.com", new() { Issuer = iss, TokenSubject = "user-1" });
    }

    [Fact]
    public async Task Email_issuer_ES256_with_proof_over_sub_as_sigstore_js_signs()
    {
        string iss = _server.Issuer("email");
        var claims = _server.Claims("email", "user-1", new { email = "alice@example.com", email_verified = true });
        await IssueAndCheckAsync(claims, "user-1", SanKind.Email, "alice@example.com", new() { Issuer = iss, TokenSubject = "user-1" }, rsa: false);
    }

    [Fact]
    public async Task Uri_issuer()
    {
        await IssueAndCheckAsync(_server.Claims("uri", "http://127.0.0.1/builds/7"), "http://127.0.0.1/builds/7", SanKind.Uri, "http://127.0.0.1/builds/7",
            new() { Issuer = _server.Issuer("uri"), TokenSubject = "http://127.0.0.1/builds/7" });
    }

    [Fact]
    public async Task Username_issuer_is_an_other_name()
    {
        await IssueAndCheckAsync(_server.Claims("username", "alice"), "alice", SanKind.OtherName, "alice!127.0.0.1",
            new() { Issuer = _server.Issuer("username"), TokenSubject = "alice" });
    }

    [Fact]
    public async Task Spiffe_issuer()
    {
        await IssueAndCheckAsync(_server.Claims("spiffe", "spiffe://example.org/ns/prod/sa/builder"), "spiffe://example.org/ns/prod/sa/builder", SanKind.Uri, "spiffe://example.org/ns/prod/sa/builder",
            new() { Issuer = _server.Issuer("spiffe"), TokenSubject = "spiffe://example.org/ns/prod/sa/builder" });
    }

    [Fact]
    public async Task Kubernetes_issuer()
    {
        const string sub = "system:serviceaccount:default:builder";
        var claims = _server.Claims("kubernetes", sub, new Dictionary<string, object> { ["kubernetes.io"] = new { @namespace = "default", serviceaccount = new { name = "builder", uid = "u" } } });
        await IssueAndCheckAsync(claims, sub, SanKind.Uri, "https://kubernetes.io/namespaces/default/serviceaccounts/builder",
            new() { Issuer = _server.Issuer("kubernetes"), TokenSubject = sub });
    }

    private static readonly Dictionary<string, object> GithubClaims = new()
    {
        ["job_workflow_ref"] = "octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main",
        ["sha"] = "abc123",
        ["event_name"] = "push",
        ["repository"] = "octo-org/octo-repo",
        ["workflow"] = "CI",
        ["ref"] = "refs/heads/main",
        ["job_workflow_sha"] = "def456",
        ["runner_environment"] = "github-hosted",
        ["repository_id"] = "74",
        ["repository_owner"] = "octo-org",
        ["repository_owner_id"] = "65",
        ["repository_visibility"] = "public",
        ["workflow_ref"] = "octo-org/octo-repo/.github/workflows/ci.yml@refs/heads/main",
        ["workflow_sha"] = "789abc",
        ["run_id"] = "1",
        ["run_attempt"] = "2",
    };

    private static SigstoreExtensions GithubExpected(string issuer, bool deprecated) => new()
    {
        Issuer = issuer,
        TokenSubject = "repo:octo-org/octo-repo:ref:refs/heads/main",
        GithubWorkflowTrigger = "push",
        GithubWorkflowSha = "abc123",
        GithubWorkflowName = "CI",
        GithubWorkflowRepository = "octo-org/octo-repo",
        GithubWorkflowRef = "refs/heads/main",
        BuildSignerUri = "https://github.com/octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main",
        BuildSignerDigest = "def456",
        RunnerEnvironment = "github-hosted",
        SourceRepositoryUri = "https://github.com/octo-org/octo-repo",
        SourceRepositoryDigest = "abc123",
        SourceRepositoryRef = "refs/heads/main",
        SourceRepositoryIdentifier = "74",
        SourceRepositoryOwnerUri = "https://github.com/octo-org",
        SourceRepositoryOwnerIdentifier = "65",
        BuildConfigUri = "https://github.com/octo-org/octo-repo/.github/workflows/ci.yml@refs/heads/main",
        BuildConfigDigest = "789abc",
        BuildTrigger = "push",
        RunInvocationUri = "https://github.com/octo-org/octo-repo/actions/runs/1/attempts/2",
        SourceRepositoryVisibilityAtSigning = "public",
    };

    [Fact]
    public async Task Github_workflow_issuer_writes_deprecated_and_current_extensions()
    {
        var leaf = await IssueAndCheckAsync(_server.Claims("github", "repo:octo-org/octo-repo:ref:refs/heads/main", GithubClaims), "repo:octo-org/octo-repo:ref:refs/heads/main",
            SanKind.Uri, "https://github.com/octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main", GithubExpected(_server.Issuer("github"), deprecated: true));
        // 1.2–1.6 are raw bytes, 1.9+ DER UTF8String.
        Assert.Equal("push"u8.ToArray(), leaf.Extensions[SigstoreOids.GithubWorkflowTrigger]!.RawData);
        Assert.Equal(Utf8String("https://github.com/octo-org/octo-repo"), leaf.Extensions[SigstoreOids.SourceRepositoryUri]!.RawData);
    }

    [Fact]
    public async Task Ci_provider_issuer_fills_extensions_from_templates()
    {
        await IssueAndCheckAsync(_server.Claims("ci", "repo:octo-org/octo-repo:ref:refs/heads/main", GithubClaims), "repo:octo-org/octo-repo:ref:refs/heads/main",
            SanKind.Uri, "https://github.com/octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main", GithubExpected(_server.Issuer("ci"), deprecated: false));
    }

    [Fact]
    public async Task Gitlab_pipeline_issuer()
    {
        var claims = _server.Claims("gitlab", "project_path:group/project:ref_type:branch:ref:main", new Dictionary<string, object>
        {
            ["project_path"] = "group/project", ["project_id"] = "42", ["pipeline_source"] = "push", ["pipeline_id"] = "7",
            ["ci_config_ref_uri"] = "gitlab.com/group/project//.gitlab-ci.yml@refs/heads/main", ["ci_config_sha"] = "cafe",
            ["namespace_path"] = "group", ["namespace_id"] = "9", ["job_id"] = "1001", ["ref"] = "main", ["ref_type"] = "branch",
            ["sha"] = "beef", ["runner_environment"] = "gitlab-hosted", ["runner_id"] = 5, ["project_visibility"] = "private",
        });
        const string config = "https://gitlab.com/group/project//.gitlab-ci.yml@refs/heads/main";
        string iss = _server.Issuer("gitlab");
        // The deprecated gitlab-pipeline type writes gitlab.com URLs whatever the issuer (upstream pkg/identity/gitlabcom).
        var leaf = await IssueAndCheckAsync(claims, "project_path:group/project:ref_type:branch:ref:main", SanKind.Uri, config, new()
        {
            Issuer = iss,
            TokenSubject = "project_path:group/project:ref_type:branch:ref:main",
            BuildConfigUri = config,
            BuildConfigDigest = "cafe",
            BuildSignerUri = config,
            BuildSignerDigest = "cafe",
            RunnerEnvironment = "gitlab-hosted",
            SourceRepositoryUri = "https://gitlab.com/group/project",
            SourceRepositoryDigest = "beef",
            SourceRepositoryRef = "refs/heads/main",
            SourceRepositoryIdentifier = "42",
            SourceRepositoryOwnerUri = "https://gitlab.com/group",
            SourceRepositoryOwnerIdentifier = "9",
            BuildTrigger = "push",
            RunInvocationUri = "https://gitlab.com/group/project/-/jobs/1001",
            SourceRepositoryVisibilityAtSigning = "private",
        });
        Assert.NotNull(leaf);
    }

    [Fact]
    public async Task Buildkite_job_issuer()
    {
        const string sub = "organization:acme:pipeline:app:ref:refs/heads/main";
        await IssueAndCheckAsync(_server.Claims("buildkite", sub, new { organization_slug = "acme", pipeline_slug = "app" }), sub, SanKind.Uri, "https://buildkite.com/acme/app",
            new() { Issuer = _server.Issuer("buildkite"), TokenSubject = sub });
    }

    [Fact]
    public async Task Meta_issuer_matches_its_wildcard_and_writes_the_concrete_issuer()
    {
        var claims = _server.Claims("meta-eu1", "user-9", new { email = "bob@example.com", email_verified = true });
        await IssueAndCheckAsync(claims, "bob@example.com", SanKind.Email, "bob@example.com", new() { Issuer = _server.Issuer("meta-eu1"), TokenSubject = "user-9" });
    }

    [Fact]
    public async Task Allowed_claims_restrict_issuance_fulcio_1989()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        const string sub = "repo:octo-org/octo-repo:ref:refs/heads/main";
        var chain = await _server.IssueAsync(FulcioTestServer.PublicKeyRequest(key, sub, _server.Token(_server.Claims("restricted", sub, GithubClaims))));
        Assert.Equal(3, chain.Length);

        var other = new Dictionary<string, object>(GithubClaims) { ["repository_owner"] = "evil-org" };
        using var response = await _server.PostV2Async(FulcioTestServer.PublicKeyRequest(key, sub, _server.Token(_server.Claims("restricted", sub, other))));
        Assert.Equal((400, 3, "There was an error processing the identity token"), await FulcioTestServer.ErrorAsync(response));
    }

    [Fact]
    public async Task Csr_request_with_snake_case_names_and_token_in_the_header()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var csr = new CertificateRequest(new X500DistinguishedName([0x30, 0x00]), key, HashAlgorithmName.SHA384).CreateSigningRequestPem();
        var body = new JsonObject
        {
            ["certificate_signing_request"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(csr)),
            ["unknown_field"] = new JsonObject { ["ignored"] = true },
        };
        var token = _server.Token(_server.Claims("email", "user-1", new { email = "alice@example.com", email_verified = true }));
        var chain = await _server.IssueAsync(body, bearer: token);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), chain[0].PublicKey.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public async Task Snake_case_public_key_request_url_safe_unpadded_proof_and_unknown_enum()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var proof = key.SignData("user-1"u8.ToArray(), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var body = new JsonObject
        {
            ["credentials"] = new JsonObject { ["oidc_identity_token"] = _server.Token(_server.Claims("email", "user-1", new { email = "alice@example.com", email_verified = true })) },
            ["public_key_request"] = new JsonObject
            {
                ["public_key"] = new JsonObject { ["algorithm"] = "RSA", ["content"] = key.ExportSubjectPublicKeyInfoPem() },
                ["proof_of_possession"] = Convert.ToBase64String(proof).TrimEnd('=').Replace('+', '-').Replace('/', '_'),
            },
        };
        var chain = await _server.IssueAsync(body);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), chain[0].PublicKey.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public async Task Without_ct_the_response_is_detached_with_an_empty_sct_and_trimmed_pems()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var token = _server.Token(_server.Claims("email", "user-1", new { email = "alice@example.com", email_verified = true }));
        using var response = await _server.PostV2Async(FulcioTestServer.PublicKeyRequest(key, "alice@example.com", token));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!.AsObject();
        var detached = Assert.Single(json).Value!.AsObject();
        Assert.Equal("signedCertificateDetachedSct", json.Single().Key);
        Assert.Equal("", detached["signedCertificateTimestamp"]!.GetValue<string>());
        var pems = detached["chain"]!["certificates"]!.AsArray().Select(p => p!.GetValue<string>()).ToList();
        Assert.Equal(3, pems.Count);
        Assert.All(pems, p => Assert.False(p.EndsWith('\n')));
        Assert.All(pems, p => Assert.StartsWith("-----BEGIN CERTIFICATE-----\n", p, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Trust_bundle_root_cert_and_chain_agree()
    {
        var bundle = JsonNode.Parse(await _server.Http.GetStringAsync("/api/v2/trustBundle", Ct))!;
        var pems = bundle["chains"]!.AsArray().Single()!["certificates"]!.AsArray().Select(p => p!.GetValue<string>()).ToList();
        Assert.Equal(2, pems.Count);
        Assert.All(pems, p => Assert.EndsWith("-----END CERTIFICATE-----\n", p, StringComparison.Ordinal));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var chain = await _server.IssueAsync(FulcioTestServer.PublicKeyRequest(key, "user-1", _server.Token(_server.Claims("email", "user-1", new { email = "a@example.com", email_verified = true }))));
        Assert.Equal(pems.Select(p => X509Certificate2.CreateFromPem(p).RawData), chain[1..].Select(c => c.RawData));

        using var root = await _server.Http.GetAsync("/api/v1/rootCert", Ct);
        Assert.Equal("application/pem-certificate-chain", root.Content.Headers.ContentType!.MediaType);
        Assert.Equal(string.Concat(pems), await root.Content.ReadAsStringAsync(Ct));
    }

    [Fact]
    public async Task Configuration_lists_issuers_with_audience_and_challenge_claim()
    {
        var json = JsonNode.Parse(await _server.Http.GetStringAsync("/api/v2/configuration", Ct))!;
        var issuers = json["issuers"]!.AsArray();
        var email = issuers.Single(i => i!["issuerUrl"]?.GetValue<string>() == _server.Issuer("email"))!;
        Assert.Equal("sigstore", email["audience"]!.GetValue<string>());
        Assert.Equal("email", email["challengeClaim"]!.GetValue<string>());
        Assert.Equal("email", email["issuerType"]!.GetValue<string>());
        Assert.False(email["skipEmailVerification"]!.GetValue<bool>());
        var spiffe = issuers.Single(i => i!["issuerUrl"]?.GetValue<string>() == _server.Issuer("spiffe"))!;
        Assert.Equal("sub", spiffe["challengeClaim"]!.GetValue<string>());
        Assert.Equal("example.org", spiffe["spiffeTrustDomain"]!.GetValue<string>());
        var meta = issuers.Single(i => i!["wildcardIssuerUrl"] is not null)!;
        Assert.Equal($"{_server.Idp.BaseUrl}/tenants/meta-*", meta["wildcardIssuerUrl"]!.GetValue<string>());
    }

    [Fact]
    public async Task Legacy_v1_returns_201_with_a_pem_chain()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var proof = key.SignData("alice@example.com"u8.ToArray(), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var body = new JsonObject
        {
            ["publicKey"] = new JsonObject { ["content"] = Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()), ["algorithm"] = "ecdsa" },
            ["signedEmailAddress"] = Convert.ToBase64String(proof),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/signingCert") { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new("Bearer", _server.Token(_server.Claims("email", "user-1", new { email = "alice@example.com", email_verified = true })));
        using var response = await _server.Http.SendAsync(request, Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("application/pem-certificate-chain", response.Content.Headers.ContentType!.MediaType);
        string text = await response.Content.ReadAsStringAsync(Ct);
        Assert.False(text.EndsWith('\n'));
        var collection = new X509Certificate2Collection();
        collection.ImportFromPem(text);
        Assert.Equal(3, collection.Count);
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), collection[0].PublicKey.ExportSubjectPublicKeyInfo());
        Assert.DoesNotContain(response.Headers, h => h.Key.StartsWith("Grpc-", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Ct_log_key_route_is_a_404_problem_when_no_ct_log_is_configured()
    {
        using var response = await _server.Http.GetAsync("/api/v2/ctLogPublicKey", Ct);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("Fulcio:CtLog:PublicKeyPath", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_endpoints_and_metrics_answer()
    {
        Assert.Equal(HttpStatusCode.OK, (await _server.Http.GetAsync("/healthz", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _server.Http.GetAsync("/readyz", Ct)).StatusCode);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await _server.IssueAsync(FulcioTestServer.PublicKeyRequest(key, "user-1", _server.Token(_server.Claims("email", "user-1", new { email = "a@example.com", email_verified = true }))));
        string metrics = await _server.Http.GetStringAsync("/metrics", Ct);
        Assert.Contains("fulcio_new_certs", metrics, StringComparison.Ordinal);
    }
}
