using System.Net;

namespace PrivateSigstore.Fulcio.Tests.Api;

/// <summary>
/// Issue 20, finding 9: Fulcio answered every origin with <c>Access-Control-Allow-Origin: *</c>. Upstream Fulcio's HTTP
/// server (cmd/app/http.go, a grpc-gateway mux) sets no CORS headers, so that is the default; origins are allowed by
/// configuration (<c>Fulcio:CorsAllowedOrigins</c>).
/// </summary>
public sealed class CorsTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<HttpResponseMessage> GetWithOrigin(FulcioTestServer server, string origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/v2/trustBundle");
        request.Headers.Add("Origin", origin);
        return await server.Http.SendAsync(request, Ct);
    }

    private static async Task<HttpResponseMessage> Preflight(FulcioTestServer server, string origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "/api/v2/signingCert");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
        return await server.Http.SendAsync(request, Ct);
    }

    [Fact]
    public async Task By_default_no_origin_is_allowed_as_upstream()
    {
        await using var server = await FulcioTestServer.StartAsync();
        using var get = await GetWithOrigin(server, "https://evil.example");
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.False(get.Headers.Contains("Access-Control-Allow-Origin"));
        using var preflight = await Preflight(server, "https://evil.example");
        Assert.False(preflight.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.False(preflight.Headers.Contains("Access-Control-Allow-Methods"));
    }

    [Fact]
    public async Task Configured_origins_are_allowed_and_no_others()
    {
        await using var server = await FulcioTestServer.StartAsync("--Fulcio:CorsAllowedOrigins:0", "https://app.example");
        using var allowed = await GetWithOrigin(server, "https://app.example");
        Assert.Equal("https://app.example", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        using var preflight = await Preflight(server, "https://app.example");
        Assert.Equal("https://app.example", preflight.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("POST", string.Join(",", preflight.Headers.GetValues("Access-Control-Allow-Methods")), StringComparison.Ordinal);
        using var other = await GetWithOrigin(server, "https://evil.example");
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task A_star_allows_every_origin()
    {
        await using var server = await FulcioTestServer.StartAsync("--Fulcio:CorsAllowedOrigins:0", "*");
        using var response = await GetWithOrigin(server, "https://anything.example");
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
    }
}
