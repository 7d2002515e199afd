using PrivateSigstore.Tests.Support;

namespace PrivateSigstore.Fulcio.Tests.Api;

/// <summary>The unchanged @sigstore/sign Fulcio client (pinned) obtains a certificate from our CA (tests/interop/fulcio-interop.mjs).</summary>
public sealed class SigstoreJsInteropTests
{
    [Fact]
    public async Task Sigstore_js_obtains_a_certificate_that_chains_to_the_trust_bundle()
    {
        NodeScript.Require();
        await using var server = await FulcioTestServer.StartAsync();
        var good = server.Token(server.Claims("email", "user-42", new { email = "carol@example.com", email_verified = true }), rsa: false);
        var bad = server.Token(server.Claims("email", "user-42", new { email = "carol@example.com", email_verified = true }, expIn: TimeSpan.FromSeconds(-5)));
        var run = await NodeScript.RunAsync("fulcio-interop.mjs", new Dictionary<string, string>
        {
            ["FULCIO_URL"] = server.BaseUrl,
            ["ID_TOKEN"] = good,
            ["BAD_TOKEN"] = bad,
            ["EXPECTED_SAN"] = "carol@example.com",
            ["EXPECTED_ISSUER"] = server.Issuer("email"),
        }, FulcioTestServer.Ct);
        Assert.True(run.ExitCode == 0 && run.Summary?["ok"]?.GetValue<bool>() == true, run.Report());
        var issued = run.Summary!["issued"]!;
        Assert.True(issued["chainsToTrustBundle"]!.GetValue<bool>(), run.Report());
        Assert.Equal(2, issued["chainLength"]!.GetValue<int>());
        Assert.Equal(10, issued["validForMinutes"]!.GetValue<double>());
        Assert.True(run.Summary["refused"]!["ok"]!.GetValue<bool>(), run.Report());
    }
}
