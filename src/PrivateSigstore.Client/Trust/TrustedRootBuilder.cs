using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Client.Rekor;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Core.Trust;

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
        var start = new TimeRange { Start = ProtoTimestamp.FromDateTimeOffset(validFrom) };
        var rekorKey = GoPem.DecodePublicKey(await new RekorClient(http, rekorUrl).GetPublicKeyAsync(cancellationToken).ConfigureAwait(false));
        var authorities = new List<CertificateAuthority>();
        if (fulcioUrl is not null)
        {
            authorities.Add(new CertificateAuthority
            {
                Uri = fulcioUrl.AbsoluteUri.TrimEnd('/'),
                CertChain = new X509CertificateChain { Certificates = [.. (await FetchChainAsync(http, fulcioUrl, cancellationToken).ConfigureAwait(false)).Select(d => new DerCertificate { RawBytes = d })] },
                ValidFor = start,
            });
        }
        return new TrustedRoot
        {
            MediaType = TrustedRootMediaType.V0_1,
            Tlogs = [Log(rekorUrl.AbsoluteUri.TrimEnd('/'), rekorKey, start)],
            CertificateAuthorities = authorities,
            Ctlogs = [.. ctLogKeys.Select(k => Log("", k, start))],
        };
    }

    private static TransparencyLogInstance Log(string baseUrl, byte[] spki, TimeRange validFor) => new()
    {
        BaseUrl = baseUrl,
        HashAlgorithm = Core.Bundle.HashAlgorithm.Sha2_256,
        PublicKey = new PublicKeyMaterial { RawBytes = spki, KeyDetails = KeyDetails(spki), ValidFor = validFor },
        LogId = new LogId { KeyId = SHA256.HashData(spki) },
    };

    private static PublicKeyDetails KeyDetails(byte[] spki)
    {
        if (PublicKeyInfo.Validate(spki) != PublicKeyInfo.EcPublicKeyOid)
        {
            return PublicKeyInfo.Validate(spki) == PublicKeyInfo.Ed25519Oid ? PublicKeyDetails.PkixEd25519 : PublicKeyDetails.PkixRsaPkcs1v15_2048_Sha256;
        }
        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(spki, out _);
        return key.KeySize switch
        {
            384 => PublicKeyDetails.PkixEcdsaP384Sha384,
            521 => PublicKeyDetails.PkixEcdsaP521Sha512,
            _ => PublicKeyDetails.PkixEcdsaP256Sha256,
        };
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
            var certificates = JsonNode.Parse(text)!["chains"]![0]!["certificates"]!.AsArray();
            return [.. certificates.Select(p => GoPem.DecodeCertificates(p!.GetValue<string>(), 1)[0])];
        }
        catch (Exception e) when (e is JsonException or NullReferenceException or InvalidOperationException or WireFormatException or ArgumentOutOfRangeException)
        {
            throw new ServiceClientException($"GET {url}: malformed trust bundle: {e.Message}", 0, e);
        }
    }
}
