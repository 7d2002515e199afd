using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using PrivateSigstore.Core.Bundle;

namespace PrivateSigstore.Client.Timestamp;

/// <summary>
/// A client of an RFC 3161 timestamp authority with sigstore/timestamp-authority's API
/// (<c>POST /api/v1/timestamp</c>, <c>application/timestamp-query</c> → <c>application/timestamp-reply</c>). It asks for
/// a timestamp over the SHA-256 of a signature (the bundle's message signature, or a DSSE envelope's signature) with a
/// random nonce and <c>certReq</c> set, and accepts the reply only when it is granted, echoes the nonce, carries the
/// same message imprint and its token's CMS signature verifies with the certificate it carries. The verifier checks
/// the TSA's chain against the trusted root later.
/// </summary>
public sealed class TimestampClient
{
    /// <summary>The largest reply read.</summary>
    public const int MaxResponseBytes = 1 << 20;

    private readonly HttpClient _http;

    /// <summary>
    /// Creates a client of the authority at <paramref name="url"/>: a base URL (path <c>/</c>) gets
    /// <c>/api/v1/timestamp</c> appended, any other URL is used as given (signing config <c>tsaUrls</c> are full URLs),
    /// as sigstore-js does.
    /// </summary>
    public TimestampClient(HttpClient http, Uri url)
    {
        _http = http ?? throw new ArgumentNullException(nameof(http));
        ArgumentNullException.ThrowIfNull(url);
        Url = url.AbsolutePath is "/" or "" ? new Uri(url, "/api/v1/timestamp") : url;
    }

    /// <summary>The URL timestamp queries are posted to.</summary>
    public Uri Url { get; }

    /// <summary>
    /// Timestamps <paramref name="signature"/>: returns the DER <c>TimeStampResp</c> (status + token), which is what
    /// <c>rfc3161Timestamps[].signedTimestamp</c> holds for sigstore-go and sigstore-js.
    /// </summary>
    /// <exception cref="ServiceClientException">The authority failed, or its reply does not answer this request.</exception>
    public async Task<byte[]> TimestampAsync(ReadOnlyMemory<byte> signature, CancellationToken cancellationToken = default)
    {
        var nonce = RandomNumberGenerator.GetBytes(16);
        nonce[0] &= 0x7F; // a positive INTEGER, so the authority echoes it byte for byte
        nonce[0] |= 0x01;
        var request = Rfc3161TimestampRequest.CreateFromData(signature.Span, HashAlgorithmName.SHA256, requestedPolicyId: null, nonce: nonce, requestSignerCertificates: true);
        using var message = new HttpRequestMessage(HttpMethod.Post, Url) { Content = new ByteArrayContent(request.Encode()) };
        message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/timestamp-query");
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/timestamp-reply"));
        byte[] reply;
        try
        {
            using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            if (response.Content.Headers.ContentLength > MaxResponseBytes)
            {
                throw new ServiceClientException($"POST {Url}: reply larger than {MaxResponseBytes} bytes", (int)response.StatusCode);
            }
            reply = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                throw ServiceClientException.ForStatus(HttpMethod.Post, Url, response.StatusCode, reply, "a timestamp authority", Url);
            }
        }
        catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw ServiceClientException.ForTransport(HttpMethod.Post, Url, e, "a timestamp authority", Url);
        }
        Check(request, reply, signature.Span, nonce);
        return reply;
    }

    /// <summary>The bundle form of a reply from <see cref="TimestampAsync"/>.</summary>
    public static Rfc3161SignedTimestamp ToSignedTimestamp(byte[] reply) => new() { SignedTimestamp = reply };

    /// <summary>
    /// Checks that <paramref name="reply"/> answers <paramref name="request"/>: one DER TimeStampResp, status granted
    /// (or granted with modifications), the nonce echoed, the imprint = SHA-256(<paramref name="signature"/>), the
    /// signer's certificate included (certReq) and the token's signature valid with it.
    /// </summary>
    internal static void Check(Rfc3161TimestampRequest request, byte[] reply, ReadOnlySpan<byte> signature, byte[] nonce)
    {
        Rfc3161TimestampToken token;
        try
        {
            // The BCL checks status, nonce, imprint, policy and certReq against the request.
            token = request.ProcessResponse(reply, out var consumed);
            if (consumed != reply.Length)
            {
                throw new ServiceClientException($"timestamp reply has {reply.Length - consumed} bytes after the TimeStampResp");
            }
        }
        catch (CryptographicException e)
        {
            throw new ServiceClientException($"timestamp reply rejected: {e.Message}", 0, e);
        }
        var info = token.TokenInfo;
        if (info.GetNonce() is not { } echoed || !echoed.Span.SequenceEqual(nonce))
        {
            throw new ServiceClientException("timestamp reply does not echo the request's nonce");
        }
        if (!info.GetMessageHash().Span.SequenceEqual(SHA256.HashData(signature)) || info.HashAlgorithmId.Value != "2.16.840.1.101.3.4.2.1")
        {
            throw new ServiceClientException("timestamp reply's message imprint is not SHA-256 of the signature");
        }
        if (!token.VerifySignatureForData(signature, out var signer) || signer is null)
        {
            throw new ServiceClientException("timestamp token's signature does not verify with the certificate it carries");
        }
        signer.Dispose();
    }
}
