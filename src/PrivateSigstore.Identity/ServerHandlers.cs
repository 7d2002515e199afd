using System.Security.Cryptography;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;
using static OpenIddict.Server.OpenIddictServerEvents;

namespace PrivateSigstore.Identity;

/// <summary>
/// What the CA needs in the tokens, beyond OpenIddict's defaults: workload ID tokens carry the audience the client
/// vouches for (default <c>sigstore</c>, Fulcio's client ID) as well as the client_id (OpenIddict's default, which
/// sigstore clients check), while people's ID tokens keep aud = the public client's id, <c>sigstore</c>; and ID and
/// access tokens carry <c>nbf</c> = <c>iat</c> (OpenIddict writes no <c>nbf</c>).
/// </summary>
internal sealed class SigstoreTokenClaims : IOpenIddictServerHandler<ProcessSignInContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessSignInContext>()
        .UseSingletonHandler<SigstoreTokenClaims>()
        .SetOrder(OpenIddictServerHandlers.PrepareIdentityTokenPrincipal.Descriptor.Order + 1)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(ProcessSignInContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.IdentityTokenPrincipal is { } id)
        {
            if (context.Principal is { } source && source.GetResources() is { Length: > 0 } resources)
            {
                // sigstore/sigstore's client credentials flow (cosign --fulcio-auth-flow client_credentials) verifies the
                // id_token with go-oidc for aud = the client's own id before sending it to the CA, which wants "sigstore":
                // the ID token names both.
                id.SetAudiences(string.IsNullOrEmpty(context.ClientId) ? resources : resources.Append(context.ClientId).Distinct(StringComparer.Ordinal));
            }
            AddNotBefore(id);
        }
        if (context.AccessTokenPrincipal is { } access)
        {
            AddNotBefore(access);
        }
        return default;
    }

    private static void AddNotBefore(System.Security.Claims.ClaimsPrincipal principal)
    {
        if (principal.GetCreationDate() is { } created)
        {
            principal.SetClaim(Claims.NotBefore, created.ToUnixTimeSeconds());
        }
    }
}

/// <summary>
/// Device-code polls without a client_id are the public client's: sigstore/sigstore's device flow (cosign
/// --fulcio-auth-flow device) omits it, as the public-good Dex accepts. The device code still has to have been issued to
/// that client (OpenIddict checks the presenter), so this only fills in the one public client that may use the flow.
/// </summary>
internal sealed class DeviceCodeClientId(IdentityProviderOptions options) : IOpenIddictServerHandler<ExtractTokenRequestContext>
{
    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ExtractTokenRequestContext>()
        .UseSingletonHandler<DeviceCodeClientId>()
        .SetOrder(int.MaxValue - 100_000)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public ValueTask HandleAsync(ExtractTokenRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Request is { } request && request.IsDeviceCodeGrantType() && string.IsNullOrEmpty(request.ClientId)
            && string.IsNullOrEmpty(request.ClientAssertion) && string.IsNullOrEmpty(request.ClientSecret))
        {
            request.ClientId = options.PublicClientId;
        }
        return default;
    }
}

/// <summary>
/// Writes an audit row (subject, client, time, audience, grant) for every token response of the token endpoint. A token
/// for the Sigstore CA's audience (<c>sigstore</c>) without an <c>email</c> claim gets a warning in its row and in the
/// log, naming the client: a CA that trusts this provider as type <c>email</c> (the stack's does) refuses it with "token
/// missing email claim", and the provider's audit log is where the operator looks first.
/// </summary>
internal sealed partial class TokenAuditing(IdentityStoreContext store, TimeProvider time, IdentityMetrics metrics, ILogger<TokenAuditing> logger) : IOpenIddictServerHandler<ProcessSignInContext>
{
    /// <summary>The audit row's warning for a token to the CA's audience without an email claim.</summary>
    internal const string MissingEmailWarning = "token missing email claim: a CA that trusts this provider as type email refuses it";

    public static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<ProcessSignInContext>()
        .UseScopedHandler<TokenAuditing>()
        .SetOrder(OpenIddictServerHandlers.GenerateIdentityToken.Descriptor.Order + 500)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    public async ValueTask HandleAsync(ProcessSignInContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.EndpointType != OpenIddictServerEndpointType.Token || context.IsRejected)
        {
            return;
        }
        var issued = new List<string>();
        var audiences = new SortedSet<string>(StringComparer.Ordinal);
        if (context.IncludeIdentityToken && context.IdentityTokenPrincipal is { } id)
        {
            issued.Add("id_token");
            audiences.UnionWith(id.GetAudiences());
        }
        if (context.IncludeAccessToken && context.AccessTokenPrincipal is { } access)
        {
            issued.Add("access_token");
            audiences.UnionWith(access.GetAudiences());
        }
        var clientId = context.ClientId ?? "";
        string? warning = null;
        if (audiences.Contains(IdentityProviderOptions.DefaultAudience) && string.IsNullOrEmpty(context.Principal?.GetClaim(Claims.Email)))
        {
            warning = MissingEmailWarning;
            LogMissingEmail(logger, clientId, IdentityProviderOptions.DefaultAudience);
        }
        store.TokenAudit.Add(new TokenAuditRecord
        {
            IssuedAt = time.GetUtcNow(),
            Subject = context.Principal?.GetClaim(Claims.Subject) ?? "",
            ClientId = clientId,
            Audience = string.Join(' ', audiences),
            GrantType = context.Request?.GrantType ?? "",
            TokenTypes = string.Join(' ', issued),
            Warning = warning,
        });
        await store.SaveChangesAsync(context.CancellationToken).ConfigureAwait(false);
        metrics.TokenIssued(context.Request?.GrantType ?? "");
    }

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Issued a token without an email claim to client {ClientId} for audience {Audience}: a CA that trusts this provider as type email refuses it with \"token missing email claim\"; give the client an email (clients add CLIENT_ID --email ADDRESS --email-verified)")]
    private static partial void LogMissingEmail(ILogger logger, string clientId, string audience);
}

