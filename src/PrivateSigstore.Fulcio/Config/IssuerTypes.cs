namespace PrivateSigstore.Fulcio.Config;

/// <summary>Fulcio's issuer type names (<c>IssuerType*</c> in upstream <c>pkg/config/config.go</c>).</summary>
public static class IssuerTypes
{
    /// <summary>Email identity (rfc822Name SAN).</summary>
    public const string Email = "email";
    /// <summary>URI subject under <c>SubjectDomain</c>.</summary>
    public const string Uri = "uri";
    /// <summary>Username subject (otherName SAN) under <c>SubjectDomain</c>.</summary>
    public const string Username = "username";
    /// <summary>SPIFFE ID in <c>SPIFFETrustDomain</c>.</summary>
    public const string Spiffe = "spiffe";
    /// <summary>Kubernetes service account.</summary>
    public const string Kubernetes = "kubernetes";
    /// <summary>GitHub Actions (deprecated upstream in favour of ci-provider).</summary>
    public const string GithubWorkflow = "github-workflow";
    /// <summary>GitLab CI (deprecated upstream).</summary>
    public const string GitLabPipeline = "gitlab-pipeline";
    /// <summary>Buildkite (deprecated upstream).</summary>
    public const string BuildkiteJob = "buildkite-job";
    /// <summary>Codefresh (deprecated upstream).</summary>
    public const string CodefreshWorkflow = "codefresh-workflow";
    /// <summary>Chainguard identity.</summary>
    public const string ChainguardIdentity = "chainguard-identity";
    /// <summary>Template-driven CI provider (<c>CIIssuerMetadata</c>).</summary>
    public const string CIProvider = "ci-provider";

    /// <summary>All known types.</summary>
    public static IReadOnlyList<string> All { get; } =
        [Email, Uri, Username, Spiffe, Kubernetes, GithubWorkflow, GitLabPipeline, BuildkiteJob, CodefreshWorkflow, ChainguardIdentity, CIProvider];

    /// <summary>Whether <paramref name="type"/> is a known issuer type.</summary>
    public static bool IsKnown(string? type) => type is not null && All.Contains(type, StringComparer.Ordinal);

    /// <summary>Upstream's <c>issuerToChallengeClaim</c>: the explicit claim, else <c>email</c> for email issuers and <c>sub</c> otherwise.</summary>
    public static string ChallengeClaim(string type, string? challengeClaim) =>
        !string.IsNullOrEmpty(challengeClaim) ? challengeClaim : type == Email ? "email" : IsKnown(type) ? "sub" : "";
}
