namespace PrivateSigstore.Fulcio.Config;

/// <summary>Upstream <c>certificate.Extensions</c> field names: YAML name → JSON name.</summary>
internal static class ExtensionNames
{
    private static readonly Dictionary<string, string> YamlToJson = new(StringComparer.Ordinal)
    {
        ["issuer"] = "Issuer",
        ["github-workflow-trigger"] = "GithubWorkflowTrigger",
        ["github-workflow-sha"] = "GithubWorkflowSHA",
        ["github-workflow-name"] = "GithubWorkflowName",
        ["github-workflow-repository"] = "GithubWorkflowRepository",
        ["github-workflow-ref"] = "GithubWorkflowRef",
        ["build-signer-uri"] = "BuildSignerURI",
        ["build-signer-digest"] = "BuildSignerDigest",
        ["runner-environment"] = "RunnerEnvironment",
        ["source-repository-uri"] = "SourceRepositoryURI",
        ["source-repository-digest"] = "SourceRepositoryDigest",
        ["source-repository-ref"] = "SourceRepositoryRef",
        ["source-repository-identifier"] = "SourceRepositoryIdentifier",
        ["source-repository-owner-uri"] = "SourceRepositoryOwnerURI",
        ["source-repository-owner-identifier"] = "SourceRepositoryOwnerIdentifier",
        ["build-config-uri"] = "BuildConfigURI",
        ["build-config-digest"] = "BuildConfigDigest",
        ["build-trigger"] = "BuildTrigger",
        ["run-invocation-uri"] = "RunInvocationURI",
        ["source-repository-visibility-at-signing"] = "SourceRepositoryVisibilityAtSigning",
        ["deployment-environment"] = "DeploymentEnvironment",
        ["subject"] = "Subject",
    };

    public static string ToJsonName(string name) => YamlToJson.TryGetValue(name, out var json) ? json : name;
}
