using System.Text.Json;
using System.Text.RegularExpressions;
using PrivateSigstore.Core.Certificates;

namespace PrivateSigstore.Fulcio.Issuance;

/// <summary>
/// Maps verified token claims to a <see cref="Principal"/>, one rule per issuer type, as Fulcio's
/// <c>pkg/identity/&lt;type&gt;/principal.go</c> does. Every type writes the issuer (1.1 raw and 1.8 DER) and the
/// token subject (1.24).
/// </summary>
public static partial class PrincipalMapper
{
    /// <summary>Maps <paramref name="request"/>; throws <see cref="IssuanceException"/> (<see cref="IssuanceError.InvalidIdentity"/>) with upstream's message when the claims do not fit the type.</summary>
    public static Principal Map(PrincipalRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Claims.ValueKind != JsonValueKind.Object)
        {
            throw IssuanceException.Identity("token claims are not a JSON object");
        }

        // Every token that got here was verified; an empty iss cannot render (Fulcio: "extensions must have a non-empty issuer url").
        if (string.IsNullOrEmpty(request.IssuerUrl))
        {
            throw IssuanceException.Identity("extensions must have a non-empty issuer url");
        }

        var principal = request.Type switch
        {
            IssuerType.Email => Email(request),
            IssuerType.Uri => UriSubject(request),
            IssuerType.Username => Username(request),
            IssuerType.Spiffe => Spiffe(request),
            IssuerType.Kubernetes => Kubernetes(request),
            IssuerType.GithubWorkflow => GithubWorkflow(request),
            IssuerType.GitlabPipeline => GitlabPipeline(request),
            IssuerType.BuildkiteJob => BuildkiteJob(request),
            IssuerType.CiProvider => CiProvider(request),
            _ => throw IssuanceException.Identity($"unsupported issuer type {request.Type}"),
        };

        // PoP may cover sub or email whatever the type (reference/fulcio.md §1.1: cosign/sigstore-go sign email when present).
        var challenges = new List<string>();
        if (ClaimValues.String(request.Claims, "sub") is { Length: > 0 } sub)
        {
            challenges.Add(sub);
        }

        if (ClaimValues.String(request.Claims, "email") is { Length: > 0 } email)
        {
            challenges.Add(email);
        }

