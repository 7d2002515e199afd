using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace PrivateSigstore.Identity;

/// <summary>The outcome of a password sign-in.</summary>
public enum SignInOutcome
{
    /// <summary>Username and password match an enabled, unlocked account.</summary>
    Succeeded,

    /// <summary>Unknown user or wrong password (the person is shown the same message for every failure, so usernames cannot be probed).</summary>
    InvalidCredentials,

    /// <summary>Too many failures in a row: the account is locked for a while.</summary>
    LockedOut,

    /// <summary>The account is disabled.</summary>
    Disabled,
}

/// <summary>
/// Checks a username and password: ASP.NET Core Identity's v3 hash (PBKDF2-HMAC-SHA512, 128-bit salt,
/// <see cref="PasswordHashing.Iterations"/> iterations), lockout after <see cref="IdentityProviderOptions.MaxFailedSignIns"/>
/// failures in a row for <see cref="IdentityProviderOptions.LockoutDuration"/>.
/// </summary>
public sealed class UserSignIn(IdentityStoreContext store, IdentityProviderOptions options, TimeProvider time)
{
    /// <summary>
    /// Verifies the credentials and updates the failure counter; returns the account on success. The counter is changed
    /// only by single atomic statements (failed = failed + 1; lock when failed &gt;= limit; reset only if no lock was
    /// set meanwhile), so parallel guesses each count and none slips past a lock another one set.
    /// </summary>
    public async Task<(SignInOutcome Outcome, UserAccount? User)> SignInAsync(string username, string password, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(username);
        ArgumentNullException.ThrowIfNull(password);
        var now = time.GetUtcNow();
        var user = username.Length is > 0 and <= UserAccount.MaxUsernameLength
            ? await store.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Username == username, cancellationToken).ConfigureAwait(false)
            : null;
        // Every path hashes exactly once (a missing user against a dummy hash, a locked account against its own), so that
        // timing does not tell whether an account exists or is locked; the page shows one message for every failure.
        if (user is null)
        {
            Verify(PasswordHashing.DummyHash, password);
            return (SignInOutcome.InvalidCredentials, null);
        }
        var passwordMatches = Verify(user.PasswordHash, password);
        if (user.LockedUntil is { } until && until > now)
        {
            return (SignInOutcome.LockedOut, null);
        }
        if (!passwordMatches)
        {
            return (await CountFailureAsync(user.Username, now, cancellationToken).ConfigureAwait(false) ? SignInOutcome.LockedOut : SignInOutcome.InvalidCredentials, null);
        }
        if (user.Disabled)
        {
            return (SignInOutcome.Disabled, null);
        }
        // Reset the counter only if the lock state is still the one read above: a parallel wrong guess may have locked it.
        var observedLock = user.LockedUntil;
        var reset = await store.Users
            .Where(u => u.Username == user.Username && u.LockedUntil == observedLock)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.FailedSignIns, 0).SetProperty(u => u.LockedUntil, (DateTimeOffset?)null), cancellationToken)
            .ConfigureAwait(false);
        return reset == 1 ? (SignInOutcome.Succeeded, user) : (SignInOutcome.LockedOut, null);
    }

    /// <summary>Password hashes checked by this instance (one per sign-in, whatever the outcome).</summary>
    internal int PasswordChecks { get; private set; }

    private bool Verify(string hash, string password)
    {
        PasswordChecks++;
        return PasswordHashing.Verify(hash, password);
    }

    /// <summary>Adds one failure atomically and locks the account when the limit is reached; returns whether this failure locked it.</summary>
    private async Task<bool> CountFailureAsync(string username, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await store.Users.Where(u => u.Username == username)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.FailedSignIns, u => u.FailedSignIns + 1), cancellationToken).ConfigureAwait(false);
        var max = options.MaxFailedSignIns;
        DateTimeOffset? lockedUntil = now + options.LockoutDuration;
        var locked = await store.Users.Where(u => u.Username == username && u.FailedSignIns >= max)
            .ExecuteUpdateAsync(s => s.SetProperty(u => u.FailedSignIns, 0).SetProperty(u => u.LockedUntil, lockedUntil), cancellationToken).ConfigureAwait(false);
        return locked == 1;
    }
}

/// <summary>
/// The per-account sign-in limit (<c>RateLimits:login-account</c>): attempts on one username, whatever the client
/// address, so that guesses spread over many addresses are slowed down as well.
/// </summary>
public sealed class AccountRateLimit(PrivateSigstore.Hosting.RateLimitSettings limit) : IDisposable
{
    private readonly System.Threading.RateLimiting.PartitionedRateLimiter<string> _limiter =
        System.Threading.RateLimiting.PartitionedRateLimiter.Create<string, string>(
            username => PrivateSigstore.Hosting.ServiceApp.Partition(limit, username.ToUpperInvariant()));

    /// <summary>Takes one attempt for <paramref name="username"/>; null when allowed, else how long to wait.</summary>
    public TimeSpan? TryAcquire(string username)
    {
        using var lease = _limiter.AttemptAcquire(username);
        if (lease.IsAcquired) return null;
        return lease.TryGetMetadata(System.Threading.RateLimiting.MetadataName.RetryAfter, out var retry) ? retry : TimeSpan.FromSeconds(limit.WindowSeconds);
    }

    /// <inheritdoc />
    public void Dispose() => _limiter.Dispose();
}

/// <summary>Password hashes: ASP.NET Core Identity's format v3 (PBKDF2-HMAC-SHA512).</summary>
public static class PasswordHashing
{
    /// <summary>PBKDF2 iterations (OWASP 2023 for PBKDF2-HMAC-SHA512: 210,000).</summary>
    public const int Iterations = 210_000;

    private static readonly PasswordHasher<UserAccount> Hasher = new(Microsoft.Extensions.Options.Options.Create(new PasswordHasherOptions
    {
        CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV3,
        IterationCount = Iterations,
    }));

    internal static readonly string DummyHash = Hash(Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)));

    /// <summary>Hashes a password.</summary>
    public static string Hash(string password) => Hasher.HashPassword(null!, password);

    /// <summary>Whether <paramref name="password"/> matches <paramref name="hash"/>.</summary>
    public static bool Verify(string hash, string password) =>
        Hasher.VerifyHashedPassword(null!, hash, password) is PasswordVerificationResult.Success or PasswordVerificationResult.SuccessRehashNeeded;
}
