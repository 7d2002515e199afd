namespace PrivateSigstore.Fulcio.Config;

/// <summary>Templates of one CI provider (upstream <c>IssuerMetadata</c>).</summary>
public sealed record CIIssuerMetadata
{
    /// <summary>Default template values; token claims override them.</summary>
    public IReadOnlyDictionary<string, string> DefaultTemplateValues { get; init; } = new Dictionary<string, string>();
    /// <summary>Extension templates keyed by upstream's JSON field names (e.g. <c>BuildSignerURI</c>).</summary>
    public IReadOnlyDictionary<string, string> ExtensionTemplates { get; init; } = new Dictionary<string, string>();
    /// <summary>Template of the URI SAN.</summary>
    public string SubjectAlternativeNameTemplate { get; init; } = "";
}
