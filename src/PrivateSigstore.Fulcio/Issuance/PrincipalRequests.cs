using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Fulcio.Config;
using PrivateSigstore.Fulcio.Oidc;

namespace PrivateSigstore.Fulcio.Issuance;

/// <summary>Turns a verified token and its issuer's configuration into the <see cref="PrincipalRequest"/> the mapper reads.</summary>
public static class PrincipalRequests
{
    /// <summary>
    /// Builds the request for <paramref name="token"/>. The issuer URL is the token's own <c>iss</c> (for a meta issuer
    /// that is the concrete URL, not the wildcard).
    /// </summary>
    /// <exception cref="IssuanceException">The issuer type is one this CA does not issue for, or a ci-provider issuer names no metadata.</exception>
    public static PrincipalRequest From(VerifiedToken token, FulcioConfig config)
    {
        ArgumentNullException.ThrowIfNull(token);
        ArgumentNullException.ThrowIfNull(config);
        var issuer = token.Issuer;
        var type = ToIssuerType(issuer.Type);
        string iss = token.Claims.TryGetProperty("iss", out var i) && i.ValueKind == System.Text.Json.JsonValueKind.String ? i.GetString() ?? "" : "";
        CiProviderMetadata? ci = null;
        if (type == IssuerType.CiProvider)
        {
            // Validated at load (FulcioConfig): a ci-provider issuer names metadata that exists.
            if (issuer.CIProvider is null || !config.CIIssuerMetadata.TryGetValue(issuer.CIProvider, out var meta))
            {
                throw IssuanceException.Identity($"no CIIssuerMetadata for ci-provider '{issuer.CIProvider}'");
            }

            ci = ToMetadata(meta);
        }

        return new PrincipalRequest(type, iss, token.Claims)
        {
            SubjectDomain = issuer.SubjectDomain,
            SpiffeTrustDomain = issuer.SpiffeTrustDomain,
            SkipEmailVerification = issuer.SkipEmailVerification,
            IssuerClaim = issuer.IssuerClaim,
            CiProvider = ci,
        };
    }

    /// <summary>The mapper's issuer type for a configured type name.</summary>
    /// <exception cref="IssuanceException">Types this CA does not issue for (codefresh-workflow, chainguard-identity).</exception>
    public static IssuerType ToIssuerType(string type) => type switch
    {
        IssuerTypes.Email => IssuerType.Email,
        IssuerTypes.Uri => IssuerType.Uri,
        IssuerTypes.Username => IssuerType.Username,
        IssuerTypes.Spiffe => IssuerType.Spiffe,
        IssuerTypes.Kubernetes => IssuerType.Kubernetes,
        IssuerTypes.GithubWorkflow => IssuerType.GithubWorkflow,
        IssuerTypes.GitLabPipeline => IssuerType.GitlabPipeline,
        IssuerTypes.BuildkiteJob => IssuerType.BuildkiteJob,
        IssuerTypes.CIProvider => IssuerType.CiProvider,
        _ => throw IssuanceException.Identity($"unsupported issuer type {type}"),
    };

    /// <summary>The templates of one CI provider, keyed as upstream's <c>certificate.Extensions</c> JSON names.</summary>
    public static CiProviderMetadata ToMetadata(CIIssuerMetadata meta)
    {
        ArgumentNullException.ThrowIfNull(meta);
        string T(string name) => meta.ExtensionTemplates.TryGetValue(name, out var v) ? v : "";
        var templates = new SigstoreExtensions
        {
            GithubWorkflowTrigger = T("GithubWorkflowTrigger"),
            GithubWorkflowSha = T("GithubWorkflowSHA"),
            GithubWorkflowName = T("GithubWorkflowName"),
            GithubWorkflowRepository = T("GithubWorkflowRepository"),
            GithubWorkflowRef = T("GithubWorkflowRef"),
            BuildSignerUri = T("BuildSignerURI"),
            BuildSignerDigest = T("BuildSignerDigest"),
            RunnerEnvironment = T("RunnerEnvironment"),
            SourceRepositoryUri = T("SourceRepositoryURI"),
            SourceRepositoryDigest = T("SourceRepositoryDigest"),
            SourceRepositoryRef = T("SourceRepositoryRef"),
            SourceRepositoryIdentifier = T("SourceRepositoryIdentifier"),
            SourceRepositoryOwnerUri = T("SourceRepositoryOwnerURI"),
            SourceRepositoryOwnerIdentifier = T("SourceRepositoryOwnerIdentifier"),
            BuildConfigUri = T("BuildConfigURI"),
            BuildConfigDigest = T("BuildConfigDigest"),
            BuildTrigger = T("BuildTrigger"),
            RunInvocationUri = T("RunInvocationURI"),
            SourceRepositoryVisibilityAtSigning = T("SourceRepositoryVisibilityAtSigning"),
            DeploymentEnvironment = T("DeploymentEnvironment"),
        };
        return new CiProviderMetadata(templates, meta.DefaultTemplateValues, meta.SubjectAlternativeNameTemplate);
    }
}
