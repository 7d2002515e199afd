using System.Security.Cryptography.X509Certificates;

namespace PrivateSigstore.Core.Certificates;

/// <summary>
/// The Sigstore-specific X.509 extensions of a Fulcio leaf certificate (Fulcio <c>certificate.Extensions</c>).
/// Every value is a string; an empty string means "absent".
/// </summary>
public sealed record SigstoreExtensions
{
    /// <summary>The OIDC issuer (<c>iss</c>, or the upstream issuer for federated logins). Written to both
    /// 1.3.6.1.4.1.57264.1.1 (raw) and 1.3.6.1.4.1.57264.1.8 (UTF8String); required by <see cref="Render"/>.</summary>
    public string Issuer { get; init; } = "";

    /// <summary>Deprecated GitHub <c>event_name</c> claim (1.3.6.1.4.1.57264.1.2, raw bytes).</summary>
    public string GithubWorkflowTrigger { get; init; } = "";

    /// <summary>Deprecated GitHub <c>sha</c> claim (1.3.6.1.4.1.57264.1.3, raw bytes).</summary>
    public string GithubWorkflowSha { get; init; } = "";

    /// <summary>Deprecated GitHub <c>workflow</c> claim (1.3.6.1.4.1.57264.1.4, raw bytes).</summary>
    public string GithubWorkflowName { get; init; } = "";

    /// <summary>Deprecated GitHub <c>repository</c> claim (1.3.6.1.4.1.57264.1.5, raw bytes).</summary>
    public string GithubWorkflowRepository { get; init; } = "";

    /// <summary>Deprecated GitHub <c>ref</c> claim (1.3.6.1.4.1.57264.1.6, raw bytes).</summary>
    public string GithubWorkflowRef { get; init; } = "";

    /// <summary>Build Signer URI (1.3.6.1.4.1.57264.1.9): the build instructions responsible for signing.</summary>
    public string BuildSignerUri { get; init; } = "";

    /// <summary>Build Signer Digest (1.3.6.1.4.1.57264.1.10): immutable reference to those build instructions.</summary>
    public string BuildSignerDigest { get; init; } = "";

    /// <summary>Runner Environment (1.3.6.1.4.1.57264.1.11), e.g. <c>github-hosted</c> or <c>self-hosted</c>.</summary>
    public string RunnerEnvironment { get; init; } = "";

    /// <summary>Source Repository URI (1.3.6.1.4.1.57264.1.12).</summary>
    public string SourceRepositoryUri { get; init; } = "";

    /// <summary>Source Repository Digest (1.3.6.1.4.1.57264.1.13), e.g. a git commit SHA.</summary>
    public string SourceRepositoryDigest { get; init; } = "";

    /// <summary>Source Repository Ref (1.3.6.1.4.1.57264.1.14), e.g. <c>refs/heads/main</c>.</summary>
    public string SourceRepositoryRef { get; init; } = "";

    /// <summary>Source Repository Identifier (1.3.6.1.4.1.57264.1.15): immutable repository ID.</summary>
    public string SourceRepositoryIdentifier { get; init; } = "";

    /// <summary>Source Repository Owner URI (1.3.6.1.4.1.57264.1.16).</summary>
    public string SourceRepositoryOwnerUri { get; init; } = "";

    /// <summary>Source Repository Owner Identifier (1.3.6.1.4.1.57264.1.17): immutable owner ID.</summary>
    public string SourceRepositoryOwnerIdentifier { get; init; } = "";

    /// <summary>Build Config URI (1.3.6.1.4.1.57264.1.18): the top-level build instructions.</summary>
    public string BuildConfigUri { get; init; } = "";

    /// <summary>Build Config Digest (1.3.6.1.4.1.57264.1.19).</summary>
    public string BuildConfigDigest { get; init; } = "";

    /// <summary>Build Trigger (1.3.6.1.4.1.57264.1.20): the event that started the build.</summary>
    public string BuildTrigger { get; init; } = "";

    /// <summary>Run Invocation URI (1.3.6.1.4.1.57264.1.21): identifies the build execution.</summary>
    public string RunInvocationUri { get; init; } = "";

    /// <summary>Source Repository Visibility At Signing (1.3.6.1.4.1.57264.1.22), e.g. <c>public</c>.</summary>
    public string SourceRepositoryVisibilityAtSigning { get; init; } = "";

    /// <summary>Deployment Environment (1.3.6.1.4.1.57264.1.23).</summary>
    public string DeploymentEnvironment { get; init; } = "";

    /// <summary>Token Subject (1.3.6.1.4.1.57264.1.24): the raw OIDC <c>sub</c> claim.</summary>
    public string TokenSubject { get; init; } = "";

    /// <summary>One extension slot: OID, encoding, and how to read/write the property. Order = Fulcio's render order.</summary>
    private sealed record Field(
        string Oid,
        bool Raw,
        Func<SigstoreExtensions, string> Get,
        Func<SigstoreExtensions, string, SigstoreExtensions> With);

