using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Certificates;

namespace PrivateSigstore.CtLog.Tests;

/// <summary>
/// <c>GET /api/v1/search</c>: logged certificates by SAN, serial or issuer through the log's search index (no scan), for
/// the explorer; bad queries are 400 problems.
/// </summary>
public sealed class CtSearchTests(CtLogFixture fixture) : IClassFixture<CtLogFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_logged_precertificate_is_found_by_its_san_and_serial()
    {
        var (precert, _, _) = fixture.Ca.Precert();
        await fixture.Host.AddAsync("add-pre-chain", fixture.Ca.Chain(precert));
        using var cert = X509CertificateLoader.LoadCertificate(precert);
        var email = SubjectAltNames.Read(cert).Emails.Single();
        var sth = JsonNode.Parse(await fixture.Host.Http.GetStringAsync(new Uri(fixture.Host.BaseUri, "/ct/v1/get-sth"), Ct))!;
        var last = sth["tree_size"]!.GetValue<ulong>() - 1;

        // The index is written after the leaf is integrated, off the submission path: wait for it (bounded).
        JsonNode? bySan = null;
        for (var i = 0; i < 100; i++)
        {
            bySan = JsonNode.Parse(await fixture.Host.Http.GetStringAsync(new Uri(fixture.Host.BaseUri, "/api/v1/search?san=" + Uri.EscapeDataString(email.ToUpperInvariant())), Ct))!;
            if (bySan["indexes"]!.AsArray().Count > 0) break;
            await Task.Delay(100, Ct);
        }
        Assert.Equal([last], bySan!["indexes"]!.AsArray().Select(n => n!.GetValue<ulong>()));
        // The serial, with leading zeros and colons or without.
        var serial = string.Join(':', Convert.FromHexString(cert.SerialNumber).Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        var bySerial = JsonNode.Parse(await fixture.Host.Http.GetStringAsync(new Uri(fixture.Host.BaseUri, "/api/v1/search?serial=00" + serial), Ct))!;
        Assert.Equal([last], bySerial["indexes"]!.AsArray().Select(n => n!.GetValue<ulong>()));
        var none = JsonNode.Parse(await fixture.Host.Http.GetStringAsync(new Uri(fixture.Host.BaseUri, "/api/v1/search?san=nobody@example.com"), Ct))!;
        Assert.Empty(none["indexes"]!.AsArray());
    }

    [Theory]
    [InlineData("/api/v1/search")]
    [InlineData("/api/v1/search?san=a&serial=01")]
    [InlineData("/api/v1/search?serial=xyz")]
    [InlineData("/api/v1/search?san=")]
    public async Task Bad_searches_are_400_problems(string path)
    {
        using var response = await fixture.Host.Http.GetAsync(new Uri(fixture.Host.BaseUri, path), Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
