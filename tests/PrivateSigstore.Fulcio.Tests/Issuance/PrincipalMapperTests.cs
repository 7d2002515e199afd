using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Fulcio.Issuance;
using PrivateSigstore.Keys;
using PublicKey = System.Security.Cryptography.X509Certificates.PublicKey;

namespace PrivateSigstore.Fulcio.Tests.Issuance;

public sealed class PrincipalMapperTests : IDisposable
{
    private readonly TestCa _ca = new();
    private readonly InMemorySigningKey _client = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);

    public void Dispose()
    {
        _ca.Dispose();
        _client.Dispose();
    }

    private static JsonElement Claims(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private PublicKey ClientPublicKey => PublicKey.CreateFromSubjectPublicKeyInfo(_client.SubjectPublicKeyInfo, out _);

    /// <summary>Issues a leaf for the principal and checks SAN, every Sigstore extension and the chain.</summary>
    private X509Certificate2 IssueAndCheck(Principal principal, SigstoreExtensions expected, SanKind kind, string san)
    {
        var leaf = _ca.Issue(ClientPublicKey, principal);
        _ca.Validate(leaf);

        var names = SubjectAltNames.Read(leaf);
        var all = names.Emails.Concat(names.Uris).Concat(names.Usernames).ToList();
        Assert.Equal([san], all);
        Assert.Equal(san, (kind switch { SanKind.Email => names.Emails, SanKind.Uri => names.Uris, _ => names.Usernames }).Single());
        Assert.True(leaf.Extensions[SigstoreOids.SubjectAltName]!.Critical);

        Assert.Equal(expected, SigstoreExtensions.Parse(leaf.Extensions.Cast<X509Extension>()));

        // Every rendered extension is in the leaf with identical bytes, in the same relative order.
        var rendered = expected.Render();
        var sigstoreInLeaf = leaf.Extensions.Cast<X509Extension>().Where(e => e.Oid!.Value!.StartsWith("1.3.6.1.4.1.57264.1.", StringComparison.Ordinal)).ToList();
        Assert.Equal(rendered.Select(e => e.Oid!.Value), sigstoreInLeaf.Select(e => e.Oid!.Value));
        Assert.Equal(rendered.Select(e => Convert.ToHexString(e.RawData)), sigstoreInLeaf.Select(e => Convert.ToHexString(e.RawData)));
        Assert.All(sigstoreInLeaf, e => Assert.False(e.Critical));
        return leaf;
    }

    private static byte[] Utf8String(string value)
    {
        var bytes = Encoding.UTF8.GetBytes(value);
        Assert.True(bytes.Length < 128);
        return [0x0C, (byte)bytes.Length, .. bytes];
    }

    [Fact]
    public void Email_maps_the_verified_email_and_writes_issuer_twice()
    {
        var request = new PrincipalRequest(IssuerType.Email, "https://accounts.google.com",
            Claims("""{"iss":"https://accounts.google.com","sub":"1234567890","email":"alice@example.com","email_verified":true}"""));
        var principal = PrincipalMapper.Map(request);
        Assert.Equal("alice@example.com", principal.Name);
        var leaf = IssueAndCheck(principal, new SigstoreExtensions { Issuer = "https://accounts.google.com", TokenSubject = "1234567890" }, SanKind.Email, "alice@example.com");

        // Hand-computed DER: 1.1 raw bytes, 1.8 and 1.24 DER UTF8String.
        Assert.Equal(Encoding.UTF8.GetBytes("https://accounts.google.com"), leaf.Extensions[SigstoreOids.Issuer]!.RawData);
        Assert.Equal(Utf8String("https://accounts.google.com"), leaf.Extensions[SigstoreOids.IssuerV2]!.RawData);
        Assert.Equal(Utf8String("1234567890"), leaf.Extensions[SigstoreOids.TokenSubject]!.RawData);

        // The SAN: critical GeneralNames { [1] IA5String "alice@example.com" }.
        Assert.Equal([0x30, 0x13, 0x81, 0x11, .. Encoding.ASCII.GetBytes("alice@example.com")], leaf.Extensions[SigstoreOids.SubjectAltName]!.RawData);
    }

    // Issue 20 finding 3: .NET's '$' also matches before a final newline, so "alice@example.com\n" passed the email check.
    [Theory]
    [InlineData("alice@example.com\n")]
    [InlineData("alice@example.com\r\n")]
    [InlineData("alice@example.com\n\n")]
    public void Email_with_a_trailing_newline_is_refused(string email)
    {
        var claims = new System.Text.Json.Nodes.JsonObject { ["sub"] = "s", ["email"] = email, ["email_verified"] = true };
        var request = new PrincipalRequest(IssuerType.Email, "https://issuer.example", Claims(claims.ToJsonString()));
        var e = Assert.Throws<IssuanceException>(() => PrincipalMapper.Map(request));
        Assert.Equal(IssuanceError.InvalidIdentity, e.Error);
    }

    [Theory]
    [InlineData("spiffe://example.com/workload\n")]
    [InlineData("spiffe://example.com\n")]
    public void Spiffe_id_with_a_trailing_newline_is_refused(string sub)
    {
        var claims = new System.Text.Json.Nodes.JsonObject { ["sub"] = sub };
        var request = new PrincipalRequest(IssuerType.Spiffe, "https://issuer.example", Claims(claims.ToJsonString())) { SpiffeTrustDomain = "example.com" };
        Assert.Throws<IssuanceException>(() => PrincipalMapper.Map(request));
    }

    [Theory]
    [InlineData("false")]
    [InlineData("\"false\"")]
    [InlineData("null")]
    public void Email_requires_email_verified(string verified)
    {
        var request = new PrincipalRequest(IssuerType.Email, "https://issuer.example",
            Claims($$"""{"sub":"s","email":"alice@example.com","email_verified":{{verified}}}"""));
        var e = Assert.Throws<IssuanceException>(() => PrincipalMapper.Map(request));
        Assert.Equal("email_verified claim was false", e.Message);
        Assert.Equal(IssuanceError.InvalidIdentity, e.Error);

        // SkipEmailVerification (Entra/ADFS) and the string "true" are accepted.
        Assert.Equal("alice@example.com", PrincipalMapper.Map(request with { SkipEmailVerification = true }).Name);
        Assert.Equal("alice@example.com", PrincipalMapper.Map(request with { Claims = Claims("""{"sub":"s","email":"alice@example.com","email_verified":"true"}""") }).Name);
    }

    [Fact]
    public void Email_issuer_claim_replaces_iss_in_the_issuer_extensions()
    {
        var request = new PrincipalRequest(IssuerType.Email, "https://dex.example",
            Claims("""{"sub":"s","email":"a@b.example","email_verified":true,"federated_claims":{"connector_id":"https://github.com/login/oauth"}}"""))
        { IssuerClaim = "$.federated_claims.connector_id" };
        var principal = PrincipalMapper.Map(request);
        Assert.Equal("https://github.com/login/oauth", principal.Extensions.Issuer);
        IssueAndCheck(principal, new SigstoreExtensions { Issuer = "https://github.com/login/oauth", TokenSubject = "s" }, SanKind.Email, "a@b.example");
    }

    [Fact]
    public void Uri_requires_the_subject_domain()
    {
        var request = new PrincipalRequest(IssuerType.Uri, "https://accounts.example.com", Claims("""{"sub":"https://example.com/users/alice"}"""))
        { SubjectDomain = "https://example.com" };
        var principal = PrincipalMapper.Map(request);
        Assert.Equal("https://example.com/users/alice", principal.Name);
        IssueAndCheck(principal, new SigstoreExtensions { Issuer = "https://accounts.example.com", TokenSubject = "https://example.com/users/alice" }, SanKind.Uri, "https://example.com/users/alice");

        var wrongHost = request with { Claims = Claims("""{"sub":"https://evil.com/users/alice"}""") };
        Assert.Equal("subject hostname (evil.com) must match expected domain (example.com)", Assert.Throws<IssuanceException>(() => PrincipalMapper.Map(wrongHost)).Message);
        var wrongScheme = request with { Claims = Claims("""{"sub":"http://example.com/users/alice"}""") };
        Assert.Equal("subject URI scheme (http) must match expected domain URI scheme (https)", Assert.Throws<IssuanceException>(() => PrincipalMapper.Map(wrongScheme)).Message);
        var email = request with { Claims = Claims("""{"sub":"alice@example.com"}""") };
        Assert.Equal("uri subject should not be an email address", Assert.Throws<IssuanceException>(() => PrincipalMapper.Map(email)).Message);
    }

    [Fact]
    public void Username_becomes_an_other_name_san()
    {
        var request = new PrincipalRequest(IssuerType.Username, "https://accounts.example.com", Claims("""{"sub":"alice"}""")) { SubjectDomain = "example.com" };
        var principal = PrincipalMapper.Map(request);
        Assert.Equal("alice", principal.Name);
        var leaf = IssueAndCheck(principal, new SigstoreExtensions { Issuer = "https://accounts.example.com", TokenSubject = "alice" }, SanKind.Username, "alice!example.com");

        // GeneralNames { [0] { OID 1.3.6.1.4.1.57264.1.7, [0] { UTF8String "alice!example.com" } } }.
        byte[] oid = [0x06, 0x0A, 0x2B, 0x06, 0x01, 0x04, 0x01, 0x83, 0xBF, 0x30, 0x01, 0x07];
        byte[] value = [0xA0, 0x13, 0x0C, 0x11, .. Encoding.UTF8.GetBytes("alice!example.com")];
        byte[] otherName = [0xA0, (byte)(oid.Length + value.Length), .. oid, .. value];
        Assert.Equal([0x30, (byte)otherName.Length, .. otherName], leaf.Extensions[SigstoreOids.SubjectAltName]!.RawData);

        Assert.Equal("username cannot contain ! character",
            Assert.Throws<IssuanceException>(() => PrincipalMapper.Map(request with { Claims = Claims("""{"sub":"a!b"}""") })).Message);
    }

    [Fact]
    public void Spiffe_requires_the_trust_domain()
    {
        var request = new PrincipalRequest(IssuerType.Spiffe, "https://spire.example.com", Claims("""{"sub":"spiffe://example.com/ns/prod/sa/builder"}"""))
        { SpiffeTrustDomain = "example.com" };
        var principal = PrincipalMapper.Map(request);
        IssueAndCheck(principal, new SigstoreExtensions { Issuer = "https://spire.example.com", TokenSubject = "spiffe://example.com/ns/prod/sa/builder" }, SanKind.Uri, "spiffe://example.com/ns/prod/sa/builder");

        Assert.Equal("spiffe ID trust domain other.com doesn't match configured trust domain example.com",
            Assert.Throws<IssuanceException>(() => PrincipalMapper.Map(request with { Claims = Claims("""{"sub":"spiffe://other.com/x"}""") })).Message);
        Assert.Equal("invalid spiffe ID provided: https://example.com/x",
            Assert.Throws<IssuanceException>(() => PrincipalMapper.Map(request with { Claims = Claims("""{"sub":"https://example.com/x"}""") })).Message);
    }

    [Fact]
    public void Kubernetes_uses_the_service_account_uri()
    {
        var request = new PrincipalRequest(IssuerType.Kubernetes, "https://kubernetes.default.svc",
            Claims("""{"sub":"system:serviceaccount:default:builder","kubernetes.io":{"namespace":"default","serviceaccount":{"name":"builder","uid":"u"}}}"""));
        var principal = PrincipalMapper.Map(request);
        Assert.Equal("system:serviceaccount:default:builder", principal.Name);
        IssueAndCheck(principal, new SigstoreExtensions { Issuer = "https://kubernetes.default.svc", TokenSubject = "system:serviceaccount:default:builder" },
            SanKind.Uri, "https://kubernetes.io/namespaces/default/serviceaccounts/builder");
    }

    private const string GithubClaims = """
        {"iss":"https://token.actions.githubusercontent.com","sub":"repo:octo-org/octo-repo:ref:refs/heads/main",
         "job_workflow_ref":"octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main","sha":"abc123","event_name":"push",
         "repository":"octo-org/octo-repo","workflow":"CI","ref":"refs/heads/main","job_workflow_sha":"def456",
         "runner_environment":"github-hosted","repository_id":"74","repository_owner":"octo-org","repository_owner_id":"65",
         "repository_visibility":"public","workflow_ref":"octo-org/octo-repo/.github/workflows/ci.yml@refs/heads/main",
         "workflow_sha":"789abc","run_id":"1","run_attempt":"2"}
        """;

    private static readonly SigstoreExtensions GithubExpected = new()
    {
        Issuer = "https://token.actions.githubusercontent.com",
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
    public void Github_workflow_writes_the_deprecated_and_current_extensions()
    {
        var principal = PrincipalMapper.Map(new PrincipalRequest(IssuerType.GithubWorkflow, "https://token.actions.githubusercontent.com", Claims(GithubClaims)));
        var leaf = IssueAndCheck(principal, GithubExpected, SanKind.Uri, "https://github.com/octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main");
        Assert.Equal(Encoding.UTF8.GetBytes("push"), leaf.Extensions[SigstoreOids.GithubWorkflowTrigger]!.RawData);
        Assert.Equal(Utf8String("https://github.com/octo-org/octo-repo"), leaf.Extensions[SigstoreOids.SourceRepositoryUri]!.RawData);

        var missing = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(GithubClaims)!;
        missing.Remove("run_attempt");
        var e = Assert.Throws<IssuanceException>(() => PrincipalMapper.Map(new PrincipalRequest(IssuerType.GithubWorkflow, "https://token.actions.githubusercontent.com", JsonSerializer.SerializeToElement(missing))));
        Assert.Equal("missing run_attempt claim in ID token", e.Message);
    }

    private const string GitlabClaims = """
        {"sub":"project_path:group/project:ref_type:branch:ref:main","project_path":"group/project","project_id":"42",
         "pipeline_source":"push","pipeline_id":"7","ci_config_ref_uri":"gitlab.com/group/project//.gitlab-ci.yml@refs/heads/main",
         "ci_config_sha":"cafe","namespace_path":"group","namespace_id":"9","job_id":"1001","ref":"main","ref_type":"branch",
         "sha":"beef","runner_environment":"gitlab-hosted","runner_id":5,"project_visibility":"private"}
        """;

    private const string GitlabConfig = "https://gitlab.com/group/project//.gitlab-ci.yml@refs/heads/main";

    private static readonly SigstoreExtensions GitlabExpected = new()
    {
        Issuer = "https://gitlab.com",
        TokenSubject = "project_path:group/project:ref_type:branch:ref:main",
        BuildConfigUri = GitlabConfig,
        BuildConfigDigest = "cafe",
        BuildSignerUri = GitlabConfig,
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
    };

    // The GitLab entry of upstream config/identity/config.yaml (ci-issuer-metadata: gitlab-pipeline), verbatim.
    private static readonly CiProviderMetadata GitlabCiProvider = new(
        new SigstoreExtensions
        {
            BuildSignerUri = "https://{{ .ci_config_ref_uri }}",
            BuildSignerDigest = "ci_config_sha",
            RunnerEnvironment = "runner_environment",
            SourceRepositoryUri = "{{ .url }}/{{ .project_path }}",
            SourceRepositoryDigest = "sha",
            SourceRepositoryRef = "refs/{{if eq .ref_type \"branch\"}}heads/{{ else }}tags/{{end}}{{ .ref }}",
            SourceRepositoryIdentifier = "project_id",
            SourceRepositoryOwnerUri = "{{ .url }}/{{ .namespace_path }}",
            SourceRepositoryOwnerIdentifier = "namespace_id",
            BuildConfigUri = "https://{{ .ci_config_ref_uri }}",
            BuildConfigDigest = "ci_config_sha",
            BuildTrigger = "pipeline_source",
            RunInvocationUri = "{{ .url }}/{{ .project_path }}/-/jobs/{{ .job_id }}",
            SourceRepositoryVisibilityAtSigning = "project_visibility",
            DeploymentEnvironment = "environment",
        },
        new Dictionary<string, string> { ["url"] = "https://gitlab.com", ["environment"] = "" },
        "https://{{ .ci_config_ref_uri }}");

    [Fact]
    public void Ci_provider_upstream_gitlab_templates_reproduce_the_gitlab_mapping()
    {
        var request = new PrincipalRequest(IssuerType.CiProvider, "https://gitlab.com", Claims(GitlabClaims)) { CiProvider = GitlabCiProvider };
        IssueAndCheck(PrincipalMapper.Map(request), GitlabExpected, SanKind.Uri, GitlabConfig);

        var tag = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(GitlabClaims)!;
        tag["ref_type"] = JsonSerializer.SerializeToElement("tag");
        tag["environment"] = JsonSerializer.SerializeToElement("production");
        var tagged = PrincipalMapper.Map(request with { Claims = JsonSerializer.SerializeToElement(tag) });
        Assert.Equal("refs/tags/main", tagged.Extensions.SourceRepositoryRef);
        Assert.Equal("production", tagged.Extensions.DeploymentEnvironment);
    }

    [Theory]
    [InlineData("{{ .a }} \n {{- \" x\" -}} \n", "A x")]
    [InlineData("{{ if .missing_is_error }}x{{ end }}", null)]
    [InlineData("{{ if .empty }}yes{{ else }}no{{ end }}", "no")]
    [InlineData("{{ if ne .a \"B\" }}{{ .a }}{{ end }}", "A")]
    [InlineData("{{ printf \"%s\" .a }}", null)]
    [InlineData("{{ if .a }}unterminated", null)]
    public void Ci_template_subset(string template, string? expected)
    {
        var metadata = new CiProviderMetadata(new SigstoreExtensions { BuildTrigger = template }, new Dictionary<string, string> { ["empty"] = "" }, "https://ci.example/{{ .a }}");
        var request = new PrincipalRequest(IssuerType.CiProvider, "https://ci.example", Claims("""{"sub":"s","a":"A"}""")) { CiProvider = metadata };
        if (expected is null)
        {
            Assert.Equal(IssuanceError.InvalidIdentity, Assert.Throws<IssuanceException>(() => PrincipalMapper.Map(request)).Error);
        }
        else
        {
            Assert.Equal(expected, PrincipalMapper.Map(request).Extensions.BuildTrigger);
        }
    }

    [Fact]
    public void Gitlab_pipeline_maps_as_upstream()
    {
        var claims = Claims(GitlabClaims);
        var principal = PrincipalMapper.Map(new PrincipalRequest(IssuerType.GitlabPipeline, "https://gitlab.com", claims));
        IssueAndCheck(principal, GitlabExpected, SanKind.Uri, GitlabConfig);

        var noRunner = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(claims.GetRawText())!;
        noRunner.Remove("runner_id");
        Assert.Equal("missing runner_id claim in ID token", Assert.Throws<IssuanceException>(() => PrincipalMapper.Map(
            new PrincipalRequest(IssuerType.GitlabPipeline, "https://gitlab.com", JsonSerializer.SerializeToElement(noRunner)))).Message);
        var tagRef = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(claims.GetRawText())!;
        tagRef["ref_type"] = JsonSerializer.SerializeToElement("tag");
        Assert.Equal("refs/tags/main", PrincipalMapper.Map(
            new PrincipalRequest(IssuerType.GitlabPipeline, "https://gitlab.com", JsonSerializer.SerializeToElement(tagRef))).Extensions.SourceRepositoryRef);
    }

    [Fact]
    public void Buildkite_job_uses_the_pipeline_uri()
    {
        var claims = Claims("""{"sub":"organization:acme:pipeline:app:ref:refs/heads/main","organization_slug":"acme","pipeline_slug":"app"}""");
        var principal = PrincipalMapper.Map(new PrincipalRequest(IssuerType.BuildkiteJob, "https://agent.buildkite.com", claims));
        IssueAndCheck(principal, new SigstoreExtensions { Issuer = "https://agent.buildkite.com", TokenSubject = "organization:acme:pipeline:app:ref:refs/heads/main" },
            SanKind.Uri, "https://buildkite.com/acme/app");
    }

    // The GitHub entry of upstream config/identity/config.yaml (ci-issuer-metadata: github-workflow).
    private static readonly CiProviderMetadata GithubCiProvider = new(
        new SigstoreExtensions
        {
            GithubWorkflowTrigger = "event_name",
            GithubWorkflowSha = "sha",
            GithubWorkflowName = "workflow",
            GithubWorkflowRepository = "repository",
            GithubWorkflowRef = "ref",
            BuildSignerUri = "{{ .url }}/{{ .job_workflow_ref }}",
            BuildSignerDigest = "job_workflow_sha",
            RunnerEnvironment = "runner_environment",
            SourceRepositoryUri = "{{ .url }}/{{ .repository }}",
            SourceRepositoryDigest = "sha",
            SourceRepositoryRef = "ref",
            SourceRepositoryIdentifier = "repository_id",
            SourceRepositoryOwnerUri = "{{ .url }}/{{ .repository_owner }}",
            SourceRepositoryOwnerIdentifier = "repository_owner_id",
            BuildConfigUri = "{{ .url }}/{{ .workflow_ref }}",
            BuildConfigDigest = "workflow_sha",
            BuildTrigger = "event_name",
            RunInvocationUri = "{{ .url }}/{{ .repository }}/actions/runs/{{ .run_id }}/attempts/{{ .run_attempt }}",
            SourceRepositoryVisibilityAtSigning = "repository_visibility",
        },
        new Dictionary<string, string> { ["url"] = "https://github.com" },
        "{{ .url }}/{{ .job_workflow_ref }}");

    [Fact]
    public void Ci_provider_templates_reproduce_the_github_mapping()
    {
        var request = new PrincipalRequest(IssuerType.CiProvider, "https://token.actions.githubusercontent.com", Claims(GithubClaims)) { CiProvider = GithubCiProvider };
        var principal = PrincipalMapper.Map(request);
        Assert.Equal("repo:octo-org/octo-repo:ref:refs/heads/main", principal.Name);
        IssueAndCheck(principal, GithubExpected, SanKind.Uri, "https://github.com/octo-org/octo-automation/.github/workflows/oidc.yml@refs/heads/main");
    }

    [Fact]
    public void Ci_provider_claims_override_defaults_numbers_print_as_go_and_missing_keys_fail()
    {
        var metadata = new CiProviderMetadata(
            new SigstoreExtensions { RunInvocationUri = "{{ .url }}/runs/{{ .run_id }}", BuildTrigger = "trigger", RunnerEnvironment = "<b>{{ .env }}</b>" },
            new Dictionary<string, string> { ["url"] = "https://default.example", ["trigger"] = "default-trigger", ["env"] = "a&b" },
            "{{ .url }}/{{ .project }}");
        var request = new PrincipalRequest(IssuerType.CiProvider, "https://ci.example", Claims("""{"sub":"s","url":"https://ci.example","project":"p","run_id":42.0}"""))
        { CiProvider = metadata };
        var principal = PrincipalMapper.Map(request);
        Assert.Equal(new SubjectAltName(SanKind.Uri, "https://ci.example/p"), principal.SubjectAltName);
        Assert.Equal("https://ci.example/runs/42", principal.Extensions.RunInvocationUri);
        Assert.Equal("default-trigger", principal.Extensions.BuildTrigger);
        Assert.Equal("<b>a&b</b>", principal.Extensions.RunnerEnvironment);

        var missing = request with { Claims = Claims("""{"sub":"s"}"""), CiProvider = metadata with { SubjectAlternativeNameTemplate = "{{ .project }}" } };
        Assert.Contains("project", Assert.Throws<IssuanceException>(() => PrincipalMapper.Map(missing)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Join_path_cleans_like_go()
    {
        Assert.Equal("https://gitlab.com/g/p/-/jobs/1", PrincipalMapper.JoinPath("https://gitlab.com/", "g/p", "/-/jobs/", "1"));
        Assert.Equal("https://github.com/a/b", PrincipalMapper.JoinPath("https://github.com/", "a//./b"));
    }
}
