using System.Text.RegularExpressions;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Pem;

namespace PrivateSigstore.Client.Verification;

/// <summary>
/// Who must have signed: a Fulcio certificate identity (a SAN, exact or regular expression, plus the exact OIDC
/// issuer, as cosign's <c>--certificate-identity[-regexp]</c> and <c>--certificate-oidc-issuer</c>), or a
/// long-lived public key agreed out of band.
/// </summary>
public abstract record IdentityPolicy
{
    private protected IdentityPolicy() { }

    /// <summary>A certificate whose SAN equals <paramref name="subjectAlternativeName"/>, issued for <paramref name="issuer"/>.</summary>
    public static IdentityPolicy Certificate(string subjectAlternativeName, string issuer) =>
        new CertificateIdentity(Require(subjectAlternativeName, nameof(subjectAlternativeName)), null, Require(issuer, nameof(issuer)));

    /// <summary>
    /// A certificate with a SAN matched by <paramref name="pattern"/>, with Go's RE2 meaning (<see cref="GoRegexp"/>: '$'
    /// is the end of the text, ASCII classes, linear-time matching) and unanchored, as cosign's <c>regexp.MatchString</c>;
    /// anchor it with ^…$. Issued for <paramref name="issuer"/>. Throws <see cref="ArgumentException"/> for a pattern RE2 refuses.
    /// </summary>
    public static IdentityPolicy CertificateRegex(string pattern, string issuer) =>
        new CertificateIdentity(null, GoRegexp.Compile(Require(pattern, nameof(pattern))), Require(issuer, nameof(issuer)));

    /// <summary>A signature by the key with this DER SubjectPublicKeyInfo.</summary>
    public static IdentityPolicy PublicKey(byte[] subjectPublicKeyInfo)
    {
        ArgumentNullException.ThrowIfNull(subjectPublicKeyInfo);
        PublicKeyInfo.Validate(subjectPublicKeyInfo);
        return new KeyIdentity([.. subjectPublicKeyInfo]);
    }

    /// <summary>A signature by the key in this PEM <c>PUBLIC KEY</c> text.</summary>
    public static IdentityPolicy PublicKeyPem(string pem) => PublicKey(GoPem.DecodePublicKey(pem));

    /// <summary>
    /// No identity check at all: any certificate from a trusted CA is accepted. Only for callers that check the
    /// identity themselves (sigstore-go <c>WithoutIdentitiesUnsafe</c>).
    /// </summary>
    public static IdentityPolicy AnyCertificateUnsafe() => new CertificateIdentity(null, null, null);

    /// <summary>A short description for audit records.</summary>
    internal abstract string Describe();

    private static string Require(string value, string name) =>
        string.IsNullOrEmpty(value) ? throw new ArgumentException("must not be empty", name) : value;

    internal sealed record CertificateIdentity(string? ExactSan, Regex? SanPattern, string? Issuer) : IdentityPolicy
    {
        internal bool Matches(string san) =>
            (ExactSan is null && SanPattern is null) || string.Equals(ExactSan, san, StringComparison.Ordinal) || (SanPattern?.IsMatch(san) ?? false);

        internal override string Describe() => (ExactSan, SanPattern, Issuer) switch
        {
            (null, null, null) => "any certificate (unsafe)",
            (not null, _, _) => $"certificate identity \"{ExactSan}\" issuer \"{Issuer}\"",
            _ => $"certificate identity regexp \"{SanPattern}\" issuer \"{Issuer}\"",
        };
    }

    internal sealed record KeyIdentity(byte[] SubjectPublicKeyInfo) : IdentityPolicy
    {
        internal override string Describe() =>
            $"public key sha256:{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(SubjectPublicKeyInfo))}";
    }
}

/// <summary>A per-call verification policy: the artifact (or none, unsafe) and the identity.</summary>
/// <param name="Artifact">The artifact or its digest; null only for DSSE bundles verified without a subject check.</param>
/// <param name="Identity">Who must have signed.</param>
public sealed record VerificationPolicy(ArtifactPolicy? Artifact, IdentityPolicy Identity);
