using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Keys;
using PrivateSigstore.Core.Json;

namespace PrivateSigstore.Client.Signing;

/// <summary>
/// A client of Fulcio's <c>POST /api/v2/signingCert</c> (upstream wire format, reference/fulcio.md §1.1): the token in
/// the body and the Authorization header, the public key as PEM, and the proof of possession signed over the
/// token's subject (the <c>email</c> claim when present, else <c>sub</c>, as sigstore-go and cosign do).
/// </summary>
public sealed class FulcioClient
{
    private const int MaxResponseBytes = 1 << 20;
    private readonly HttpClient _http;
    private readonly Uri _baseUrl;

    /// <summary>Creates a client of the CA at <paramref name="baseUrl"/>.</summary>
    public FulcioClient(HttpClient http, Uri baseUrl)
    {
        _http = http ?? throw new ArgumentNullException(nameof(http));
        ArgumentNullException.ThrowIfNull(baseUrl);
        _baseUrl = baseUrl.AbsoluteUri.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
    }

    /// <summary>Requests a certificate for <paramref name="key"/>; returns the chain, leaf first, as DER.</summary>
    public async Task<IReadOnlyList<byte[]>> GetSigningCertificateAsync(string identityToken, ISigningKey key, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(identityToken);
        ArgumentNullException.ThrowIfNull(key);
        var subject = IdentityToken.Subject(identityToken);
        var request = new JsonObject
        {
            ["credentials"] = new JsonObject { ["oidcIdentityToken"] = identityToken },
            ["publicKeyRequest"] = new JsonObject
            {
                ["publicKey"] = new JsonObject
                {
                    ["algorithm"] = key.Algorithm.ToString().StartsWith("Ed", StringComparison.Ordinal) ? "ED25519" : "ECDSA",
                    ["content"] = GoPem.EncodePublicKey(key.SubjectPublicKeyInfo),
                },
                ["proofOfPossession"] = Convert.ToBase64String(key.Sign(Encoding.UTF8.GetBytes(subject))),
            },
        };
        var url = new Uri(_baseUrl, "api/v2/signingCert");
        using var message = new HttpRequestMessage(HttpMethod.Post, url)
        {
            Content = new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", identityToken);
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw ServiceClientException.ForTransport(HttpMethod.Post, url, e, "the Fulcio CA", _baseUrl);
        }
        byte[] body;
        using (response)
        {
            body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (body.Length > MaxResponseBytes)
            {
                throw new ServiceClientException($"POST {url}: response too large", (int)response.StatusCode);
            }
            if (!response.IsSuccessStatusCode)
            {
                // grpc-gateway errors: {"code":…,"message":"…","details":[…]}; the reason is in both.
                throw ServiceClientException.ForStatus(HttpMethod.Post, url, response.StatusCode, body, "a Fulcio CA", _baseUrl);
            }
        }
        return ReadChain(body);
    }

    private static List<byte[]> ReadChain(byte[] body)
    {
        try
        {
            var json = StrictJson.Parse(body)!;
            var certificate = json["signedCertificateEmbeddedSct"] ?? json["signedCertificateDetachedSct"]
                ?? throw new ServiceClientException("Fulcio response holds no certificate");
            var pems = certificate["chain"]!["certificates"]!.AsArray().Select(p => p!.GetValue<string>());
            return [.. pems.Select(p => GoPem.DecodeCertificates(p + "\n", 1)[0])];
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or Core.WireFormatException)
        {
            throw new ServiceClientException($"malformed Fulcio response: {e.Message}", 0, e);
        }
    }
}

/// <summary>Reads claims from an OIDC identity token without verifying it (the CA verifies it).</summary>
public static class IdentityToken
{
    /// <summary>The string the proof of possession signs: the <c>email</c> claim when present, else <c>sub</c>.</summary>
    public static string Subject(string token)
    {
        var claims = Claims(token);
        return claims["email"]?.GetValue<string>() ?? claims["sub"]?.GetValue<string>()
            ?? throw new ArgumentException("the identity token has neither an email nor a sub claim", nameof(token));
    }

    /// <summary>The token's payload claims.</summary>
    public static JsonObject Claims(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            throw new ArgumentException("the identity token is not a JWT (three dot-separated parts)", nameof(token));
        }
        var payload = parts[1].Replace('-', '+').Replace('_', '/');
        payload = payload.PadRight(payload.Length + ((4 - (payload.Length % 4)) % 4), '=');
        try
        {
            return StrictJson.Parse(Convert.FromBase64String(payload))?.AsObject() ?? throw new ArgumentException("empty JWT payload", nameof(token));
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            throw new ArgumentException($"the identity token's payload does not parse: {e.Message}", nameof(token), e);
        }
    }
}
