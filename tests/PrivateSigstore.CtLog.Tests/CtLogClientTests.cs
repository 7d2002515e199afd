using System.Net;
using System.Security.Cryptography;
using PrivateSigstore.Core.Ct;
using PrivateSigstore.Fulcio.Ct;

namespace PrivateSigstore.CtLog.Tests;

/// <summary>The typed client the CA uses, against the real service.</summary>
public sealed class CtLogClientTests(CtLogFixture fixture) : IClassFixture<CtLogFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private TestCa Ca => fixture.Ca;

    private Uri PrefixedUrl => new(fixture.Host.BaseUri, "/test");

    [Fact]
    public async Task AddPreChain_returns_a_verified_SCT_that_verifies_embedded()
    {
        using var http = new HttpClient();
        using var client = new CtLogClient(http, PrefixedUrl, fixture.LogKey);
        var (precert, serial, request) = Ca.Precert();
        var sct = await client.AddPreChainAsync(Ca.Chain(precert), Ct);
        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(fixture.LogKey, out _);
        Assert.True(SctVerification.VerifyEmbedded(Ca.Finalize(request, serial, sct), Ca.Intermediate.PublicKey.ExportSubjectPublicKeyInfo(), sct, key));
    }

    [Fact]
    public async Task AddChain_returns_a_verified_SCT()
    {
        using var http = new HttpClient();
        using var client = new CtLogClient(http, new Uri(fixture.Host.BaseUri, "/test/"), fixture.LogKey);
        var cert = Ca.Leaf();
        var sct = await client.AddChainAsync(Ca.Chain(cert), Ct);
        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(fixture.LogKey, out _);
        Assert.True(SctVerification.VerifyX509(cert, sct, key));
    }

    [Fact]
    public async Task Without_a_key_the_SCT_is_returned_unverified()
    {
        using var http = new HttpClient();
        using var client = new CtLogClient(http, fixture.Host.BaseUri);
        var sct = await client.AddPreChainAsync(Ca.Chain(Ca.Precert().Precert), Ct);
        Assert.Equal(SHA256.HashData(fixture.LogKey), sct.LogId);
    }

    [Fact]
    public async Task An_SCT_from_another_key_is_refused()
    {
        using var http = new HttpClient();
        using var wrong = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var client = new CtLogClient(http, PrefixedUrl, wrong.ExportSubjectPublicKeyInfo());
        var ex = await Assert.ThrowsAsync<CtLogClientException>(() => client.AddPreChainAsync(Ca.Chain(Ca.Precert().Precert), Ct));
        Assert.Contains("log ID", ex.Message, StringComparison.Ordinal);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task A_refused_chain_throws_with_the_status_and_message()
    {
        using var http = new HttpClient();
        using var client = new CtLogClient(http, PrefixedUrl, fixture.LogKey);
        var ex = await Assert.ThrowsAsync<CtLogClientException>(() => client.AddPreChainAsync(Ca.Chain(Ca.Leaf()), Ct));
        Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.Contains("poison", ex.Message, StringComparison.Ordinal);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task A_wrong_url_and_an_unreachable_log_throw_typed_exceptions()
    {
        using var http = new HttpClient();
        using var notFound = new CtLogClient(http, new Uri(fixture.Host.BaseUri, "/nope"), fixture.LogKey);
        var ex = await Assert.ThrowsAsync<CtLogClientException>(() => notFound.AddChainAsync(Ca.Chain(Ca.Leaf()), Ct));
        Assert.Equal(HttpStatusCode.NotFound, ex.StatusCode);

        using var unreachable = new CtLogClient(http, new Uri($"http://127.0.0.1:{CtLogHost.FreePort()}/test"), fixture.LogKey);
        var down = await Assert.ThrowsAsync<CtLogClientException>(() => unreachable.AddChainAsync(Ca.Chain(Ca.Leaf()), Ct));
        Assert.Null(down.StatusCode);
        Assert.True(down.IsTransient);
    }

    [Fact]
    public void Malformed_answers_are_wire_format_errors()
    {
        Assert.Throws<Core.WireFormatException>(() => Core.Ct.AddChainResponse.Parse("{}"u8));
        Assert.Throws<Core.WireFormatException>(() => Core.Ct.AddChainResponse.Parse("not json"u8));
        Assert.Throws<Core.WireFormatException>(() => Core.Ct.AddChainResponse.Parse("{\"sct_version\":0,\"id\":\"AAAA\",\"timestamp\":1,\"extensions\":\"\",\"signature\":\"BAMAAA==\"}"u8));
    }
}
