using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using PrivateSigstore.Fulcio.Config;

namespace PrivateSigstore.Fulcio.Oidc;

/// <summary>Signing keys of one issuer: discovery + JWKS over HTTPS, or a static JWKS file; cached, refreshed on unknown kid.</summary>
internal sealed class IssuerKeySource : IDisposable
{
    private readonly OidcIssuerConfig _issuer;
    private readonly OidcVerifierOptions _options;
    private readonly TimeProvider _time;
    private readonly HttpClient? _http;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private IReadOnlyList<SecurityKey>? _keys;
    private DateTimeOffset _fetchedAt;

    public IssuerKeySource(OidcIssuerConfig issuer, OidcVerifierOptions options, TimeProvider time)
    {
        _issuer = issuer;
        _options = options;
        _time = time;
        if (string.IsNullOrEmpty(issuer.JwksFile))
        {
            _http = new HttpClient(CreateHandler(issuer, options)) { Timeout = options.DiscoveryTimeout };
        }
    }

    private static SocketsHttpHandler CreateHandler(OidcIssuerConfig issuer, OidcVerifierOptions options)
    {
        // Upstream blocks cross-host redirects; we follow none.
        var handler = new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = options.DiscoveryTimeout };
        var trusted = new X509Certificate2Collection();
        if (!string.IsNullOrEmpty(issuer.CACert))
        {
            trusted.AddRange(FulcioConfig.ParsePem(issuer.CACert));
        }
        if (!string.IsNullOrEmpty(issuer.CaCertificateFile))
        {
            trusted.AddRange(FulcioConfig.ParsePem(File.ReadAllText(issuer.CaCertificateFile)));
        }
        if (trusted.Count > 0)
        {
            // Like upstream (system pool plus the custom CA): system trust, else a chain to one of the configured roots.
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                if (errors == SslPolicyErrors.None)
                {
                    return true;
                }
                if (errors != SslPolicyErrors.RemoteCertificateChainErrors || certificate is null)
                {
                    return false;
                }
                using var custom = new X509Chain();
                custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                custom.ChainPolicy.CustomTrustStore.AddRange(trusted);
                if (chain is not null)
                {
                    foreach (var element in chain.ChainElements)
                    {
                        custom.ChainPolicy.ExtraStore.Add(element.Certificate);
                    }
                }
                using var leaf = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
                return custom.Build(leaf);
            };
        }
        return handler;
    }

    /// <summary>The keys; refreshed when <paramref name="kid"/> is unknown (rate-limited) or the cache is stale.</summary>
    public async Task<IReadOnlyList<SecurityKey>> GetKeysAsync(string? kid, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var keys = Volatile.Read(ref _keys);
        if (keys is not null && !NeedsRefresh(keys, kid, now))
        {
            return keys;
        }
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            keys = _keys;
            if (keys is not null && !NeedsRefresh(keys, kid, now))
            {
                return keys;
            }
            try
            {
                keys = await FetchAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                if (_keys is not null)
                {
                    return _keys; // keep serving the last good keys
                }
                throw new OidcVerificationException(OidcErrorReason.KeysUnavailable, $"cannot load keys of {_issuer.IssuerUrl}: {ex.Message}", ex);
            }
            _fetchedAt = now;
            Volatile.Write(ref _keys, keys);
            return keys;
        }
        finally
        {
            _lock.Release();
        }
    }

    private bool NeedsRefresh(IReadOnlyList<SecurityKey> keys, string? kid, DateTimeOffset now)
    {
        var age = now - _fetchedAt;
        if (age >= _options.KeyCacheLifetime)
        {
            return true;
        }
        var unknownKid = !string.IsNullOrEmpty(kid) && !keys.Any(k => string.Equals(k.KeyId, kid, StringComparison.Ordinal));
        return unknownKid && age >= _options.MinimumKeyRefreshInterval;
    }

    private async Task<IReadOnlyList<SecurityKey>> FetchAsync(CancellationToken cancellationToken)
    {
        if (_http is null)
        {
            var json = await File.ReadAllTextAsync(_issuer.JwksFile!, cancellationToken).ConfigureAwait(false);
            return [.. new JsonWebKeySet(json).GetSigningKeys()];
        }
        var retriever = new HttpDocumentRetriever(_http) { RequireHttps = !_options.AllowHttpDiscovery };
        var address = _issuer.IssuerUrl.TrimEnd('/') + "/.well-known/openid-configuration";
        var config = await OpenIdConnectConfigurationRetriever.GetAsync(address, retriever, cancellationToken).ConfigureAwait(false);
        if (!string.Equals(config.Issuer, _issuer.IssuerUrl, StringComparison.Ordinal))
        {
            // go-oidc: "oidc: issuer did not match the issuer returned by provider".
            throw new InvalidOperationException($"issuer did not match the issuer returned by provider, expected \"{_issuer.IssuerUrl}\" got \"{config.Issuer}\"");
        }
        return [.. config.SigningKeys];
    }

    public void Dispose()
    {
        _http?.Dispose();
        _lock.Dispose();
    }
}
