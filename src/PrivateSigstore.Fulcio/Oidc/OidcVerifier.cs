using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using PrivateSigstore.Fulcio.Config;

namespace PrivateSigstore.Fulcio.Oidc;

/// <summary>
/// Verifies OIDC identity tokens like Fulcio (go-oidc): bounded size, issuer chosen by the unverified <c>iss</c>, keys from
/// discovery + JWKS (or a static JWKS file), exact <c>iss</c>, <c>aud</c> containing the client ID, <c>exp</c> without leeway,
/// <c>nbf</c>/<c>iat</c> with a small leeway, an algorithm allow-list, then the issuer's <c>AllowedClaims</c>.
/// </summary>
public sealed class OidcVerifier : IDisposable
{
    private readonly FulcioConfig _config;
    private readonly OidcVerifierOptions _options;
    private readonly TimeProvider _time;
    private readonly JsonWebTokenHandler _handler = new();
    // Issuer key sources, least recently used first; bounded by MaxCachedIssuers, evicted sources are disposed.
    private readonly Lock _sourcesGate = new();
    private readonly Dictionary<string, LinkedListNode<IssuerKeySource>> _sources = new(StringComparer.Ordinal);
    private readonly LinkedList<IssuerKeySource> _sourceOrder = new();
    private bool _disposed;
    private readonly ConcurrentDictionary<string, Regex> _globs = new(StringComparer.Ordinal);

    /// <summary>Creates the verifier.</summary>
    public OidcVerifier(FulcioConfig config, OidcVerifierOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        _options = options ?? new OidcVerifierOptions();
        _time = timeProvider ?? TimeProvider.System;
        foreach (var alg in _options.AllowedAlgorithms)
        {
            if (!IsSupportedAlgorithm(alg))
            {
                throw new ArgumentException($"algorithm {alg} is not supported (allowed: EdDSA, RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384, ES512)", nameof(options));
            }
        }
    }

    private static bool IsSupportedAlgorithm(string alg) =>
        alg is "EdDSA" or "RS256" or "RS384" or "RS512" or "PS256" or "PS384" or "PS512" or "ES256" or "ES384" or "ES512";

    /// <summary>Verifies <paramref name="rawToken"/>; throws <see cref="OidcVerificationException"/> on any failure.</summary>
    public async Task<VerifiedToken> VerifyAsync(string rawToken, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(rawToken))
        {
            throw new OidcVerificationException(OidcErrorReason.MalformedToken, "empty token");
        }
        if (rawToken.Length > _options.MaxTokenBytes || Encoding.UTF8.GetByteCount(rawToken) > _options.MaxTokenBytes)
        {
            throw new OidcVerificationException(OidcErrorReason.TokenTooLarge, $"token too large: more than {_options.MaxTokenBytes} bytes");
        }

        JsonWebToken unverified;
        try
        {
            unverified = _handler.ReadJsonWebToken(rawToken);
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenException or JsonException or FormatException)
        {
            throw new OidcVerificationException(OidcErrorReason.MalformedToken, "malformed jwt: " + ex.Message, ex);
        }
        if (rawToken.Split('.').Length != 3)
        {
            throw new OidcVerificationException(OidcErrorReason.MalformedToken, "malformed jwt: expected a compact JWS");
        }

        var alg = unverified.Alg;
        if (string.IsNullOrEmpty(alg) || !_options.AllowedAlgorithms.Contains(alg, StringComparer.Ordinal))
        {
            throw new OidcVerificationException(OidcErrorReason.UnsupportedAlgorithm, $"unsupported signing algorithm \"{alg}\"");
        }

        string iss;
        try
        {
            iss = unverified.Issuer;
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenException or JsonException)
        {
            throw new OidcVerificationException(OidcErrorReason.MalformedToken, "malformed iss claim", ex);
        }
        var issuer = string.IsNullOrEmpty(iss) ? null : _config.GetIssuer(iss);
        if (issuer is null)
        {
            // Upstream: "unsupported issuer" / "could not get verifier for issuer" → invalid credentials.
            throw new OidcVerificationException(OidcErrorReason.UnknownIssuer, $"unsupported issuer \"{iss}\"");
        }

        var source = RentSource(issuer);
        IssuerKeySource.KeySet keys;
        try
        {
            keys = await source.GetKeysAsync(unverified.Kid, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            source.Release();
        }
        if (alg == "EdDSA")
        {
            VerifyEd25519(rawToken, unverified, keys, issuer);
        }
        else
        {
            await VerifyWithIdentityModelAsync(rawToken, unverified.Kid, keys, issuer).ConfigureAwait(false);
        }

        var claims = ParsePayload(unverified);
        CheckTimes(claims, out var expires);
        CheckAllowedClaims(issuer, claims);

        return new VerifiedToken
        {
            Issuer = issuer,
            Claims = claims,
            Subject = claims.TryGetProperty("sub", out var sub) && sub.ValueKind == JsonValueKind.String ? sub.GetString()! : "",
            Email = claims.TryGetProperty("email", out var email) && email.ValueKind == JsonValueKind.String ? email.GetString() : null,
            EmailVerified = claims.TryGetProperty("email_verified", out var ev)
                && (ev.ValueKind == JsonValueKind.True || (ev.ValueKind == JsonValueKind.String && ev.GetString() == "true")),
            Expires = expires,
            RawToken = rawToken,
        };
    }

