namespace PrivateSigstore.Cli.Tests;

/// <summary>
/// The sigstore-conformance bundle-verify assets driven through <c>psig verify-bundle</c> exactly as the suite's
/// harness calls a client (test/client.py): PATH and DIGEST modes, custom trusted roots, keys and identities.
/// </summary>
public sealed class VerifyBundleConformanceTests
{
    private const string DefaultIdentity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    private const string DefaultIssuer = "https://token.actions.githubusercontent.com";

    private static string Root => Path.Combine(AppContext.BaseDirectory, "testdata", "conformance", "bundle-verify");

    public static TheoryData<string, bool> Cases()
    {
        var data = new TheoryData<string, bool>();
        foreach (var dir in Directory.GetDirectories(Root).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(dir), false);
            data.Add(Path.GetFileName(dir), true);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Verify_bundle_exits_as_the_suite_expects(string name, bool byDigest)
    {
        var result = await Psig.RunAsync(Arguments(name, byDigest));

        if (!name.EndsWith("_fail", StringComparison.Ordinal))
        {
            Assert.True(result.ExitCode == 0, result.Error);
            Assert.Contains("Verified OK", result.Out, StringComparison.Ordinal);
        }
        else
        {
            // The protocol only asks for a non-zero exit; an unusable --key (managed-key-wrong-key_fail) is a usage error (2).
            Assert.NotEqual(0, result.ExitCode);
        }
    }

    /// <summary>The argument list of sigstore-conformance test/client.py verify (identity or key, then the target).</summary>
    internal static string[] Arguments(string name, bool byDigest)
    {
        var dir = Path.Combine(Root, name);
        var args = new List<string> { "verify-bundle", "--bundle", Path.Combine(dir, "bundle.sigstore.json") };
        if (File.Exists(Path.Combine(dir, "key.pub")))
        {
            args.AddRange(["--key", Path.Combine(dir, "key.pub")]);
        }
        else
        {
            args.AddRange(["--certificate-identity", ReadOr(dir, "identity", DefaultIdentity), "--certificate-oidc-issuer", ReadOr(dir, "issuer", DefaultIssuer)]);
        }
        if (File.Exists(Path.Combine(dir, "trusted_root.json")))
        {
            args.AddRange(["--trusted-root", Path.Combine(dir, "trusted_root.json")]);
        }
        var artifact = File.Exists(Path.Combine(dir, "artifact")) ? Path.Combine(dir, "artifact") : Path.Combine(Root, "a.txt");
        args.Add(byDigest ? "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(artifact))) : artifact);
        return [.. args];
    }

    private static string ReadOr(string dir, string file, string fallback) =>
        File.Exists(Path.Combine(dir, file)) ? File.ReadAllText(Path.Combine(dir, file)).Trim() : fallback;
}
