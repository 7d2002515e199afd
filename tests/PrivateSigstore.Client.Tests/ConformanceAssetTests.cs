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

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case_verifies_or_fails_as_the_suite_expects(string name, bool byDigest)
    {
        var c = ConformanceCase.All().Single(x => x.Name == name);
        var failure = c.Verify(byDigest);
        if (c.ShouldFail)
        {
            // Rejected for a stated reason, never by a crash.
            Assert.NotNull(failure);
            Assert.Matches("^(VerificationException|InvalidBundleException|WireFormatException): ", failure);
        }
        else
        {
            Assert.Null(failure);
        }
    }
}
