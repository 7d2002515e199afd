using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;

namespace PrivateSigstore.Identity;

/// <summary>A workload client to register: the identity its tokens vouch for.</summary>
/// <param name="ClientId">The client_id (letters, digits, <c>._-</c>).</param>
/// <param name="Subject">The token's <c>sub</c> (e.g. <c>https://ci.example.com/builders/app</c> for a uri issuer).</param>
public sealed record WorkloadClientSpec(string ClientId, string Subject)
{
    /// <summary>Optional email claim.</summary>
    public string? Email { get; init; }

    /// <summary>Whether the email is verified (<c>email_verified</c>).</summary>
    public bool EmailVerified { get; init; }

    /// <summary>Token audience (default <c>sigstore</c>).</summary>
    public string Audience { get; init; } = IdentityProviderOptions.DefaultAudience;

    /// <summary>Extra string claims, e.g. repository, ref, workflow (for the CA's ci-provider templates).</summary>
    public IReadOnlyDictionary<string, string> Claims { get; init; } = new Dictionary<string, string>();
}

/// <summary>The demo identities created on a stack's first start, with their secrets (shown once).</summary>
/// <param name="Username">The demo person.</param>
/// <param name="Password">Their generated password.</param>
/// <param name="ClientId">The demo workload client.</param>
/// <param name="ClientSecret">Its generated secret.</param>
public sealed record DemoIdentities(string Username, string Password, string ClientId, string ClientSecret);

/// <summary>A person, as listed (never the hash).</summary>
public sealed record UserSummary(string Username, string? Email, bool EmailVerified, bool Disabled, DateTimeOffset? LockedUntil, DateTimeOffset Created);

/// <summary>A workload client, as listed (never the secret).</summary>
public sealed record ClientSummary(string ClientId, string Subject, string? Email, bool EmailVerified, string Audience, IReadOnlyDictionary<string, string> Claims, bool Disabled, DateTimeOffset Created);

/// <summary>
/// Administration of people, workload clients and the audit log (used by the <c>admin</c> commands and by the Stack to
/// create demo identities). Secrets are returned once and stored hashed.
/// </summary>
public sealed partial class IdentityAdmin(IdentityStoreContext store, IOpenIddictApplicationManager applications, IdentityProviderOptions options, TimeProvider time)
{
    /// <summary>Claims a workload cannot set: they are the provider's to write.</summary>
    public static readonly IReadOnlySet<string> ReservedClaims = new HashSet<string>(StringComparer.Ordinal)
    {
        "iss", "sub", "aud", "exp", "iat", "nbf", "jti", "azp", "email", "email_verified", "scope", "client_id", "nonce", "at_hash", "c_hash", "typ", "auth_time",
    };