    private async Task VerifyWithIdentityModelAsync(string rawToken, string? kid, IssuerKeySource.KeySet keys, OidcIssuerConfig issuer)
    {
        // go-oidc (verify.go, keysFromCache): a token that names a kid is checked only with the JWKS keys of that kid, after
        // the one rate-limited refresh GetKeysAsync made; a kid that names no key is refused even if another key would verify.
        var candidates = string.IsNullOrEmpty(kid)
            ? keys.Keys
            : [.. keys.Keys.Where(k => string.Equals(k.KeyId, kid, StringComparison.Ordinal))];
        if (candidates.Count == 0)
        {
            throw new OidcVerificationException(OidcErrorReason.UnknownKey, "no key in the issuer's JWKS matches the token's kid");
        }
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = issuer.IssuerUrl,
            ValidateIssuer = true,
            ValidAudience = issuer.ClientId,
            ValidateAudience = true,
            ValidateLifetime = false, // checked below with TimeProvider: exp without leeway
            RequireExpirationTime = false,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = false,
            IssuerSigningKeys = candidates,
            TryAllIssuerSigningKeys = true,
            ValidAlgorithms = _options.AllowedAlgorithms,
        };
        var result = await _handler.ValidateTokenAsync(rawToken, parameters).ConfigureAwait(false);
        if (!result.IsValid)
        {
            throw Map(result.Exception);
        }
    }

    /// <summary>EdDSA (Ed25519, RFC 8037) with PrivateSigstore.Core's strict RFC 8032 verifier, then <c>iss</c> and <c>aud</c>.</summary>
    private static void VerifyEd25519(string rawToken, JsonWebToken token, IssuerKeySource.KeySet keys, OidcIssuerConfig issuer)
    {
        var candidates = string.IsNullOrEmpty(token.Kid)
            ? keys.Ed25519Keys
            : [.. keys.Ed25519Keys.Where(k => string.Equals(k.KeyId, token.Kid, StringComparison.Ordinal))];
        if (candidates.Count == 0)
        {
            throw new OidcVerificationException(OidcErrorReason.UnknownKey, "no Ed25519 key matches the token's kid");
        }
        var lastDot = rawToken.LastIndexOf('.');
        byte[] signature;
        try
        {
            signature = Base64UrlEncoder.DecodeBytes(rawToken[(lastDot + 1)..]);
        }
        catch (FormatException ex)
        {
            throw new OidcVerificationException(OidcErrorReason.MalformedToken, "malformed signature", ex);
        }
        var signingInput = Encoding.ASCII.GetBytes(rawToken[..lastDot]);
        if (signature.Length != PrivateSigstore.Core.Crypto.Ed25519.SignatureSize
            || !candidates.Any(k => PrivateSigstore.Core.Crypto.Ed25519.Verify(k.PublicKey, signingInput, signature)))
        {
            throw new OidcVerificationException(OidcErrorReason.InvalidSignature, "failed to verify signature");
        }
        if (!string.Equals(token.Issuer, issuer.IssuerUrl, StringComparison.Ordinal))
        {
            throw new OidcVerificationException(OidcErrorReason.WrongIssuer, "id token issued by a different provider");
        }
        if (!token.Audiences.Contains(issuer.ClientId, StringComparer.Ordinal))
        {
            throw new OidcVerificationException(OidcErrorReason.WrongAudience, "expected audience not in the token's audience");
        }
    }

    /// <summary>How many issuers' key sources are cached.</summary>
    internal int CachedIssuerCount
    {
        get
        {
            lock (_sourcesGate) return _sources.Count;
        }
    }

    /// <summary>The cached key source of <paramref name="issuer"/> (not held: tests).</summary>
    internal IssuerKeySource GetSource(OidcIssuerConfig issuer)
    {
        var source = RentSource(issuer);
        source.Release();
        return source;
    }

    /// <summary>
    /// The key source of <paramref name="issuer"/>, held until <see cref="IssuerKeySource.Release"/>: a bounded LRU like
    /// upstream's (meta issuers are the only unbounded source of entries); the least recently used source is evicted and
    /// disposed (its HTTP client with it) once no verification holds it.
    /// </summary>
    internal IssuerKeySource RentSource(OidcIssuerConfig issuer)
    {
        IssuerKeySource? evicted = null;
        IssuerKeySource source;
        lock (_sourcesGate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_sources.TryGetValue(issuer.IssuerUrl, out var node))
            {
                _sourceOrder.Remove(node);
                _sourceOrder.AddLast(node);
            }
            else
            {
                if (_sources.Count >= Math.Max(1, _options.MaxCachedIssuers))
                {
                    var oldest = _sourceOrder.First!;
                    _sourceOrder.RemoveFirst();
                    _sources.Remove(oldest.Value.IssuerUrl);
                    evicted = oldest.Value;
                }
                node = _sourceOrder.AddLast(new IssuerKeySource(issuer, _options, _time));
                _sources.Add(issuer.IssuerUrl, node);
            }
            source = node.Value;
            source.Acquire();
        }
        evicted?.Retire();
        return source;
    }

    private static OidcVerificationException Map(Exception? ex) => ex switch
    {
        SecurityTokenInvalidIssuerException => new(OidcErrorReason.WrongIssuer, "id token issued by a different provider", ex),
        SecurityTokenInvalidAudienceException => new(OidcErrorReason.WrongAudience, "expected audience not in the token's audience", ex),
        SecurityTokenSignatureKeyNotFoundException => new(OidcErrorReason.UnknownKey, "no key matches the token's kid", ex),
        SecurityTokenInvalidAlgorithmException => new(OidcErrorReason.UnsupportedAlgorithm, "algorithm not allowed", ex),
        SecurityTokenMalformedException => new(OidcErrorReason.MalformedToken, "malformed jwt", ex),
        _ => new(OidcErrorReason.InvalidSignature, "failed to verify signature: " + ex?.Message, ex),
    };

    private static JsonElement ParsePayload(JsonWebToken token)
    {
        try
        {
            var json = Base64UrlEncoder.DecodeBytes(token.EncodedPayload);
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new OidcVerificationException(OidcErrorReason.MalformedToken, "payload is not a JSON object");
            }
            return doc.RootElement.Clone();
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            throw new OidcVerificationException(OidcErrorReason.MalformedToken, "malformed payload", ex);
        }
    }

    private void CheckTimes(JsonElement claims, out DateTimeOffset expires)
    {
        var now = _time.GetUtcNow();
        if (!TryGetTime(claims, "exp", out expires))
        {
            throw new OidcVerificationException(OidcErrorReason.MissingExpiry, "token has no exp claim");
        }
        if (now > expires)
        {
            // go-oidc: now.After(expiry), no leeway.
            throw new OidcVerificationException(OidcErrorReason.Expired, $"token is expired (Token Expiry: {expires:O})");
        }
        if (TryGetTime(claims, "nbf", out var nbf) && nbf > now + _options.NotBeforeLeeway)
        {
            throw new OidcVerificationException(OidcErrorReason.NotYetValid, $"current time {now:O} before the nbf (not before) time: {nbf:O}");
        }
        if (TryGetTime(claims, "iat", out var iat) && iat > now + _options.NotBeforeLeeway)
        {
            throw new OidcVerificationException(OidcErrorReason.IssuedInFuture, $"token issued in the future: {iat:O}");
        }
    }

    private static bool TryGetTime(JsonElement claims, string name, out DateTimeOffset value)
    {
        value = default;
        if (!claims.TryGetProperty(name, out var e))
        {
            return false;
        }
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetDouble(out var seconds) || double.IsNaN(seconds)
            || seconds < -62135596800d || seconds > 253402300799d)
        {
            throw new OidcVerificationException(OidcErrorReason.MalformedToken, $"claim {name} is not a NumericDate");
        }
        value = DateTimeOffset.FromUnixTimeMilliseconds((long)(seconds * 1000));
        return true;
    }

    private void CheckAllowedClaims(OidcIssuerConfig issuer, JsonElement claims)
    {
        foreach (var (name, patterns) in issuer.AllowedClaims)
        {
            var values = claims.TryGetProperty(name, out var claim) ? ClaimValues(claim) : [];
            if (!values.Any(v => patterns.Any(p => Glob(p).IsMatch(v))))
            {
                throw new OidcVerificationException(OidcErrorReason.ClaimNotAllowed, $"claim \"{name}\" is not allowed for issuer {issuer.IssuerUrl}");
            }
        }
    }

    private static List<string> ClaimValues(JsonElement claim) => claim.ValueKind switch
    {
        JsonValueKind.String => [claim.GetString()!],
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => [claim.GetRawText()],
        JsonValueKind.Array => [.. claim.EnumerateArray().Where(e => e.ValueKind is not (JsonValueKind.Array or JsonValueKind.Object)).SelectMany(ClaimValues)],
        _ => [],
    };

    /// <summary>Glob: <c>*</c> any run of characters, <c>?</c> one character, anchored at both ends (\z: a final newline is not the end), ordinal, linear time.</summary>
    private Regex Glob(string pattern) => _globs.GetOrAdd(pattern, p => new Regex(
        "^" + Regex.Escape(p).Replace(@"\*", ".*", StringComparison.Ordinal).Replace(@"\?", ".", StringComparison.Ordinal) + @"\z",
        RegexOptions.CultureInvariant | RegexOptions.Singleline | RegexOptions.NonBacktracking));

    /// <inheritdoc />
    public void Dispose()
    {
        List<IssuerKeySource> sources;
        lock (_sourcesGate)
        {
            _disposed = true;
            sources = [.. _sourceOrder];
            _sourceOrder.Clear();
            _sources.Clear();
        }
        foreach (var source in sources)
        {
            source.Retire();
        }
    }
}
