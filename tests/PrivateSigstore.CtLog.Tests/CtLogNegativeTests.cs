using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace PrivateSigstore.CtLog.Tests;

/// <summary>Refused submissions and bad queries: a 4xx with a plain message, and the tree does not change.</summary>
public sealed class CtLogNegativeTests(CtLogFixture fixture) : IClassFixture<CtLogFixture>
{
    private CtLogHost Host => fixture.Host;

    private TestCa Ca => fixture.Ca;

    private async Task AssertRefusedAsync(string operation, HttpContent content, HttpStatusCode expected, string messagePart)
    {
        var before = await Host.TreeSizeAsync();
        var (status, body) = await Host.PostAsync($"/ct/v1/{operation}", content);
        Assert.Equal(expected, status);
        Assert.Contains(messagePart, body, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, await Host.TreeSizeAsync());
    }

    [Fact]
    public async Task Chain_to_an_unknown_root_is_refused()
    {
        using var other = new TestCa("other");
        await AssertRefusedAsync("add-chain", CtLogHost.ChainBody(other.Chain(other.Leaf())), HttpStatusCode.BadRequest, "trusted root");
        await AssertRefusedAsync("add-pre-chain", CtLogHost.ChainBody(other.Chain(other.Precert().Precert)), HttpStatusCode.BadRequest, "trusted root");
    }

    [Fact]
    public async Task A_leaf_not_signed_by_the_next_certificate_is_refused()
    {
        using var other = new TestCa("other");
        await AssertRefusedAsync("add-chain", CtLogHost.ChainBody([other.Leaf(), Ca.Intermediate.RawData, Ca.Root.RawData]), HttpStatusCode.BadRequest, "not signed by");
    }