        return principal with { ChallengeValues = challenges };
    }

    private static SigstoreExtensions Base(PrincipalRequest request, string subject) =>
        new() { Issuer = request.IssuerUrl, TokenSubject = subject };

    private static string Subject(PrincipalRequest request) =>
        ClaimValues.String(request.Claims, "sub") ?? "";

    // Upstream pkg/identity/email/principal.go (+ sigstore/sigstore oauthflow.EmailFromIDToken / IssuerFromIDToken).
    private static Principal Email(PrincipalRequest request)
    {
        var claims = request.Claims;
        string email = ClaimValues.String(claims, "email") is { Length: > 0 } e ? e : throw IssuanceException.Identity("token missing email claim");

        // email_verified must be true (bool or "true") unless the issuer skips verification.
        bool verified = claims.TryGetProperty("email_verified", out var v)
            && (v.ValueKind == JsonValueKind.True || (v.ValueKind == JsonValueKind.String && v.GetString() == "true"));
        if (!request.SkipEmailVerification && !verified)
        {
            throw IssuanceException.Identity("email_verified claim was false");
        }

        // govalidator.IsEmail.
        if (!EmailPattern().IsMatch(email))
        {
            throw IssuanceException.Identity("email address is not valid");
        }

        string issuer = request.IssuerUrl;
        if (!string.IsNullOrEmpty(request.IssuerClaim))
        {
            // oauthflow.IssuerFromIDToken: the IssuerClaim JSONPath value replaces iss.
            issuer = ClaimValues.AtPath(claims, request.IssuerClaim) is { ValueKind: JsonValueKind.String } found && found.GetString() is { Length: > 0 } value
                ? value
                : throw IssuanceException.Identity($"issuer claim {request.IssuerClaim} not found in ID token");
        }

        var extensions = new SigstoreExtensions { Issuer = issuer, TokenSubject = Subject(request) };
        return new Principal(email, new SubjectAltName(SanKind.Email, email), extensions);
    }

    // Upstream pkg/identity/uri/principal.go: sub is a URI whose scheme and host equal SubjectDomain's.
    private static Principal UriSubject(PrincipalRequest request)
    {
        string sub = Subject(request);
        if (EmailPattern().IsMatch(sub))
        {
            throw IssuanceException.Identity("uri subject should not be an email address");
        }

        if (!System.Uri.TryCreate(sub, UriKind.Absolute, out var subject))
        {
            throw IssuanceException.Identity($"subject {sub} is not a URI");
        }

        if (string.IsNullOrEmpty(request.SubjectDomain) || !System.Uri.TryCreate(request.SubjectDomain, UriKind.Absolute, out var domain))
        {
            throw IssuanceException.Identity("invalid configuration for OIDC ID Token issuer");
        }

        if (subject.Scheme != domain.Scheme)
        {
            throw IssuanceException.Identity($"subject URI scheme ({subject.Scheme}) must match expected domain URI scheme ({domain.Scheme})");
        }

        if (!string.Equals(subject.Host, domain.Host, StringComparison.OrdinalIgnoreCase))
        {
            throw IssuanceException.Identity($"subject hostname ({subject.Host}) must match expected domain ({domain.Host})");
        }

        return new Principal(sub, new SubjectAltName(SanKind.Uri, sub), Base(request, sub));
    }

    // Upstream pkg/identity/username/principal.go: otherName SAN "sub!SubjectDomain".
    private static Principal Username(PrincipalRequest request)
    {
        string sub = Subject(request);
        if (sub.Contains('!', StringComparison.Ordinal))
        {
            throw IssuanceException.Identity("username cannot contain ! character");
        }

        if (EmailPattern().IsMatch(sub))
        {
            throw IssuanceException.Identity("uri subject should not be an email address");
        }

        if (string.IsNullOrEmpty(request.SubjectDomain))
        {
            throw IssuanceException.Identity("invalid configuration for OIDC ID Token issuer");
        }

        return new Principal(sub, new SubjectAltName(SanKind.Username, $"{sub}!{request.SubjectDomain}"), Base(request, sub));
    }

    // Upstream pkg/identity/spiffe/principal.go: sub is a SPIFFE ID in the configured trust domain.
    private static Principal Spiffe(PrincipalRequest request)
    {
        string sub = Subject(request);
        string configured = request.SpiffeTrustDomain ?? "";
        string trustDomain = configured.StartsWith("spiffe://", StringComparison.Ordinal) ? configured["spiffe://".Length..] : configured;
        if (!TrustDomainPattern().IsMatch(trustDomain))
        {
            throw IssuanceException.Identity($"unable to parse trust domain from configuration {configured}");
        }

        var match = SpiffeIdPattern().Match(sub);
        if (!match.Success || match.Groups["path"].Value.Split('/').Any(s => s is "." or ".."))
        {
            throw IssuanceException.Identity($"invalid spiffe ID provided: {sub}");
        }

        if (match.Groups["td"].Value != trustDomain)
        {
            throw IssuanceException.Identity($"spiffe ID trust domain {match.Groups["td"].Value} doesn't match configured trust domain {configured}");
        }

        return new Principal(sub, new SubjectAltName(SanKind.Uri, sub), Base(request, sub));
    }

    // Upstream pkg/identity/kubernetes/principal.go: the service account's URI.
    private static Principal Kubernetes(PrincipalRequest request)
    {
        string sub = Subject(request);
        var k8s = request.Claims.TryGetProperty("kubernetes.io", out var k) && k.ValueKind == JsonValueKind.Object ? k : default;
        string ns = k8s.ValueKind == JsonValueKind.Object ? ClaimValues.String(k8s, "namespace") ?? "" : "";
        string sa = k8s.ValueKind == JsonValueKind.Object && k8s.TryGetProperty("serviceaccount", out var s) ? ClaimValues.String(s, "name") ?? "" : "";

        // Deviation: upstream builds ".../namespaces//serviceaccounts/" from missing claims; we refuse.
        if (ns.Length == 0 || sa.Length == 0)
        {
            throw IssuanceException.Identity("missing kubernetes.io namespace or serviceaccount name claim in ID token");
        }

        string uri = "https://kubernetes.io/namespaces/" + ns + "/serviceaccounts/" + sa;
        return new Principal(sub, new SubjectAltName(SanKind.Uri, uri), Base(request, sub));
    }

    // Upstream pkg/identity/github/principal.go: 16 required claims; 1.2–1.6 raw plus 1.9–1.22.
    private static Principal GithubWorkflow(PrincipalRequest request)
    {
        var c = request.Claims;
        string jobWorkflowRef = ClaimValues.Required(c, "job_workflow_ref");
        string sha = ClaimValues.Required(c, "sha");
        string eventName = ClaimValues.Required(c, "event_name");
        string repository = ClaimValues.Required(c, "repository");
        string workflow = ClaimValues.Required(c, "workflow");
        string gitRef = ClaimValues.Required(c, "ref");
        string jobWorkflowSha = ClaimValues.Required(c, "job_workflow_sha");
        string runnerEnvironment = ClaimValues.Required(c, "runner_environment");
        string repositoryId = ClaimValues.Required(c, "repository_id");
        string repositoryOwner = ClaimValues.Required(c, "repository_owner");
        string repositoryOwnerId = ClaimValues.Required(c, "repository_owner_id");
        string repositoryVisibility = ClaimValues.Required(c, "repository_visibility");
        string workflowRef = ClaimValues.Required(c, "workflow_ref");
        string workflowSha = ClaimValues.Required(c, "workflow_sha");
        string runId = ClaimValues.Required(c, "run_id");
        string runAttempt = ClaimValues.Required(c, "run_attempt");

        const string BaseUrl = "https://github.com/";
        string sub = Subject(request);
        string signer = JoinPath(BaseUrl, jobWorkflowRef);
        var extensions = Base(request, sub) with
        {
            GithubWorkflowTrigger = eventName,
            GithubWorkflowSha = sha,
            GithubWorkflowName = workflow,
            GithubWorkflowRepository = repository,
            GithubWorkflowRef = gitRef,
            BuildSignerUri = signer,
            BuildSignerDigest = jobWorkflowSha,
            RunnerEnvironment = runnerEnvironment,
            SourceRepositoryUri = JoinPath(BaseUrl, repository),
            SourceRepositoryDigest = sha,
            SourceRepositoryRef = gitRef,
            SourceRepositoryIdentifier = repositoryId,
            SourceRepositoryOwnerUri = JoinPath(BaseUrl, repositoryOwner),
            SourceRepositoryOwnerIdentifier = repositoryOwnerId,
            BuildConfigUri = JoinPath(BaseUrl, workflowRef),
            BuildConfigDigest = workflowSha,
            BuildTrigger = eventName,
            RunInvocationUri = JoinPath(BaseUrl, repository, "actions/runs", runId, "attempts", runAttempt),
            SourceRepositoryVisibilityAtSigning = repositoryVisibility,
        };
        return new Principal(sub, new SubjectAltName(SanKind.Uri, signer), extensions);
    }

    // Upstream pkg/identity/gitlabcom/principal.go: SAN https://{ci_config_ref_uri}; ref qualified by ref_type.
    private static Principal GitlabPipeline(PrincipalRequest request)
    {
        var c = request.Claims;
        // Upstream's required claims, in its order; ci_config_sha and project_visibility are optional.
        string projectPath = ClaimValues.Required(c, "project_path");
        string pipelineSource = ClaimValues.Required(c, "pipeline_source");
        ClaimValues.Required(c, "pipeline_id");
        string ciConfigRefUri = ClaimValues.Required(c, "ci_config_ref_uri");
        string jobId = ClaimValues.Required(c, "job_id");
        string gitRef = ClaimValues.Required(c, "ref");
        string refType = ClaimValues.Required(c, "ref_type");
        string namespacePath = ClaimValues.Required(c, "namespace_path");
        string namespaceId = ClaimValues.Required(c, "namespace_id");
        string projectId = ClaimValues.Required(c, "project_id");
        string sha = ClaimValues.Required(c, "sha");
        string runnerEnvironment = ClaimValues.Required(c, "runner_environment");
        if (!c.TryGetProperty("runner_id", out var runnerId) || runnerId.ValueKind != JsonValueKind.Number || !runnerId.TryGetInt64(out long id) || id == 0)
        {
            throw IssuanceException.Identity("missing runner_id claim in ID token");
        }

        string ciConfigSha = ClaimValues.String(c, "ci_config_sha") ?? "";
        string projectVisibility = ClaimValues.String(c, "project_visibility") ?? "";

        string qualifiedRef = refType switch
        {
            "branch" => "refs/heads/" + gitRef,
            "tag" => "refs/tags/" + gitRef,
            _ => throw IssuanceException.Identity($"unexpected ref_type: {refType}"),
        };

        // Go: url.Parse(ci_config_ref_uri) then Scheme = "https" (the claim has no scheme).
        int schemeEnd = ciConfigRefUri.IndexOf("://", StringComparison.Ordinal);
        string configUri = "https://" + (schemeEnd >= 0 ? ciConfigRefUri[(schemeEnd + 3)..] : ciConfigRefUri);

        const string BaseUrl = "https://gitlab.com/";
        string sub = Subject(request);
        var extensions = Base(request, sub) with
        {
            BuildConfigUri = configUri,
            BuildConfigDigest = ciConfigSha,
            BuildSignerUri = configUri,
            BuildSignerDigest = ciConfigSha,
            RunnerEnvironment = runnerEnvironment,
            SourceRepositoryUri = JoinPath(BaseUrl, projectPath),
            SourceRepositoryDigest = sha,
            SourceRepositoryRef = qualifiedRef,
            SourceRepositoryIdentifier = projectId,
            SourceRepositoryOwnerUri = JoinPath(BaseUrl, namespacePath),
            SourceRepositoryOwnerIdentifier = namespaceId,
            BuildTrigger = pipelineSource,
            RunInvocationUri = JoinPath(BaseUrl, projectPath, "/-/jobs/", jobId),
            SourceRepositoryVisibilityAtSigning = projectVisibility,
        };
        return new Principal(sub, new SubjectAltName(SanKind.Uri, configUri), extensions);
    }

    // Upstream pkg/identity/buildkite/principal.go: SAN https://buildkite.com/{organization_slug}/{pipeline_slug}.
    private static Principal BuildkiteJob(PrincipalRequest request)
    {
        string org = ClaimValues.Required(request.Claims, "organization_slug");
        string pipeline = ClaimValues.Required(request.Claims, "pipeline_slug");
        string sub = Subject(request);
        return new Principal(sub, new SubjectAltName(SanKind.Uri, $"https://buildkite.com/{org}/{pipeline}"), Base(request, sub));
    }

    // Upstream pkg/identity/ciprovider/principal.go: SAN and extensions from the provider's templates.
    private static Principal CiProvider(PrincipalRequest request)
    {
        var metadata = request.CiProvider ?? throw IssuanceException.Identity($"configuration can not be loaded for issuer {request.IssuerUrl}");
        if (string.IsNullOrWhiteSpace(metadata.SubjectAlternativeNameTemplate))
        {
            throw IssuanceException.Identity($"SubjectAlternativeNameTemplate should not be empty. Issuer: {request.IssuerUrl}");
        }

        var claims = ClaimValues.Stringify(request.Claims);
        var defaults = metadata.DefaultTemplateValues;
        string Apply(string template, string name) =>
            string.IsNullOrWhiteSpace(template) ? "" : CiTemplate.Apply(template, claims, defaults, name);

        var t = metadata.ExtensionTemplates;
        string san = Apply(metadata.SubjectAlternativeNameTemplate, "SubjectAlternativeName");
        string sub = Subject(request);
        var extensions = new SigstoreExtensions
        {
            // Issuer and Subject are always forced from the token.
            Issuer = request.IssuerUrl,
            TokenSubject = sub,
            GithubWorkflowTrigger = Apply(t.GithubWorkflowTrigger, "GithubWorkflowTrigger"),
            GithubWorkflowSha = Apply(t.GithubWorkflowSha, "GithubWorkflowSHA"),
            GithubWorkflowName = Apply(t.GithubWorkflowName, "GithubWorkflowName"),
            GithubWorkflowRepository = Apply(t.GithubWorkflowRepository, "GithubWorkflowRepository"),
            GithubWorkflowRef = Apply(t.GithubWorkflowRef, "GithubWorkflowRef"),
            BuildSignerUri = Apply(t.BuildSignerUri, "BuildSignerURI"),
            BuildSignerDigest = Apply(t.BuildSignerDigest, "BuildSignerDigest"),
            RunnerEnvironment = Apply(t.RunnerEnvironment, "RunnerEnvironment"),
            SourceRepositoryUri = Apply(t.SourceRepositoryUri, "SourceRepositoryURI"),
            SourceRepositoryDigest = Apply(t.SourceRepositoryDigest, "SourceRepositoryDigest"),
            SourceRepositoryRef = Apply(t.SourceRepositoryRef, "SourceRepositoryRef"),
            SourceRepositoryIdentifier = Apply(t.SourceRepositoryIdentifier, "SourceRepositoryIdentifier"),
            SourceRepositoryOwnerUri = Apply(t.SourceRepositoryOwnerUri, "SourceRepositoryOwnerURI"),
            SourceRepositoryOwnerIdentifier = Apply(t.SourceRepositoryOwnerIdentifier, "SourceRepositoryOwnerIdentifier"),
            BuildConfigUri = Apply(t.BuildConfigUri, "BuildConfigURI"),
            BuildConfigDigest = Apply(t.BuildConfigDigest, "BuildConfigDigest"),
            BuildTrigger = Apply(t.BuildTrigger, "BuildTrigger"),
            RunInvocationUri = Apply(t.RunInvocationUri, "RunInvocationURI"),
            SourceRepositoryVisibilityAtSigning = Apply(t.SourceRepositoryVisibilityAtSigning, "SourceRepositoryVisibilityAtSigning"),
            DeploymentEnvironment = Apply(t.DeploymentEnvironment, "DeploymentEnvironment"),
        };
        return new Principal(sub, new SubjectAltName(SanKind.Uri, san), extensions);
    }

    /// <summary>Go's <c>url.JoinPath</c> on a base with path "/": elements joined and cleaned (no empty, "." or ".." segments).</summary>
    internal static string JoinPath(string baseUrl, params string[] elements)
    {
        var segments = new List<string>();
        foreach (var segment in elements.SelectMany(e => e.Split('/')))
        {
            if (segment is "" or ".")
            {
                continue;
            }

            if (segment == "..")
            {
                if (segments.Count > 0)
                {
                    segments.RemoveAt(segments.Count - 1);
                }

                continue;
            }

            segments.Add(segment);
        }

        string joined = baseUrl.TrimEnd('/') + "/" + string.Join('/', segments);
        return elements.Length > 0 && elements[^1].EndsWith('/') ? joined + "/" : joined;
    }

    // govalidator's IsEmail, approximately: local@domain with a dotted domain and no spaces.
    [GeneratedRegex(@"^[^\s@]+@[^\s@]+\.[^\s@]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"^[a-z0-9._-]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex TrustDomainPattern();

    [GeneratedRegex(@"^spiffe://(?<td>[a-z0-9._-]+)(?<path>(/[A-Za-z0-9._-]+)*)\z", RegexOptions.CultureInvariant)]
    private static partial Regex SpiffeIdPattern();
}
