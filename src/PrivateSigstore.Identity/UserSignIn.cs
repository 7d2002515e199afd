using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace PrivateSigstore.Identity;

/// <summary>The outcome of a password sign-in.</summary>
public enum SignInOutcome
{
    /// <summary>Username and password match an enabled, unlocked account.</summary>
    Succeeded,

    /// <summary>Unknown user or wrong password (not told apart, so usernames cannot be probed).</summary>
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
    /// <summary>Verifies the credentials and updates the failure counter; returns the account on success.</summary>
    public async Task<(SignInOutcome Outcome, UserAccount? User)> SignInAsync(string username, string password, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(username);
        ArgumentNullException.ThrowIfNull(password);
        var now = time.GetUtcNow();
        var user = username.Length is > 0 and <= UserAccount.MaxUsernameLength
            ? await store.Users.SingleOrDefaultAsync(u => u.Username == username, cancellationToken).ConfigureAwait(false)
            : null;
        if (user is null)
        {
            // Spend the same work as for a real account.
            PasswordHashing.Verify(PasswordHashing.DummyHash, password);
            return (SignInOutcome.InvalidCredentials, null);
        }
        if (user.LockedUntil is { } until && until > now)
        {
            return (SignInOutcome.LockedOut, null);
        }
        if (!PasswordHashing.Verify(user.PasswordHash, password))
        {
            user.FailedSignIns++;
            var locked = user.FailedSignIns >= options.MaxFailedSignIns;
            if (locked)
            {
                user.LockedUntil = now + options.LockoutDuration;
                user.FailedSignIns = 0;
            }
            await store.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
            return (locked ? SignInOutcome.LockedOut : SignInOutcome.InvalidCredentials, null);
        }
        if (user.Disabled)
        {
            return (SignInOutcome.Disabled, null);
        }
        if (user.FailedSignIns != 0 || user.LockedUntil is not null)
        {
            user.FailedSignIns = 0;
            user.LockedUntil = null;
            await store.SaveChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        return (SignInOutcome.Succeeded, user);
    }
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
