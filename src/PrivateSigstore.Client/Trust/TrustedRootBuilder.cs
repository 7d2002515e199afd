using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Client.Rekor;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Core.Trust;
using PrivateSigstore.Core.Json;

namespace PrivateSigstore.Client.Trust;

/// <summary>
/// Builds a <c>trusted_root.json</c> from a running stack: the Rekor log's public key (<c>GET /api/v1/log/publicKey</c>),
/// the CA chain from Fulcio (<c>GET /api/v2/trustBundle</c>), and CT log keys given by the operator (the CT log's key
/// is configuration, not something Fulcio serves). Fetching over the network is trust on first use: compare the
/// result with the keys from your key ceremony before distributing it.
/// </summary>
public static class TrustedRootBuilder
{
    /// <summary>Fetches the keys and chain and returns the trusted root; every entry is valid from <paramref name="validFrom"/>.</summary>
    public static async Task<TrustedRoot> FromServicesAsync(HttpClient http, Uri rekorUrl, Uri? fulcioUrl, IReadOnlyList<byte[]> ctLogKeys, DateTimeOffset validFrom, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(rekorUrl);
        ArgumentNullException.ThrowIfNull(ctLogKeys);
        var rekorKey = GoPem.DecodePublicKey(await new RekorClient(http, rekorUrl).GetPublicKeyAsync(cancellationToken).ConfigureAwait(false));
        var authorities = new List<TrustedAuthority>();
        var ctLogs = ctLogKeys.Select(k => new TrustedLog("", k, validFrom)).ToList();
        if (fulcioUrl is not null)
        {
            var chain = await FetchChainAsync(http, fulcioUrl, cancellationToken).ConfigureAwait(false);
            authorities.Add(new TrustedAuthority(fulcioUrl.AbsoluteUri.TrimEnd('/'), chain, validFrom));
            if (ctLogs.Count == 0 && await FetchCtLogAsync(http, fulcioUrl, validFrom, cancellationToken).ConfigureAwait(false) is { } published)
            {
                // No CT key given: take the one a PrivateSigstore CA publishes (trust on first use, like every key here).
                ctLogs.Add(published);
            }
        }
        // Core's TrustMaterialBuilder writes the entries (key details, log IDs) exactly as the Stack does.
        return TrustMaterialBuilder.TrustedRoot(authorities,
            [new TrustedLog(rekorUrl.AbsoluteUri.TrimEnd('/'), rekorKey, validFrom)],
            ctLogs);
    }

    // GET {fulcio}/api/v2/ctLogPublicKey (PrivateSigstore CAs only): null when the CA does not publish one.
    private static async Task<TrustedLog?> FetchCtLogAsync(HttpClient http, Uri fulcioUrl, DateTimeOffset validFrom, CancellationToken cancellationToken)
    {
        var url = new Uri(fulcioUrl.AbsoluteUri.TrimEnd('/') + "/api/v2/ctLogPublicKey");
        using var response = await http.GetAsync(url, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }

        try
        {
            var json = StrictJson.Parse(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false))!;
            return new TrustedLog(json["url"]?.GetValue<string>() ?? "", GoPem.DecodePublicKey(json["publicKey"]!.GetValue<string>()), validFrom);
        }
        catch (Exception e) when (e is JsonException or NullReferenceException or InvalidOperationException or WireFormatException)
        {
            throw new ServiceClientException($"GET {url}: malformed CT log key: {e.Message}", 0, e);
        }
    }

    private static async Task<List<byte[]>> FetchChainAsync(HttpClient http, Uri fulcioUrl, CancellationToken cancellationToken)
    {
        var url = new Uri(fulcioUrl.AbsoluteUri.TrimEnd('/') + "/api/v2/trustBundle");
        using var response = await http.GetAsync(url, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new ServiceClientException($"GET {url}: HTTP {(int)response.StatusCode}: {text}", (int)response.StatusCode);
        }
        try
        {
            // {"chains":[{"certificates":["<issuing CA PEM>", …, "<root PEM>"]}]}: intermediates first, root last, as trusted_root wants.
            var certificates = StrictJson.Parse(text)!["chains"]![0]!["certificates"]!.AsArray();
            return [.. certificates.Select(p => GoPem.DecodeCertificates(p!.GetValue<string>(), 1)[0])];
        }
        catch (Exception e) when (e is JsonException or NullReferenceException or InvalidOperationException or WireFormatException or ArgumentOutOfRangeException)
        {
            throw new ServiceClientException($"GET {url}: malformed trust bundle: {e.Message}", 0, e);
        }
    }
}
