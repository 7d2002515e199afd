using System.Text.Json;
using PrivateSigstore.Fulcio.Config;

namespace PrivateSigstore.Fulcio.Oidc;

/// <summary>A verified identity token.</summary>
public sealed record VerifiedToken
{
    /// <summary>The issuer configuration (for meta issuers: concrete, with <c>IssuerUrl</c> = <c>iss</c>).</summary>
    public required OidcIssuerConfig Issuer { get; init; }
    /// <summary>The payload's claims (a JSON object).</summary>
    public required JsonElement Claims { get; init; }
    /// <summary>The <c>sub</c> claim ("" when absent).</summary>
    public required string Subject { get; init; }
    /// <summary>The <c>email</c> claim, if any.</summary>
    public string? Email { get; init; }
    /// <summary><c>email_verified</c> is <c>true</c> or <c>"true"</c> (upstream accepts both).</summary>
    public bool EmailVerified { get; init; }
    /// <summary>The <c>exp</c> instant.</summary>
    public DateTimeOffset Expires { get; init; }
    /// <summary>The raw token.</summary>
    public required string RawToken { get; init; }
}