    private static readonly Field[] Fields =
    [
        new(SigstoreOids.Issuer, true, e => e.Issuer, (e, v) => e with { Issuer = v }),
        new(SigstoreOids.GithubWorkflowTrigger, true, e => e.GithubWorkflowTrigger, (e, v) => e with { GithubWorkflowTrigger = v }),
        new(SigstoreOids.GithubWorkflowSha, true, e => e.GithubWorkflowSha, (e, v) => e with { GithubWorkflowSha = v }),
        new(SigstoreOids.GithubWorkflowName, true, e => e.GithubWorkflowName, (e, v) => e with { GithubWorkflowName = v }),
        new(SigstoreOids.GithubWorkflowRepository, true, e => e.GithubWorkflowRepository, (e, v) => e with { GithubWorkflowRepository = v }),
        new(SigstoreOids.GithubWorkflowRef, true, e => e.GithubWorkflowRef, (e, v) => e with { GithubWorkflowRef = v }),
        new(SigstoreOids.IssuerV2, false, e => e.Issuer, (e, v) => e with { Issuer = v }),
        new(SigstoreOids.BuildSignerUri, false, e => e.BuildSignerUri, (e, v) => e with { BuildSignerUri = v }),
        new(SigstoreOids.BuildSignerDigest, false, e => e.BuildSignerDigest, (e, v) => e with { BuildSignerDigest = v }),
        new(SigstoreOids.RunnerEnvironment, false, e => e.RunnerEnvironment, (e, v) => e with { RunnerEnvironment = v }),
        new(SigstoreOids.SourceRepositoryUri, false, e => e.SourceRepositoryUri, (e, v) => e with { SourceRepositoryUri = v }),
        new(SigstoreOids.SourceRepositoryDigest, false, e => e.SourceRepositoryDigest, (e, v) => e with { SourceRepositoryDigest = v }),
        new(SigstoreOids.SourceRepositoryRef, false, e => e.SourceRepositoryRef, (e, v) => e with { SourceRepositoryRef = v }),
        new(SigstoreOids.SourceRepositoryIdentifier, false, e => e.SourceRepositoryIdentifier, (e, v) => e with { SourceRepositoryIdentifier = v }),
        new(SigstoreOids.SourceRepositoryOwnerUri, false, e => e.SourceRepositoryOwnerUri, (e, v) => e with { SourceRepositoryOwnerUri = v }),
        new(SigstoreOids.SourceRepositoryOwnerIdentifier, false, e => e.SourceRepositoryOwnerIdentifier, (e, v) => e with { SourceRepositoryOwnerIdentifier = v }),
        new(SigstoreOids.BuildConfigUri, false, e => e.BuildConfigUri, (e, v) => e with { BuildConfigUri = v }),
        new(SigstoreOids.BuildConfigDigest, false, e => e.BuildConfigDigest, (e, v) => e with { BuildConfigDigest = v }),
        new(SigstoreOids.BuildTrigger, false, e => e.BuildTrigger, (e, v) => e with { BuildTrigger = v }),
        new(SigstoreOids.RunInvocationUri, false, e => e.RunInvocationUri, (e, v) => e with { RunInvocationUri = v }),
        new(SigstoreOids.SourceRepositoryVisibilityAtSigning, false, e => e.SourceRepositoryVisibilityAtSigning, (e, v) => e with { SourceRepositoryVisibilityAtSigning = v }),
        new(SigstoreOids.DeploymentEnvironment, false, e => e.DeploymentEnvironment, (e, v) => e with { DeploymentEnvironment = v }),
        new(SigstoreOids.TokenSubject, false, e => e.TokenSubject, (e, v) => e with { TokenSubject = v }),
    ];

    private static readonly Dictionary<string, Field> FieldsByOid = Fields.ToDictionary(f => f.Oid, StringComparer.Ordinal);

    /// <summary>
    /// The extensions as Fulcio's <c>Extensions.Render()</c> writes them: 1.1 (issuer, raw UTF-8 bytes), 1.2–1.6 (raw
    /// UTF-8 bytes), 1.8 (issuer, DER UTF8String), 1.9–1.24 (DER UTF8String), in that order, each non-critical and
    /// only when its value is non-empty.
    /// </summary>
    /// <exception cref="InvalidOperationException"><see cref="Issuer"/> is empty, or a value is not well-formed Unicode.</exception>
    public IReadOnlyList<X509Extension> Render()
    {
        // Fulcio: "extensions must have a non-empty issuer url".
        if (string.IsNullOrEmpty(Issuer))
        {
            throw new InvalidOperationException("extensions must have a non-empty issuer url");
        }

        var result = new List<X509Extension>(Fields.Length);
        foreach (var field in Fields)
        {
            string value = field.Get(this);
            if (string.IsNullOrEmpty(value))
            {
                continue;
            }

            byte[] encoded;
            try
            {
                encoded = field.Raw ? DerText.Utf8Bytes(value, field.Oid) : DerText.Utf8String(value, field.Oid);
            }
            catch (ArgumentException e)
            {
                throw new InvalidOperationException($"extension {field.Oid}: {e.Message}", e);
            }

            result.Add(new X509Extension(field.Oid, encoded, critical: false));
        }

        return result;
    }

    /// <summary>
    /// Reads the Sigstore extensions from a certificate's extensions, as Fulcio's <c>ParseExtensions</c>: 1.1–1.6 are
    /// raw UTF-8 bytes; 1.8–1.24 must each be exactly one DER UTF8String (tag 12) with no trailing bytes. Other
    /// extensions are ignored. When both 1.1 and 1.8 are present, the one that comes later wins (1.8 in Fulcio's order).
    /// </summary>
    /// <exception cref="WireFormatException">A value is not valid UTF-8 or not a lone DER UTF8String.</exception>
    public static SigstoreExtensions Parse(IEnumerable<X509Extension> extensions)
    {
        ArgumentNullException.ThrowIfNull(extensions);
        var result = new SigstoreExtensions();
        foreach (var extension in extensions)
        {
            if (extension?.Oid?.Value is not { } oid || !FieldsByOid.TryGetValue(oid, out var field))
            {
                continue;
            }

            string value = field.Raw
                ? DerText.FromUtf8(extension.RawData, oid)
                : DerText.ParseUtf8String(extension.RawData, oid);
            result = field.With(result, value);
        }

        return result;
    }
}
