using System.Text.Json;
using PrivateSigstore.Core.Certificates;

namespace PrivateSigstore.Fulcio.Issuance;

/// <summary>
/// The ci-provider metadata for one CI system (Fulcio's <c>config.IssuerMetadata</c>, the values of
/// <c>CIIssuerMetadata</c>).
/// </summary>
/// <param name="ExtensionTemplates">
/// Per extension, a claim name or a Go template such as <c>https://github.com/{{ .repository }}</c>; empty strings are
/// skipped. <see cref="SigstoreExtensions.Issuer"/> and <see cref="SigstoreExtensions.TokenSubject"/> are ignored:
/// they always come from the token.
/// </param>
/// <param name="DefaultTemplateValues">Values used when a claim is absent (claims override them).</param>
/// <param name="SubjectAlternativeNameTemplate">A claim name or a template for the URI SAN; must not be empty.</param>
public sealed record CiProviderMetadata(
    SigstoreExtensions ExtensionTemplates,
    IReadOnlyDictionary<string, string> DefaultTemplateValues,
    string SubjectAlternativeNameTemplate);

/// <summary>
/// Everything needed to map verified token claims to a <see cref="Principal"/>: the claims plus the relevant fields of
/// the issuer's configuration, as plain values.
/// </summary>
/// <param name="Type">The configured issuer type.</param>
/// <param name="IssuerUrl">The token's verified <c>iss</c>.</param>
/// <param name="Claims">The verified token's payload (a JSON object).</param>
public sealed record PrincipalRequest(IssuerType Type, string IssuerUrl, JsonElement Claims)
{
    /// <summary><c>SubjectDomain</c>: for <c>uri</c> a URL with scheme, for <c>username</c> a bare domain.</summary>
    public string? SubjectDomain { get; init; }

    /// <summary><c>SPIFFETrustDomain</c>, required for <c>spiffe</c>.</summary>
    public string? SpiffeTrustDomain { get; init; }

    /// <summary><c>SkipEmailVerification</c>: accept email tokens without <c>email_verified</c>.</summary>
    public bool SkipEmailVerification { get; init; }

    /// <summary><c>IssuerClaim</c> (email type only): a JSONPath such as <c>$.federated_claims.connector_id</c> whose value replaces <c>iss</c> in the issuer extensions.</summary>
    public string? IssuerClaim { get; init; }

    /// <summary>The CI provider's templates, required for <c>ci-provider</c>.</summary>
    public CiProviderMetadata? CiProvider { get; init; }
}