    /// <summary>Registers (or updates) the public client people sign in through: PKCE code flow and device flow.</summary>
    public async Task EnsurePublicClientAsync(CancellationToken cancellationToken)
    {
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = options.PublicClientId,
            ClientType = ClientTypes.Public,
            // Native: loopback redirect URIs match with any port (RFC 8252 §7.3), as CLIs listen on a random port.
            ApplicationType = ApplicationTypes.Native,
            DisplayName = "Sigstore clients",
            Permissions =
            {
                Permissions.Endpoints.Authorization, Permissions.Endpoints.Token, Permissions.Endpoints.DeviceAuthorization,
                Permissions.GrantTypes.AuthorizationCode, Permissions.GrantTypes.DeviceCode,
                Permissions.ResponseTypes.Code,
                Permissions.Scopes.Email, Permissions.Scopes.Profile,
            },
            Requirements = { Requirements.Features.ProofKeyForCodeExchange },
        };
        foreach (var uri in options.PublicClientRedirectUris)
        {
            descriptor.RedirectUris.Add(new Uri(uri));
        }
        var existing = await applications.FindByClientIdAsync(options.PublicClientId, cancellationToken).ConfigureAwait(false);
        if (existing is null)
        {
            await applications.CreateAsync(descriptor, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await applications.UpdateAsync(existing, descriptor, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// For a stack's first start: creates the person <paramref name="username"/> (email <c>username@emailDomain</c>,
    /// verified) and the workload client <paramref name="clientId"/> (sub <paramref name="workloadSubject"/>) when the store
    /// has no people and no workloads yet, and returns their generated secrets; returns null when it has (secrets are
    /// never shown twice).
    /// </summary>
    public Task<DemoIdentities?> EnsureDemoIdentitiesAsync(string username, string emailDomain, string clientId, string workloadSubject, CancellationToken cancellationToken) =>
        EnsureDemoIdentitiesAsync(username, emailDomain, new WorkloadClientSpec(clientId, workloadSubject), cancellationToken);

    /// <summary>
    /// As above, with the whole workload registration (for example a verified email, so that a CA that treats this issuer
    /// as type <c>email</c> certifies the workload too).
    /// </summary>
    public async Task<DemoIdentities?> EnsureDemoIdentitiesAsync(string username, string emailDomain, WorkloadClientSpec workload, CancellationToken cancellationToken)
    {
        if (await store.Users.AnyAsync(cancellationToken).ConfigureAwait(false) || await store.Workloads.AnyAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }
        var password = await AddUserAsync(username, null, $"{username}@{emailDomain}", emailVerified: true, cancellationToken).ConfigureAwait(false);
        ArgumentNullException.ThrowIfNull(workload);
        var secret = await AddClientAsync(workload, cancellationToken).ConfigureAwait(false);
        return new DemoIdentities(username, password, workload.ClientId, secret);
    }

    /// <summary>Adds a person; returns the password (generated when <paramref name="password"/> is null), to show once.</summary>
    public async Task<string> AddUserAsync(string username, string? password, string? email, bool emailVerified, CancellationToken cancellationToken)
    {
        RequireName(username, "username");
        if (email is not null)
        {
            RequireEmail(email);
        }
        password ??= NewSecret();
        RequirePassword(password);
        if (await store.Users.AnyAsync(u => u.Username == username, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"user {username} already exists");
        }
        store.Users.Add(new UserAccount
        {
            Username = username,
            PasswordHash = PasswordHashing.Hash(password),
            Email = email,
            EmailVerified = email is not null && emailVerified,
            Created = time.GetUtcNow(),
        });
        await store.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return password;
    }

    /// <summary>All people, by username.</summary>
    public async Task<IReadOnlyList<UserSummary>> ListUsersAsync(CancellationToken cancellationToken)
    {
        var users = await store.Users.AsNoTracking().ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. users.OrderBy(u => u.Username, StringComparer.Ordinal).Select(u => new UserSummary(u.Username, u.Email, u.EmailVerified, u.Disabled, u.LockedUntil, u.Created))];
    }

    /// <summary>Disables a person: no more sign-ins, and pending codes of theirs are refused at the token endpoint.</summary>
    public async Task DisableUserAsync(string username, CancellationToken cancellationToken)
    {
        var user = await FindUserAsync(username, cancellationToken).ConfigureAwait(false);
        user.Disabled = true;
        await store.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Sets a new password (generated when null), clears the lockout; returns the password, to show once.</summary>
    public async Task<string> ResetPasswordAsync(string username, string? password, CancellationToken cancellationToken)
    {
        var user = await FindUserAsync(username, cancellationToken).ConfigureAwait(false);
        password ??= NewSecret();
        RequirePassword(password);
        user.PasswordHash = PasswordHashing.Hash(password);
        user.FailedSignIns = 0;
        user.LockedUntil = null;
        await store.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        return password;
    }

    /// <summary>Registers a workload client (client credentials grant); returns its secret, to show once (OpenIddict stores it hashed).</summary>
    public async Task<string> AddClientAsync(WorkloadClientSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        RequireName(spec.ClientId, "client id");
        if (string.Equals(spec.ClientId, options.PublicClientId, StringComparison.Ordinal))
        {
            throw new ArgumentException($"client id {spec.ClientId} is the public client's");
        }
        if (string.IsNullOrWhiteSpace(spec.Subject) || spec.Subject.Length > 1024)
        {
            throw new ArgumentException("subject must be 1..1024 characters");
        }
        if (spec.Email is not null)
        {
            RequireEmail(spec.Email);
        }
        if (string.IsNullOrWhiteSpace(spec.Audience) || spec.Audience.Length > 200 || spec.Audience.Any(char.IsWhiteSpace))
        {
            throw new ArgumentException("audience must be 1..200 characters without spaces");
        }
        foreach (var (name, value) in spec.Claims)
        {
            if (!ClaimName().IsMatch(name) || ReservedClaims.Contains(name) || name.StartsWith("oi_", StringComparison.Ordinal))
            {
                throw new ArgumentException($"claim name '{name}' is reserved or invalid (letters, digits, _ . -; not {string.Join(", ", ReservedClaims.Order(StringComparer.Ordinal))})");
            }
            if (value is null || value.Length > 1024)
            {
                throw new ArgumentException($"claim {name}: value must be at most 1024 characters");
            }
        }
        if (await applications.FindByClientIdAsync(spec.ClientId, cancellationToken).ConfigureAwait(false) is not null
            || await store.Workloads.AnyAsync(w => w.ClientId == spec.ClientId, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException($"client {spec.ClientId} already exists");
        }
        var secret = NewSecret();
        var descriptor = new OpenIddictApplicationDescriptor
        {
            ClientId = spec.ClientId,
            ClientSecret = secret,
            ClientType = ClientTypes.Confidential,
            DisplayName = spec.Subject,
            // sigstore/sigstore's client credentials flow asks for "openid email".
            Permissions = { Permissions.Endpoints.Token, Permissions.GrantTypes.ClientCredentials, Permissions.Scopes.Email, Permissions.Scopes.Profile },
        };
        store.Workloads.Add(new WorkloadIdentity
        {
            ClientId = spec.ClientId,
            Subject = spec.Subject,
            Email = spec.Email,
            EmailVerified = spec.Email is not null && spec.EmailVerified,
            Audience = spec.Audience,
            ClaimsJson = JsonSerializer.Serialize(spec.Claims),
            Created = time.GetUtcNow(),
        });
        await store.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        await applications.CreateAsync(descriptor, cancellationToken).ConfigureAwait(false);
        return secret;
    }

    /// <summary>All workload clients, by client id.</summary>
    public async Task<IReadOnlyList<ClientSummary>> ListClientsAsync(CancellationToken cancellationToken)
    {
        var clients = await store.Workloads.AsNoTracking().ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. clients.OrderBy(c => c.ClientId, StringComparer.Ordinal).Select(c => new ClientSummary(
            c.ClientId, c.Subject, c.Email, c.EmailVerified, c.Audience, WorkloadClaims(c), c.Disabled, c.Created))];
    }

    /// <summary>Disables a workload client: its token requests get <c>invalid_client</c>.</summary>
    public async Task DisableClientAsync(string clientId, CancellationToken cancellationToken)
    {
        var client = await store.Workloads.SingleOrDefaultAsync(w => w.ClientId == clientId, cancellationToken).ConfigureAwait(false)
            ?? throw new KeyNotFoundException($"no client {clientId}");
        client.Disabled = true;
        await store.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Audit rows, oldest first, optionally since a time and for one client; at most <paramref name="limit"/> (newest kept).</summary>
    public async Task<IReadOnlyList<TokenAuditRecord>> QueryAuditAsync(DateTimeOffset? since, string? clientId, int limit, CancellationToken cancellationToken)
    {
        IQueryable<TokenAuditRecord> query = store.TokenAudit.AsNoTracking();
        if (clientId is not null)
        {
            query = query.Where(r => r.ClientId == clientId);
        }
        // Ordered by id (insertion order = time order); the time filter runs in memory because SQLite cannot compare DateTimeOffset.
        var rows = await query.OrderByDescending(r => r.Id).Take(Math.Clamp(limit, 1, 100_000)).ToListAsync(cancellationToken).ConfigureAwait(false);
        return [.. rows.Where(r => since is null || r.IssuedAt >= since).OrderBy(r => r.Id)];
    }

    internal static IReadOnlyDictionary<string, string> WorkloadClaims(WorkloadIdentity workload) =>
        JsonSerializer.Deserialize<Dictionary<string, string>>(workload.ClaimsJson) ?? [];

    private async Task<UserAccount> FindUserAsync(string username, CancellationToken cancellationToken) =>
        await store.Users.SingleOrDefaultAsync(u => u.Username == username, cancellationToken).ConfigureAwait(false)
            ?? throw new KeyNotFoundException($"no user {username}");

    private static string NewSecret() => Base64UrlEncode(RandomNumberGenerator.GetBytes(24));

    private static string Base64UrlEncode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static void RequireName(string value, string what)
    {
        if (string.IsNullOrEmpty(value) || !Name().IsMatch(value))
        {
            throw new ArgumentException($"{what} must be 1..100 characters of letters, digits, . _ @ -");
        }
    }

    private static void RequireEmail(string email)
    {
        if (email.Length > 320 || !Email().IsMatch(email))
        {
            throw new ArgumentException($"'{email}' is not an email address");
        }
    }

    private static void RequirePassword(string password)
    {
        if (password.Length is < 12 or > 256)
        {
            throw new ArgumentException("passwords must be 12..256 characters");
        }
    }

    [GeneratedRegex(@"^[A-Za-z0-9._@-]{1,100}\z", RegexOptions.CultureInvariant)]
    private static partial Regex Name();

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_.-]{0,63}\z", RegexOptions.CultureInvariant)]
    private static partial Regex ClaimName();

    // The CA's check (govalidator IsEmail, approximately).
    [GeneratedRegex(@"^[^\s@]+@[^\s@]+\.[^\s@]+\z", RegexOptions.CultureInvariant)]
    private static partial Regex Email();
}
