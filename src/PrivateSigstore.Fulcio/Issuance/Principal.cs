using PrivateSigstore.Core.Certificates;

namespace PrivateSigstore.Fulcio.Issuance;

/// <summary>The GeneralName form of a leaf's single SubjectAltName.</summary>
public enum SanKind
{
    /// <summary>rfc822Name.</summary>
    Email,

    /// <summary>uniformResourceIdentifier.</summary>
    Uri,

    /// <summary>otherName with Sigstore's username type-id (1.3.6.1.4.1.57264.1.7).</summary>
    Username,
}

/// <summary>The one SubjectAltName a leaf carries.</summary>
/// <param name="Kind">Its GeneralName form.</param>
/// <param name="Value">The email, URI or <c>user!domain</c> value, verbatim.</param>
public sealed record SubjectAltName(SanKind Kind, string Value)
{
    /// <summary>The critical SAN extension holding exactly this name.</summary>
    public System.Security.Cryptography.X509Certificates.X509Extension ToExtension() => Kind switch
    {
        SanKind.Email => SubjectAltNames.ForEmail(Value),
        SanKind.Uri => SubjectAltNames.ForUri(Value),
        _ => SubjectAltNames.ForUsername(Value),
    };
}

/// <summary>
/// The identity a token maps to (Fulcio's <c>identity.Principal</c>): the value proof of possession is checked
/// against, the SAN, and the Sigstore extensions.
/// </summary>
/// <param name="Name">Fulcio's <c>Principal.Name()</c>: the <c>email</c> claim for the email type, <c>sub</c> otherwise.</param>
/// <param name="SubjectAltName">The leaf's single SAN.</param>
/// <param name="Extensions">The Sigstore extensions (issuer, token subject, CI metadata).</param>
public sealed record Principal(string Name, SubjectAltName SubjectAltName, SigstoreExtensions Extensions)
{
    /// <summary>
    /// The strings a proof-of-possession signature may cover: <see cref="Name"/>, plus the token's <c>sub</c> and
    /// <c>email</c> claims when present (clients sign one or the other; see reference/fulcio.md §1.1 and sigstore-go#282).
    /// </summary>
    public IReadOnlyList<string> ChallengeValues { get; init; } = [];

    /// <summary><see cref="ChallengeValues"/>, or just <see cref="Name"/> when none were set.</summary>
    internal IEnumerable<string> AcceptedChallenges => ChallengeValues.Count == 0 ? [Name] : ChallengeValues.Prepend(Name).Distinct(StringComparer.Ordinal);
}
