using PrivateSigstore.Client.Verification;
using PrivateSigstore.Core.Bundle;

namespace PrivateSigstore.Client.Tests;

/// <summary>One sigstore-conformance bundle-verify case directory, read by the suite's rules.</summary>
internal sealed record ConformanceCase(string Name, string Directory)
{
    public const string DefaultIdentity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    public const string DefaultIssuer = "https://token.actions.githubusercontent.com";

    public static string Root => Path.Combine(AppContext.BaseDirectory, "testdata", "conformance", "bundle-verify");

    public static string ProductionRoot => Path.Combine(AppContext.BaseDirectory, "testdata", "production.trusted_root.json");

    public static IEnumerable<ConformanceCase> All() =>
        System.IO.Directory.GetDirectories(Root).Order(StringComparer.Ordinal).Select(d => new ConformanceCase(Path.GetFileName(d), d));

    public bool ShouldFail => Name.EndsWith("_fail", StringComparison.Ordinal);

    public string BundlePath => Path.Combine(Directory, "bundle.sigstore.json");

    public string TrustedRootPath => File.Exists(Path.Combine(Directory, "trusted_root.json")) ? Path.Combine(Directory, "trusted_root.json") : ProductionRoot;

    public string ArtifactPath => File.Exists(Path.Combine(Directory, "artifact")) ? Path.Combine(Directory, "artifact") : Path.Combine(Root, "a.txt");

    public string? KeyPath => File.Exists(Path.Combine(Directory, "key.pub")) ? Path.Combine(Directory, "key.pub") : null;

    public string Identity => ReadOr("identity", DefaultIdentity);

    public string Issuer => ReadOr("issuer", DefaultIssuer);

    public IdentityPolicy IdentityPolicy() => KeyPath is { } key
        ? Verification.IdentityPolicy.PublicKeyPem(File.ReadAllText(key))
        : Verification.IdentityPolicy.Certificate(Identity, Issuer);

    /// <summary>Runs the case through the library; returns null when verified, else the failure text.</summary>
    public string? Verify(bool byDigest)
    {
        try
        {
            var bundle = BundleJson.Parse(File.ReadAllBytes(BundlePath));
            var verifier = new BundleVerifier(TrustedMaterial.Load(TrustedRootPath));
            var artifact = byDigest
                ? ArtifactPolicy.FromDigest(HashAlgorithm.Sha2_256, System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(ArtifactPath)))
                : ArtifactPolicy.FromBytes(File.ReadAllBytes(ArtifactPath));
            verifier.Verify(bundle, new VerificationPolicy(artifact, IdentityPolicy()));
            return null;
        }
        catch (Exception e)
        {
            return e.GetType().Name + ": " + e.Message;
        }
    }

    private string ReadOr(string file, string fallback) =>
        File.Exists(Path.Combine(Directory, file)) ? File.ReadAllText(Path.Combine(Directory, file)).Trim() : fallback;
}
