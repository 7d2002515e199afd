using System.Net;
using System.Text;

namespace PrivateSigstore.Hardening.Tests;

/// <summary>What the HTTP mutation suite found, each kept as the failing request.</summary>
public sealed class MutationRegressionTests(StackFixture fixture) : IClassFixture<StackFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<HttpResponseMessage> SendAsync(string service, HttpMethod method, string path, string contentType, string body)
    {
        using var http = new HttpClient { BaseAddress = new Uri(fixture.Stack.Services.Single(s => s.Key == service).Url) };
        using var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        request.Headers.ConnectionClose = true;
        return await http.SendAsync(request, Ct);
    }

    // A multipart login form whose body is not multipart threw IOException out of ReadFormAsync: a 500.
    [Theory]
    [InlineData("multipart/form-data; boundary=x", "0.0000000000000000000000001")]
    [InlineData("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice")]
    [InlineData("multipart/form-data", "--x--")]
    public async Task A_login_form_that_does_not_parse_is_a_400(string contentType, string body)
    {
        using var response = await SendAsync("identity", HttpMethod.Post, "/account/login", contentType, body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    // The explorer's status page bound its code from a form body first: an unreadable multipart body left it 0, and the
    // explorer answered "HTTP/1.1 0".
    [Theory]
    [InlineData("/no/such/page")]
    [InlineData("/status/404")]
    [InlineData("/status/..%252f..%252fetc%252fpasswd")]
    public async Task A_page_asked_for_with_an_unreadable_form_body_keeps_its_status(string path)
    {
        using var response = await SendAsync("explorer", HttpMethod.Get, path, "multipart/form-data", "garbage");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    // CI seed aL4_fvJ7k983: GET /status/-1 with a binary application/x-www-form-urlencoded body answered 500: ASP.NET's
    // jQuery form value provider throws ArgumentException on a form key with an unclosed '['.
    [Theory]
    [InlineData("/status/-1?size=99999999999999999999")]
    [InlineData("/")]
    [InlineData("/logs")]
    public async Task A_page_with_a_form_key_that_is_not_jquery_syntax_is_not_a_500(string path)
    {
        using var response = await SendAsync("explorer", HttpMethod.Get, path, "application/x-www-form-urlencoded", "a[b=1&%5B=2");
        Assert.True((int)response.StatusCode < 500, $"{(int)response.StatusCode} for {path}");
    }

    // A form key over the reader's length limit threw InvalidDataException out of the form reader (antiforgery or
    // OpenIddict) on the device verification page: a 500.
    [Theory]
    [InlineData("/connect/verify")]
    [InlineData("/connect/authorize")]
    [InlineData("/connect/token")]
    [InlineData("/connect/device")]
    public async Task A_form_the_reader_refuses_is_a_400_on_every_identity_endpoint(string path)
    {
        using var response = await SendAsync("identity", HttpMethod.Post, path, "application/x-www-form-urlencoded", new string('[', 12_000));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}