    [Fact]
    public async Task A_self_signed_leaf_claiming_the_root_name_is_refused()
    {
        // Same subject as the trusted root, different key: the name matches, the signature does not.
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(Ca.Root.SubjectName, key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(CtLogOptions.CodeSigningEku)], false));
        using var fake = req.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(10));
        await AssertRefusedAsync("add-chain", CtLogHost.ChainBody([fake.RawData]), HttpStatusCode.BadRequest, "trusted root");
    }

    [Fact]
    public async Task Garbage_DER_is_refused()
    {
        await AssertRefusedAsync("add-chain", CtLogHost.ChainBody([[0x30, 0x03, 0x02, 0x01, 0x01], Ca.Root.RawData]), HttpStatusCode.BadRequest, "not a valid DER");
        await AssertRefusedAsync("add-chain", CtLogHost.ChainBody([Encoding.ASCII.GetBytes("not a certificate")]), HttpStatusCode.BadRequest, "not a valid DER");
        // A valid certificate with a byte appended is not DER any more.
        await AssertRefusedAsync("add-chain", CtLogHost.ChainBody([[.. Ca.Leaf(), 0x00], Ca.Intermediate.RawData]), HttpStatusCode.BadRequest, "not a valid DER");
    }

    [Fact]
    public async Task A_final_certificate_in_add_pre_chain_is_refused() =>
        await AssertRefusedAsync("add-pre-chain", CtLogHost.ChainBody(Ca.Chain(Ca.Leaf())), HttpStatusCode.BadRequest, "no CT poison");

    [Fact]
    public async Task A_precertificate_in_add_chain_is_refused() =>
        await AssertRefusedAsync("add-chain", CtLogHost.ChainBody(Ca.Chain(Ca.Precert().Precert)), HttpStatusCode.BadRequest, "use add-pre-chain");

    [Fact]
    public async Task A_non_critical_poison_is_refused() =>
        await AssertRefusedAsync("add-pre-chain", CtLogHost.ChainBody(Ca.Chain(Ca.Precert(criticalPoison: false).Precert)), HttpStatusCode.BadRequest, "critical");

    [Fact]
    public async Task A_leaf_without_an_accepted_EKU_is_refused() =>
        await AssertRefusedAsync("add-chain", CtLogHost.ChainBody(Ca.Chain(Ca.Leaf(eku: "1.3.6.1.5.5.7.3.1"))), HttpStatusCode.BadRequest, "extended key usage");

    [Fact]
    public async Task An_oversized_chain_is_refused()
    {
        var chain = Ca.Chain(Ca.Leaf());
        while (chain.Count <= CtLogOptions.DefaultMaxChainLength) chain.Insert(1, Ca.Intermediate.RawData);
        await AssertRefusedAsync("add-chain", CtLogHost.ChainBody(chain), HttpStatusCode.BadRequest, "at most");
    }

    [Fact]
    public async Task An_oversized_body_is_refused()
    {
        var big = new string('A', (int)CtLogOptions.DefaultMaxRequestBytes + 10);
        await AssertRefusedAsync("add-chain", new StringContent($"{{\"chain\":[\"{big}\"]}}", Encoding.UTF8, "application/json"), HttpStatusCode.RequestEntityTooLarge, "larger than");
    }

    [Theory]
    [InlineData("{\"chain\":[\"not base64!\"]}", "base64")]
    [InlineData("{\"chain\":[\"\"]}", "base64")]
    [InlineData("{\"chain\":[42]}", "base64")]
    [InlineData("{\"chain\":[]}", "empty")]
    [InlineData("{\"chain\":\"MII=\"}", "array")]
    [InlineData("{\"certs\":[]}", "array")]
    [InlineData("[1,2]", "object")]
    [InlineData("{\"chain\":[", "invalid JSON")]
    [InlineData("not json", "invalid JSON")]
    [InlineData("{\"chain\":[[[[[[[[[[[]]]]]]]]]]]}", "invalid JSON")]
    public async Task Malformed_bodies_are_refused(string body, string messagePart)
    {
        await AssertRefusedAsync("add-chain", new StringContent(body, Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest, messagePart);
        await AssertRefusedAsync("add-pre-chain", new StringContent(body, Encoding.UTF8, "application/json"), HttpStatusCode.BadRequest, messagePart);
    }

    [Fact]
    public async Task An_empty_body_is_refused() =>
        await AssertRefusedAsync("add-chain", new ByteArrayContent([]), HttpStatusCode.BadRequest, "empty");

    [Fact]
    public async Task Errors_are_plain_text_as_ctfe_writes_them()
    {
        using var response = await Host.Http.PostAsync("/ct/v1/add-chain", new StringContent("nope", Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("failed to parse add-chain body", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/ct/v1/get-entries", HttpStatusCode.BadRequest)]
    [InlineData("/ct/v1/get-entries?start=-1&end=2", HttpStatusCode.BadRequest)]
    [InlineData("/ct/v1/get-entries?start=3&end=1", HttpStatusCode.BadRequest)]
    [InlineData("/ct/v1/get-entries?start=999999&end=1000000", HttpStatusCode.BadRequest)]
    [InlineData("/ct/v1/get-entries?start=x&end=1", HttpStatusCode.BadRequest)]
    [InlineData("/ct/v1/get-sth-consistency?first=1", HttpStatusCode.BadRequest)]
    [InlineData("/ct/v1/get-sth-consistency?first=3&second=2", HttpStatusCode.BadRequest)]
    [InlineData("/ct/v1/get-sth-consistency?first=1&second=99999999", HttpStatusCode.BadRequest)]
    [InlineData("/ct/v1/get-proof-by-hash?hash=AAAA&tree_size=1", HttpStatusCode.BadRequest)]
    [InlineData("/ct/v1/get-proof-by-hash?hash=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D&tree_size=0", HttpStatusCode.BadRequest)]
    [InlineData("/ct/v1/get-proof-by-hash?hash=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D&tree_size=99999999", HttpStatusCode.BadRequest)]
    [InlineData("/ct/v1/get-proof-by-hash?hash=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D&tree_size=1", HttpStatusCode.NotFound)]
    [InlineData("/ct/v1/get-entry-and-proof?leaf_index=0", HttpStatusCode.BadRequest)]
    [InlineData("/ct/v1/get-entry-and-proof?leaf_index=1&tree_size=1", HttpStatusCode.BadRequest)]
    [InlineData("/ct/v1/get-entry-and-proof?leaf_index=0&tree_size=99999999", HttpStatusCode.BadRequest)]
    public async Task Bad_queries_get_4xx(string path, HttpStatusCode expected)
    {
        // At least one entry, so that tree_size=1 is a real tree.
        if (await Host.TreeSizeAsync() == 0) await Host.AddAsync("add-chain", Ca.Chain(Ca.Leaf()));
        using var response = await Host.Http.GetAsync(path, TestContext.Current.CancellationToken);
        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Wrong_methods_get_405()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await Host.Http.GetAsync("/ct/v1/add-chain", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, (await Host.Http.PostAsync("/ct/v1/get-sth", new ByteArrayContent([]), ct)).StatusCode);
    }
}
