namespace PrivateSigstore.Fulcio.Issuance;

/// <summary>The issuer types this CA maps to identities (Fulcio's <c>IssuerType*</c> constants in <c>pkg/config/config.go</c>).</summary>
public enum IssuerType
{
    /// <summary><c>email</c>: rfc822Name SAN from the verified <c>email</c> claim.</summary>
    Email,

    /// <summary><c>uri</c>: URI SAN = <c>sub</c>, under the SubjectDomain.</summary>
    Uri,

    /// <summary><c>username</c>: otherName SAN <c>sub!SubjectDomain</c>.</summary>
    Username,

    /// <summary><c>spiffe</c>: URI SAN = the SPIFFE ID in <c>sub</c>, within the trust domain.</summary>
    Spiffe,

    /// <summary><c>kubernetes</c>: URI SAN built from the <c>kubernetes.io</c> claims.</summary>
    Kubernetes,

    /// <summary><c>github-workflow</c> (deprecated upstream in favour of ci-provider).</summary>
    GithubWorkflow,

    /// <summary><c>gitlab-pipeline</c> (deprecated upstream in favour of ci-provider).</summary>
    GitlabPipeline,

    /// <summary><c>buildkite-job</c> (deprecated upstream in favour of ci-provider).</summary>
    BuildkiteJob,

    /// <summary><c>ci-provider</c>: SAN and extensions from claim templates.</summary>
    CiProvider,
}