/// <summary>Former signing keys kept in the JWKS until <see cref="RetiredKeyOptions.PublishUntil"/> (key rotation).</summary>
public sealed class RetiredKeys(IReadOnlyList<(JsonWebKey Key, DateTimeOffset? Until)> keys, TimeProvider time) : IOpenIddictServerHandler<HandleJsonWebKeySetRequestContext>
{
    internal static OpenIddictServerHandlerDescriptor Descriptor { get; } = OpenIddictServerHandlerDescriptor.CreateBuilder<HandleJsonWebKeySetRequestContext>()
        .UseSingletonHandler<RetiredKeys>()
        .SetOrder(OpenIddictServerHandlers.Discovery.AttachSigningKeys.Descriptor.Order + 1)
        .SetType(OpenIddictServerHandlerType.Custom)
        .Build();

    /// <summary>Reads the configured public keys (PEM) as JWKs; throws naming an unreadable file.</summary>
    public static IReadOnlyList<(JsonWebKey Key, DateTimeOffset? Until)> Load(IEnumerable<RetiredKeyOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var keys = new List<(JsonWebKey, DateTimeOffset?)>();
        foreach (var o in options)
        {
            byte[] spki;
            try
            {
                var text = File.ReadAllText(o.PublicKeyPath);
                var pem = PemEncoding.Find(text);
                spki = text[pem.Label] == "PUBLIC KEY" ? Convert.FromBase64String(text[pem.Base64Data]) : throw new ArgumentException("not a PUBLIC KEY PEM block");
            }
            catch (Exception ex) when (ex is IOException or ArgumentException or FormatException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"Identity:RetiredKeys: cannot read public key {o.PublicKeyPath}: {ex.Message}", ex);
            }
            var securityKey = JwtSigningKey.PublicSecurityKey(spki);
            var jwk = JsonWebKeyConverter.ConvertFromSecurityKey(securityKey);
            jwk.Use = JsonWebKeyUseNames.Sig;
            jwk.Alg = securityKey is RsaSecurityKey ? SecurityAlgorithms.RsaSha256 : jwk.Crv switch
            {
                "P-384" => SecurityAlgorithms.EcdsaSha384,
                _ => SecurityAlgorithms.EcdsaSha256,
            };
            keys.Add((jwk, o.PublishUntil));
        }
        return keys;
    }

    /// <inheritdoc />
    public ValueTask HandleAsync(HandleJsonWebKeySetRequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var now = time.GetUtcNow();
        foreach (var (key, until) in keys)
        {
            if (until is null || now < until)
            {
                context.Keys.Add(key);
            }
        }
        return default;
    }
}

/// <summary>Deletes expired tokens and authorizations hourly (OpenIddict.Quartz is not on the mirror).</summary>
internal sealed partial class TokenPruning(IServiceScopeFactory scopes, TimeProvider time, ILogger<TokenPruning> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
        do
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var threshold = time.GetUtcNow() - TimeSpan.FromDays(1);
                var tokens = await scope.ServiceProvider.GetRequiredService<IOpenIddictTokenManager>().PruneAsync(threshold, stoppingToken).ConfigureAwait(false);
                var authorizations = await scope.ServiceProvider.GetRequiredService<IOpenIddictAuthorizationManager>().PruneAsync(threshold, stoppingToken).ConfigureAwait(false);
                LogPruned(logger, tokens, authorizations);
            }
            catch (ObjectDisposedException)
            {
                // The host was disposed without being stopped (e.g. the stack failed to start another service): not a
                // pruning failure, and no stack trace on the console.
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPruneFailed(logger, ex);
            }
        }
        while (await NextTickAsync(timer, stoppingToken).ConfigureAwait(false));
    }

    // Stopping (or disposing the host without stopping it) ends the loop quietly instead of failing the host.
    private static async Task<bool> NextTickAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Pruned {Tokens} tokens and {Authorizations} authorizations")]
    private static partial void LogPruned(ILogger logger, long tokens, long authorizations);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "Token pruning failed")]
    private static partial void LogPruneFailed(ILogger logger, Exception ex);
}
