using System.Security.Cryptography;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.IdentityModel.Tokens;
using OpenIddict.Server;
using PrivateSigstore.Hosting;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Pkcs11;

namespace PrivateSigstore.Identity;

/// <summary>Builds the OIDC identity provider (also hosted in-process by the Stack and by tests).</summary>
public static class IdentityApp
{
    /// <summary>The default listen address (DESIGN: Identity on 5556, loopback only unless configured).</summary>
    public const string DefaultUrl = "http://127.0.0.1:5556";

    /// <summary>The cookie scheme of signed-in people (login page, authorization and verification endpoints).</summary>
    public const string CookieScheme = CookieAuthenticationDefaults.AuthenticationScheme;

    /// <summary>
    /// The exact <c>iss</c> tokens carry for a configured issuer URL: its absolute-URI form, so a URL without a path
    /// gains a trailing slash (<c>http://127.0.0.1:5556</c> → <c>http://127.0.0.1:5556/</c>). Configure the CA with it.
    /// </summary>
    public static string CanonicalIssuer(string issuerUrl) => new Uri(issuerUrl, UriKind.Absolute).AbsoluteUri;

    /// <summary>
    /// The service as the hosting layer sees it. Rate-limited, on by default: "login" (sign-in form, per client address),
    /// "login-account" (sign-in form, per username whatever the address), "token" (token endpoint, per address) and
    /// "device" (device authorization endpoint, per address); <c>RateLimits:&lt;group&gt;</c> overrides each.
    /// </summary>
    public static readonly ServiceDescription Service = new(IdentityProviderOptions.Section, DefaultUrl)
    {
        Meters = [IdentityMetrics.MeterName],
        RateLimitedGroups = ["token", "login"],
        RateLimitedPaths = new Dictionary<string, string> { ["/connect/device"] = "device" },
        DefaultRateLimits = new Dictionary<string, RateLimitSettings>
        {
            ["login"] = new() { PermitLimit = 30, WindowSeconds = 60 },
            ["login-account"] = new() { PermitLimit = 10, WindowSeconds = 60 },
            ["token"] = new() { PermitLimit = 300, WindowSeconds = 60 },
            ["device"] = new() { PermitLimit = 30, WindowSeconds = 60 },
        },
    };

