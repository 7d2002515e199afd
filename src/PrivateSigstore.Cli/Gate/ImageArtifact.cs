using System.Text;
using PrivateSigstore.Cli.Commands;
using PrivateSigstore.Client.Oci;
using PrivateSigstore.Client.Verification;
using PrivateSigstore.Core.Bundle;

namespace PrivateSigstore.Cli.Gate;

/// <summary>
/// An OCI image in a registry, for the gate. Policies match its reference (as given, normalized, and the repository
/// without tag or digest); a tag is resolved to the manifest digest (said on stderr); its signatures and attestations
/// are found as <c>psig verify-image</c> and <c>verify-image-attestation</c> find them (the referrers API, the referrers
/// tag schema, the legacy <c>.sig</c>/<c>.att</c> tags: <see cref="ImageSignatureStore.FindAsync"/>), and each signature
/// is verified as verify-image verifies it (<see cref="ImageVerification.Verify"/>: the manifest digest is the artifact).
/// Attestations attached to the image are the ones a policy's <c>attestations:</c> may require.
/// </summary>
internal sealed class ImageArtifact(string text, ImageReference reference, ImageSignatureStore store) : IGateArtifact
{
    private readonly Dictionary<string, FoundSignature> _signatures = new(StringComparer.Ordinal);
    private readonly List<(string, byte[])> _attestations = [];
    private string? _digest;

    public string Kind => "oci-image";

    /// <summary>The reference; once resolved, with the digest (<c>registry/repo:tag@sha256:…</c>).</summary>
    public string Name => (_digest is null ? reference : reference with { Digest = _digest }).ToString();

    public string DefaultBundle => "the registry";

    public string AttestationsWhere => $"no attestation attached to {Name} holds it";

    /// <summary>
    /// True when <paramref name="text"/> names an image rather than a path: it is not a file or directory, and its
    /// first component is a registry host (has a dot or a port, or is <c>localhost</c>) or it names a digest. Docker
    /// Hub short names (<c>nginx:1.27</c>) must be written out (<c>docker.io/library/nginx:1.27</c>) so that a
    /// mistyped path is never looked up in a registry.
    /// </summary>
    public static bool LooksLikeReference(string text)
    {
        if (text.StartsWith('/') || text.StartsWith("./", StringComparison.Ordinal) || text.StartsWith("../", StringComparison.Ordinal) || text.Contains('\\', StringComparison.Ordinal))
        {
            return false;
        }
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var first = slash < 0 ? "" : text[..slash];
        return text.Contains("@sha256:", StringComparison.Ordinal) || first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost";
    }

    public IEnumerable<string> MatchNames(string policyDirectory) =>
        new[] { text.Trim(), reference.ToString(), $"{reference.Registry}/{reference.Repository}" }.Distinct(StringComparer.Ordinal);

    public async Task<GateSignatures?> SignaturesAsync(CliConsole console, CancellationToken ct)
    {
        IReadOnlyList<FoundSignature> found;
        try
        {
            var manifest = await ImageCommands.ResolveAsync(console, store, reference, ct).ConfigureAwait(false);
            _digest = manifest.Digest;
            (found, var referrersApi) = await store.FindAsync(reference, manifest.Digest, legacySignatures: true, legacyAttestations: true, ct).ConfigureAwait(false);
            if (!referrersApi)
            {
                await console.Error.WriteLineAsync($"The registry has no referrers API; read the referrers tag {ImageSignatureStore.ReferrersTag(manifest.Digest)} and the legacy .sig and .att tags").ConfigureAwait(false);
            }
        }
        catch (RegistryException e)
        {
            return new GateSignatures(_digest, [], "registry", $"cannot read {Name} from the registry: {e.Message}");
        }
        var signatures = new List<GateSignature>();
        var unreadable = new List<string>();
        foreach (var f in found)
        {
            if (f.Bundle is not { } bundle)
            {
                unreadable.Add($"{f.Describe()}: {f.Problem}");
            }
            else if (bundle.DsseEnvelope is not null && f.PredicateType != ImageSignatureStore.CosignSignPredicateType)
            {
                // An attestation (cosign 3 signs an image with a DSSE statement of the sign predicate; anything else attests).
                _attestations.Add((f.Describe(), Encoding.UTF8.GetBytes(BundleJson.Serialize(bundle))));
            }
            else
            {
                var source = f.Describe();
                _signatures[source] = f;
                signatures.Add(new GateSignature(source, bundle));
            }
        }
        var why = $"no signature found for {Name} (unsigned){(unreadable.Count > 0 ? $"; unreadable: {string.Join("; ", unreadable)}" : "")}";
        return new GateSignatures(_digest, signatures, "unsigned", why);
    }

    public IEnumerable<(string Source, byte[] Json)> AttestationBundles(string signatureBundle) => _attestations;

    public Task<(VerificationRecord Record, string? Digest)> VerifyAsync(CliConsole console, BundleVerifier verifier, Bundle bundle, IdentityPolicy identity, string bundlePath, CancellationToken ct)
    {
        var found = _signatures.TryGetValue(bundlePath, out var f) && ReferenceEquals(f.Bundle, bundle) ? f
            : throw new InvalidOperationException($"{bundlePath} is not a signature found for {Name}");
        var result = ImageVerification.Verify(verifier, found, _digest!, identity, predicateType: null);
        return Task.FromResult<(VerificationRecord, string?)>((result.Record ?? verifier.Unreadable(result.Skipped ?? "skipped", new VerificationPolicy(null, identity)), _digest));
    }
}
