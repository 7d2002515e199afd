using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Ct;
using PrivateSigstore.Fulcio.Issuance;

namespace PrivateSigstore.Fulcio.Ct;

/// <summary>
/// A typed RFC 6962 client for submitting chains to a CT log (what Fulcio's ct-go client does): add-pre-chain for
/// embedded SCTs, add-chain for detached ones. When the log's public key is given, every returned SCT is checked
/// (log ID and signature) before it is handed out.
/// </summary>
public sealed class CtLogClient : ICertificateTransparencyLog, IDisposable
{
    /// <summary>Largest response read from the log (an add-chain answer is a few hundred bytes).</summary>
    public const int MaxResponseBytes = 64 * 1024;

    private readonly HttpClient _http;
    private readonly string _base;
    private readonly ECDsa? _logKey;
    private readonly byte[]? _logId;
    private IssuerKey? _lastIssuer;

    /// <summary>Creates the client.</summary>
    /// <param name="http">The HTTP client (its timeout applies; Fulcio uses 30 s).</param>
    /// <param name="logUrl">The log's base URL, prefix included, e.g. <c>http://localhost:6962/test</c>.</param>
    /// <param name="logPublicKeySpki">The log's public key (DER SubjectPublicKeyInfo, ECDSA); null skips SCT verification.</param>
    public CtLogClient(HttpClient http, Uri logUrl, byte[]? logPublicKeySpki = null)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(logUrl);
        _http = http;
        _base = logUrl.AbsoluteUri.TrimEnd('/');
        if (logPublicKeySpki is not null)
        {
            _logKey = ECDsa.Create();
            _logKey.ImportSubjectPublicKeyInfo(logPublicKeySpki, out var read);
            if (read != logPublicKeySpki.Length) throw new ArgumentException("the CT log public key has trailing bytes", nameof(logPublicKeySpki));
            _logId = SctVerification.LogId(logPublicKeySpki);
        }
    }

    /// <summary>Submits a precertificate chain (precertificate, its issuer, …, root) and returns the SCT for the precert entry.</summary>
    /// <exception cref="CtLogClientException">The log refused the chain, failed, or returned an SCT that does not verify.</exception>
    public async Task<SignedCertificateTimestamp> AddPreChainAsync(IReadOnlyList<byte[]> chainDer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chainDer);
        if (chainDer.Count < 2) throw new ArgumentException("a precertificate chain needs the precertificate and its issuer", nameof(chainDer));
        var sct = await SubmitAsync("add-pre-chain", chainDer, cancellationToken).ConfigureAwait(false);
        if (_logKey is not null)
        {
            byte[] tbs;
            byte[] issuerSpki;
            try
            {
                tbs = Precertificate.GetTbsWithoutPoison(chainDer[0]);
                issuerSpki = IssuerSpki(chainDer[1]);
            }
            catch (Exception ex) when (ex is WireFormatException or CryptographicException)
            {
                throw new ArgumentException($"the chain cannot be read: {ex.Message}", nameof(chainDer), ex);
            }
            if (!SctVerification.VerifyPrecert(tbs, issuerSpki, sct, _logKey)) throw new CtLogClientException("the CT log's SCT signature does not verify with the configured CT log key", HttpStatusCode.OK);
        }
        return sct;
    }

    /// <summary>Submits a final certificate chain (certificate, …, root) and returns the SCT for the x509 entry.</summary>
    /// <exception cref="CtLogClientException">The log refused the chain, failed, or returned an SCT that does not verify.</exception>
    public async Task<SignedCertificateTimestamp> AddChainAsync(IReadOnlyList<byte[]> chainDer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(chainDer);
        if (chainDer.Count < 1) throw new ArgumentException("the chain is empty", nameof(chainDer));
        var sct = await SubmitAsync("add-chain", chainDer, cancellationToken).ConfigureAwait(false);
        if (_logKey is not null && !SctVerification.VerifyX509(chainDer[0], sct, _logKey))
        {
            throw new CtLogClientException("the CT log's SCT signature does not verify with the configured CT log key", HttpStatusCode.OK);
        }
        return sct;
    }

    // The CA submits the same issuing certificate (the same array) every time: parse it once.
    private byte[] IssuerSpki(byte[] issuerDer)
    {
        var cached = _lastIssuer;
        if (cached is not null && ReferenceEquals(cached.Der, issuerDer))
        {
            return cached.Spki;
        }

        using var issuer = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(issuerDer);
        var spki = issuer.PublicKey.ExportSubjectPublicKeyInfo();
        _lastIssuer = new IssuerKey(issuerDer, spki);
        return spki;
    }

    // One reference, so that concurrent readers never see a torn pair.
    private sealed record IssuerKey(byte[] Der, byte[] Spki);

    private async Task<SignedCertificateTimestamp> SubmitAsync(string operation, IReadOnlyList<byte[]> chainDer, CancellationToken ct)
    {
        using var body = new MemoryStream();
        using (var w = new Utf8JsonWriter(body))
        {
            w.WriteStartObject();
            w.WriteStartArray("chain");
            foreach (var cert in chainDer) w.WriteBase64StringValue(cert);
            w.WriteEndArray();
            w.WriteEndObject();
        }
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{_base}/ct/v1/{operation}") { Content = new ByteArrayContent(body.ToArray()) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new CtLogClientException($"CT log {operation} failed: {ex.Message}", null, ex);
        }
        catch (TaskCanceledException ex) when (!ct.IsCancellationRequested)
        {
            throw new CtLogClientException($"CT log {operation} timed out", null, ex);
        }
        using (response)
        {
            var bytes = await ReadBoundedAsync(response, ct).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                var text = System.Text.Encoding.UTF8.GetString(bytes).Trim();
                throw new CtLogClientException($"CT log {operation} answered {(int)response.StatusCode}: {(text.Length > 500 ? text[..500] : text)}", response.StatusCode);
            }
            SignedCertificateTimestamp sct;
            try
            {
                sct = AddChainResponse.Parse(bytes);
            }
            catch (WireFormatException ex)
            {
                throw new CtLogClientException($"CT log {operation} answered with a malformed SCT: {ex.Reason}", response.StatusCode);
            }

            if (_logId is not null && !sct.LogId.AsSpan().SequenceEqual(_logId)) throw new CtLogClientException("the SCT's log ID is not the configured CT log key's", response.StatusCode);
            return sct;
        }
    }

    private static async Task<byte[]> ReadBoundedAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var buffer = new byte[MaxResponseBytes + 1];
            var total = 0;
            int read;
            while (total < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(total), ct).ConfigureAwait(false)) > 0) total += read;
            if (total > MaxResponseBytes) throw new CtLogClientException($"the CT log's answer exceeds {MaxResponseBytes} bytes", response.StatusCode);
            return buffer[..total];
        }
    }

    /// <inheritdoc />
    public void Dispose() => _logKey?.Dispose();
}