    /// <summary>Builds the provider from configuration (command line, environment, appsettings: section "Identity").</summary>
    public static Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default) =>
        BuildAsync(args, null, configure, cancellationToken);

    /// <summary>Builds the provider from typed options (the Stack); <paramref name="configure"/> sets URLs and logging.</summary>
    public static Task<WebApplication> BuildAsync(IdentityProviderOptions options, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default) =>
        BuildAsync([], options ?? throw new ArgumentNullException(nameof(options)), configure, cancellationToken);

    /// <summary>
    /// Creates the web application: binds and validates options (failing closed), opens the signing key and the store
    /// (migrated), registers the public client, and maps the OIDC endpoints, the login and device-verification pages,
    /// /healthz, /readyz and /metrics.
    /// </summary>
    private static Task<WebApplication> BuildAsync(string[] args, IdentityProviderOptions? typed, Action<WebApplicationBuilder>? configure, CancellationToken cancellationToken) =>
        ServiceApp.BuildAsync(Service, args, typed, configure, o => o.MaxRequestBytes, AddIdentityProvider, (app, _) => MapIdentityProviderAsync(app, cancellationToken), cancellationToken);

    /// <summary>Registers the provider: the signing key, the store, cookies, OpenIddict's server, readiness.</summary>
    private static void AddIdentityProvider(WebApplicationBuilder builder, IdentityProviderOptions options)
    {
        var issuer = CanonicalIssuer(options.Issuer ?? FirstUrl(builder.Configuration["urls"] ?? builder.Configuration["ASPNETCORE_URLS"] ?? DefaultUrl));

        // The store, the development key (SQLite) and the imported legacy files: 0700 directory, 0600 files (also fixes a
        // directory an older version left 0755/0644).
        OwnerOnlyFiles.SecureDirectory(options.DataDirectory);
        var retired = RetiredKeys.Load(options.RetiredKeys);

        builder.Services.AddIdentityStore(options);
        // The key material every replica shares (signing key, token encryption key, data-protection key ring), opened at
        // start-up after the store is migrated; OpenIddict's credentials are read from it when its options are built.
        builder.Services.AddStartupResource((sp, ct) => IdentityKeys.OpenAsync(sp, options, sp.GetRequiredService<ILoggerFactory>().CreateLogger("PrivateSigstore.Identity"), ct));
        builder.Services.AddOptions<OpenIddictServerOptions>().Configure<IdentityKeys>((o, keys) =>
        {
            o.SigningCredentials.Add(keys.Credentials);
            // As OpenIddict's AddEncryptionKey does for a symmetric key.
            o.EncryptionCredentials.Add(new EncryptingCredentials(keys.EncryptionKey, SecurityAlgorithms.Aes256KW, SecurityAlgorithms.Aes256CbcHmacSha512));
        });
        builder.Services.AddSingleton(retired);
        builder.Services.AddSingleton(new IssuerIdentity(issuer));
        builder.Services.AddScoped<UserSignIn>();
        builder.Services.AddSingleton(new AccountRateLimit(ServiceApp.ReadRateLimit(builder.Configuration, Service, "login-account")));
        builder.Services.AddSingleton<IdentityMetrics>();
        builder.Services.AddHostedService<TokenPruning>();
        // The cookie keys are kept in the identity store, so that every replica reads a login cookie or an antiforgery token
        // that another wrote; the warning that they are not encrypted at rest says nothing the operator can act on at every
        // first start (the store's access control and backups protect them, as they protect the rest of the store).
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection.KeyManagement.XmlKeyManager", LogLevel.Error);
        builder.Services.AddDataProtection()
            .SetApplicationName("PrivateSigstore.Identity")
            .PersistKeysToDbContext<IdentityStoreContext>();
        builder.Services.AddAntiforgery(a => a.Cookie.Name = "psig-identity-af");
        builder.Services.AddAuthentication(CookieScheme).AddCookie(CookieScheme, c =>
        {
            c.LoginPath = "/account/login";
            c.Cookie.Name = "psig-identity";
            c.Cookie.HttpOnly = true;
            c.Cookie.SameSite = SameSiteMode.Lax;
            c.ExpireTimeSpan = TimeSpan.FromHours(1);
            c.SlidingExpiration = false;
        });
        builder.Services.AddAuthorization();
        builder.Services.Configure<ForwardedHeadersOptions>(f => f.ForwardedHeaders = ForwardedHeaders.XForwardedProto);

        builder.Services.AddOpenIddict().AddServer(s =>
        {
            s.SetIssuer(new Uri(issuer));
            s.SetConfigurationEndpointUris(".well-known/openid-configuration")
                .SetJsonWebKeySetEndpointUris(".well-known/jwks")
                .SetAuthorizationEndpointUris("connect/authorize")
                .SetTokenEndpointUris("connect/token")
                .SetDeviceAuthorizationEndpointUris("connect/device")
                .SetEndUserVerificationEndpointUris("connect/verify");
            s.AllowClientCredentialsFlow().AllowAuthorizationCodeFlow().AllowDeviceAuthorizationFlow();
            // OAuth 2.1 / RFC 9700 §2.1.1: every authorization code request carries a PKCE challenge.
            s.RequireProofKeyForCodeExchange();
            // Only S256: "plain" gives no protection against an intercepted authorization request.
            s.Configure(o => o.CodeChallengeMethods.Remove(CodeChallengeMethods.Plain));
            s.RegisterScopes(Scopes.Email, Scopes.Profile);
            s.RegisterClaims(Claims.Subject, Claims.Email, Claims.EmailVerified);
            s.SetAccessTokenLifetime(options.TokenLifetime).SetIdentityTokenLifetime(options.TokenLifetime)
                .SetAuthorizationCodeLifetime(options.AuthorizationCodeLifetime)
                .SetDeviceCodeLifetime(options.DeviceCodeLifetime).SetUserCodeLifetime(options.DeviceCodeLifetime);
            // The signing and encryption credentials come from IdentityKeys (above), shared by every replica.
            // The CA reads access tokens of workloads as JWTs: signed, not encrypted.
            s.DisableAccessTokenEncryption();
            s.AddEventHandler(SigstoreTokenClaims.Descriptor);
            s.AddEventHandler(TokenAuditing.Descriptor);
            s.AddEventHandler(DeviceCodeClientId.Descriptor);
            s.AddEventHandler(RetiredKeys.Descriptor);
            var aspNetCore = s.UseAspNetCore()
                .EnableAuthorizationEndpointPassthrough()
                .EnableTokenEndpointPassthrough()
                .EnableEndUserVerificationEndpointPassthrough();
            if (issuer.StartsWith("http://", StringComparison.Ordinal))
            {
                // Plain HTTP only for loopback and development issuers; an https issuer requires TLS (or X-Forwarded-Proto from a proxy).
                aspNetCore.DisableTransportSecurityRequirement();
            }
        });

        builder.Services.AddHealthChecks().AddCachedReadinessCheck<IdentityReadiness>("key").AddStoreReadinessCheck<IdentityStoreReadiness>("store");
    }

    /// <summary>Migrates the store, registers the public client, and maps the pages and OIDC endpoints.</summary>
    private static async Task MapIdentityProviderAsync(WebApplication app, CancellationToken cancellationToken)
    {
        // IdentityKeys (a start-up resource) has migrated the store and opened the keys.
        _ = app.Services.GetRequiredService<IdentityKeys>();
        await using (var scope = app.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<IdentityAdmin>().EnsurePublicClientAsync(cancellationToken).ConfigureAwait(false);
        }

        app.UseForwardedHeaders();
        app.Use((context, next) =>
        {
            // The pages must not be framed (clickjacking of the login form) nor cached.
            context.Response.Headers.XFrameOptions = "DENY";
            context.Response.Headers.ContentSecurityPolicy = "frame-ancestors 'none'";
            // "no-cache, no-store" (not only no-store), as antiforgery sets it: otherwise it logs a warning that it overrode
            // the header on every page with a form.
            context.Response.Headers.CacheControl = "no-cache, no-store";
            context.Response.Headers.Pragma = "no-cache";
            return next(context);
        });
        app.Use(async (context, next) =>
        {
            // A form the reader refuses (a key over the length limit, NUL, a multipart body that is not multipart) is the
            // client's error wherever it is read later (antiforgery, OpenIddict, the pages): read it once here, then it is
            // cached. Found by the HTTP mutation suite: POST /connect/verify with a 12 KB form key answered 500.
            if (context.Request.HasFormContentType)
            {
                try
                {
                    await context.Request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
                }
                catch (Exception e) when (e is InvalidDataException or IOException)
                {
                    // Kestrel's own refusals keep their status (a body over the size limit is a 413), the rest is a 400.
                    context.Response.StatusCode = e is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status400BadRequest;
                    await context.Response.WriteAsync(e is BadHttpRequestException ? e.Message + "\n" : "the form could not be read\n", context.RequestAborted).ConfigureAwait(false);
                    return;
                }
            }

            await next(context).ConfigureAwait(false);
        });
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapIdentity();
    }

    private static string FirstUrl(string urls)
    {
        var first = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[0];
        // "http://+:5556" and "http://*:5556" are bind patterns, not addresses: an issuer must then be configured.
        return first.Contains("://+", StringComparison.Ordinal) || first.Contains("://*", StringComparison.Ordinal)
            ? throw new ArgumentException($"Identity:Issuer is required when listening on a wildcard address ({first})")
            : first;
    }
}

/// <summary>The issuer URL tokens carry.</summary>
/// <param name="Url">The exact <c>iss</c>.</param>
public sealed record IssuerIdentity(string Url);

/// <summary>/readyz: the store answers (cached 1 s: a database that goes away shows at once).</summary>
internal sealed class IdentityStoreReadiness(IServiceScopeFactory scopes) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var store = scope.ServiceProvider.GetRequiredService<IdentityStoreContext>();
            return await store.Database.CanConnectAsync(cancellationToken).ConfigureAwait(false)
                ? HealthCheckResult.Healthy()
                : HealthCheckResult.Unhealthy("store unreachable");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy(ex.Message, ex);
        }
    }
}

/// <summary>/readyz: the signing key signs (cached: not on every probe).</summary>
internal sealed class IdentityReadiness(IdentityKeys keys) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            keys.Signing.Sign("readyz"u8);
            return Task.FromResult(HealthCheckResult.Healthy());
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy(ex.Message, ex));
        }
    }
}
