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
    /// <summary>An Ed25519 (OKP) key from the JWKS; Microsoft.IdentityModel does not handle these.</summary>
    internal sealed record Ed25519Key(string? KeyId, byte[] PublicKey);

    /// <summary>The issuer's keys.</summary>
    internal sealed record KeySet(IReadOnlyList<SecurityKey> Keys, IReadOnlyList<Ed25519Key> Ed25519Keys)
    {
        public bool Contains(string kid) =>
            Keys.Any(k => string.Equals(k.KeyId, kid, StringComparison.Ordinal)) || Ed25519Keys.Any(k => string.Equals(k.KeyId, kid, StringComparison.Ordinal));
    }

    private readonly OidcIssuerConfig _issuer;
    private readonly OidcVerifierOptions _options;
    private readonly TimeProvider _time;
    private readonly HttpClient? _http;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private KeySet? _keys;
    private DateTimeOffset _fetchedAt;
    private DateTimeOffset _lastAttempt;
    private string? _lastFailure;

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
    public async Task<KeySet> GetKeysAsync(string? kid, CancellationToken cancellationToken)
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
            if (keys is null && _lastFailure is { } failure && now - _lastAttempt < _options.MinimumKeyRefreshInterval)
            {
                // Negative cache: a burst of tokens for an unreachable (e.g. attacker-chosen meta) issuer costs one request.
                throw new OidcVerificationException(OidcErrorReason.KeysUnavailable, $"cannot load keys of {_issuer.IssuerUrl} (cached failure): {failure}");
            }
            _lastAttempt = now;
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
                _lastFailure = ex.Message;
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

    private bool NeedsRefresh(KeySet keys, string? kid, DateTimeOffset now)
    {
        if (now - _lastAttempt < _options.MinimumKeyRefreshInterval)
        {
            return false; // rate limit, also after a failed refresh (stale keys keep serving)
        }
        return now - _fetchedAt >= _options.KeyCacheLifetime || (!string.IsNullOrEmpty(kid) && !keys.Contains(kid));
    }

    private static KeySet ToKeySet(JsonWebKeySet? set, IEnumerable<SecurityKey> signingKeys)
    {
        var ed = new List<Ed25519Key>();
        foreach (var k in set?.Keys ?? [])
        {
            if (k.Kty == "OKP" && k.Crv == "Ed25519" && !string.IsNullOrEmpty(k.X) && (string.IsNullOrEmpty(k.Use) || k.Use == "sig"))
            {
                var pub = Base64UrlEncoder.DecodeBytes(k.X);
                if (pub.Length == PrivateSigstore.Core.Crypto.Ed25519.KeySize)
                {
                    ed.Add(new Ed25519Key(string.IsNullOrEmpty(k.Kid) ? null : k.Kid, pub));
                }
            }
        }
        return new KeySet([.. signingKeys], ed);
    }

    private async Task<KeySet> FetchAsync(CancellationToken cancellationToken)
    {
        if (_http is null)
        {
            var json = await File.ReadAllTextAsync(_issuer.JwksFile!, cancellationToken).ConfigureAwait(false);
            var set = new JsonWebKeySet(json);
            return ToKeySet(set, set.GetSigningKeys());
        }
        var retriever = new HttpDocumentRetriever(_http) { RequireHttps = !_options.AllowHttpDiscovery };
        var address = _issuer.IssuerUrl.TrimEnd('/') + "/.well-known/openid-configuration";
        var config = await OpenIdConnectConfigurationRetriever.GetAsync(address, retriever, cancellationToken).ConfigureAwait(false);
        if (!string.Equals(config.Issuer, _issuer.IssuerUrl, StringComparison.Ordinal))
        {
            // go-oidc: "oidc: issuer did not match the issuer returned by provider".
            throw new InvalidOperationException($"issuer did not match the issuer returned by provider, expected \"{_issuer.IssuerUrl}\" got \"{config.Issuer}\"");
        }
        return ToKeySet(config.JsonWebKeySet, config.SigningKeys);
    }

    /// <summary>The issuer whose keys these are.</summary>
    internal string IssuerUrl => _issuer.IssuerUrl;

    /// <summary>Whether <see cref="Dispose"/> ran (its HTTP client is closed).</summary>
    internal bool IsDisposed { get; private set; }

    private readonly Lock _useGate = new();
    private int _users;
    private bool _retired;

    /// <summary>A verification starts using this source (called by the cache while it holds the source).</summary>
    internal void Acquire()
    {
        lock (_useGate)
        {
            ObjectDisposedException.ThrowIf(_retired, this);
            _users++;
        }
    }

    /// <summary>A verification is done with this source; the last user of a retired source disposes it.</summary>
    internal void Release()
    {
        bool dispose;
        lock (_useGate)
        {
            _users--;
            dispose = _retired && _users == 0;
        }
        if (dispose) Dispose();
    }

    /// <summary>The cache dropped this source: it is disposed now, or by its last user.</summary>
    internal void Retire()
    {
        bool dispose;
        lock (_useGate)
        {
            if (_retired) return;
            _retired = true;
            dispose = _users == 0;
        }
        if (dispose) Dispose();
    }

    public void Dispose()
    {
        IsDisposed = true;
        _http?.Dispose();
        _lock.Dispose();
    }
}
