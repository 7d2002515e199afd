using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.EntityFrameworkCore;
using Microsoft.IdentityModel.Tokens;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Pkcs11;

namespace PrivateSigstore.Identity;

/// <summary>
/// The key material every replica of the provider must share, so that what one replica issues another accepts:
/// <list type="bullet">
/// <item>the token signing key: in the HSM (<c>Pkcs11</c>), a PEM file every replica mounts (<c>PemFile</c>), or in the
/// store (<c>Database</c>; the default with PostgreSQL, where a per-replica development file would give each replica its
/// own key);</item>
/// <item>the token encryption key (authorization codes, device codes and other OpenIddict-internal tokens are JWEs
/// under it): always in the store, table <c>key_material</c>;</item>
/// <item>the ASP.NET Core data-protection key ring (login cookies, antiforgery tokens): always in the store, table
/// <c>data_protection_keys</c> (<c>PersistKeysToDbContext</c>).</item>
/// </list>
/// Opened once at start-up (a <see cref="StartupResource{T}"/>): migrates the store, then loads the shared material or
/// creates it. With PostgreSQL the whole start-up runs under an advisory lock, so replicas that start together create
/// one set, not one each. Material kept by an older version in the data directory (<c>token-encryption.key</c>,
/// <c>identity-key.pem</c> for <c>Database</c>, <c>cookie-keys/*.xml</c>) is imported on first use, so an upgrade keeps
/// pending codes, tokens' keys and login sessions.
/// </summary>
public sealed partial class IdentityKeys : IDisposable
{
    /// <summary>The signing key provider that keeps the key in the store.</summary>
    public const string DatabaseProvider = "Database";

    /// <summary>The <c>key_material</c> row of the token encryption key (32 random bytes, base64).</summary>
    public const string EncryptionKeyName = "token-encryption";

    /// <summary>The <c>key_material</c> row of the signing key (PKCS#8 PEM, encrypted when <c>Identity:Key:KeyPassword</c> is set).</summary>
    public const string SigningKeyName = "signing-key";

    // The start-up's pg_advisory_lock key: ASCII "psig-idk" as a big-endian int64.
    private const string LockSql = "SELECT pg_advisory_lock(8102936046434083947)";
    private const string UnlockSql = "SELECT pg_advisory_unlock(8102936046434083947)";

    private IdentityKeys(ISigningKey signing, byte[] encryptionKey)
    {
        Signing = signing;
        Credentials = JwtSigningKey.CreateCredentials(signing);
        EncryptionKey = new SymmetricSecurityKey(encryptionKey);
    }

    /// <summary>The token signing key.</summary>
    public ISigningKey Signing { get; }

    /// <summary>OpenIddict's signing credentials over <see cref="Signing"/>.</summary>
    public SigningCredentials Credentials { get; }

    /// <summary>The shared token encryption key.</summary>
    public SymmetricSecurityKey EncryptionKey { get; }

    /// <summary>Whether <paramref name="options"/> keep the signing key in the store: <c>Provider</c> Database, or Auto with nothing configured on PostgreSQL.</summary>
    public static bool KeyInDatabase(IdentityProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var provider = (options.Key.Provider ?? "Auto").Trim();
        if (provider.Equals(DatabaseProvider, StringComparison.OrdinalIgnoreCase)) return true;
        return (provider.Length == 0 || provider.Equals("Auto", StringComparison.OrdinalIgnoreCase))
            && string.IsNullOrEmpty(options.Key.KeyPath) && string.IsNullOrEmpty(options.Key.KeyLabel)
            && options.Storage == PrivateSigstore.Log.Storage.StorageProvider.Postgres;
    }

    /// <summary>Migrates the store and opens (or creates) the shared key material; see the class summary.</summary>
    public static async Task<IdentityKeys> OpenAsync(IServiceProvider services, IdentityProviderOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        await using var scope = services.CreateAsyncScope();
        var store = scope.ServiceProvider.GetRequiredService<IdentityStoreContext>();
        var postgres = !store.Database.IsSqlite();
        await store.Database.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (postgres)
            {
                // One replica at a time creates the shared material; the others then read it (released with the connection).
                await store.Database.ExecuteSqlRawAsync(LockSql, cancellationToken).ConfigureAwait(false);
            }
            await IdentityStore.MigrateAsync(store, cancellationToken).ConfigureAwait(false);
            var encryption = Convert.FromBase64String(await LoadOrCreateAsync(store, EncryptionKeyName, () => ImportedSecret(options) ?? Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), cancellationToken).ConfigureAwait(false));
            if (encryption.Length != 32) throw new InvalidOperationException($"key_material '{EncryptionKeyName}' must hold 32 base64 bytes");
            await EnsureDataProtectionKeyAsync(scope.ServiceProvider, store, options, logger, cancellationToken).ConfigureAwait(false);
            var signing = KeyInDatabase(options)
                ? await OpenDatabaseKeyAsync(store, options, logger, cancellationToken).ConfigureAwait(false)
                : SigningKeyFactory.Create(options.Key, Path.Combine(options.DataDirectory, "identity-key.pem"), logger);
            try
            {
                return new IdentityKeys(signing, encryption);
            }
            catch
            {
                signing.Dispose();
                throw;
            }
        }
        finally
        {
            if (postgres)
            {
                try
                {
                    await store.Database.ExecuteSqlRawAsync(UnlockSql, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Closing the connection below releases the lock as well.
                }
            }
            await store.Database.CloseConnectionAsync().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public void Dispose() => Signing.Dispose();

    /// <summary>The value of row <paramref name="name"/>, created with <paramref name="create"/> when missing (the first writer wins).</summary>
    private static async Task<string> LoadOrCreateAsync(IdentityStoreContext store, string name, Func<string> create, CancellationToken ct)
    {
        var existing = await store.KeyMaterial.AsNoTracking().Where(k => k.Name == name).Select(k => k.Value).SingleOrDefaultAsync(ct).ConfigureAwait(false);
        if (existing is not null) return existing;
        var row = new StoredKeyMaterial { Name = name, Value = create(), Created = DateTimeOffset.UtcNow };
        store.KeyMaterial.Add(row);
        try
        {
            await store.SaveChangesAsync(ct).ConfigureAwait(false);
            return row.Value;
        }
        catch (DbUpdateException)
        {
            // Another replica created it first (without the advisory lock, SQLite): use theirs.
            store.ChangeTracker.Clear();
            return await store.KeyMaterial.AsNoTracking().Where(k => k.Name == name).Select(k => k.Value).SingleAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>The token encryption key an older version kept in the data directory, if any.</summary>
    private static string? ImportedSecret(IdentityProviderOptions options)
    {
        var path = Path.Combine(options.DataDirectory, "token-encryption.key");
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    /// <summary>
    /// Makes sure the shared key ring has a key before any replica protects a cookie with one of its own: imports the
    /// ring an older version kept in <c>cookie-keys/</c>, or creates the first key (under the start-up lock).
    /// </summary>
    private static async Task EnsureDataProtectionKeyAsync(IServiceProvider services, IdentityStoreContext store, IdentityProviderOptions options, ILogger logger, CancellationToken ct)
    {
        if (await store.DataProtectionKeys.AnyAsync(ct).ConfigureAwait(false)) return;
        var legacy = new DirectoryInfo(Path.Combine(options.DataDirectory, "cookie-keys"));
        var imported = 0;
        if (legacy.Exists)
        {
            foreach (var file in legacy.EnumerateFiles("*.xml"))
            {
                store.DataProtectionKeys.Add(new Microsoft.AspNetCore.DataProtection.EntityFrameworkCore.DataProtectionKey
                {
                    FriendlyName = Path.GetFileNameWithoutExtension(file.Name),
                    Xml = await File.ReadAllTextAsync(file.FullName, ct).ConfigureAwait(false),
                });
                imported++;
            }
            await store.SaveChangesAsync(ct).ConfigureAwait(false);
            if (imported > 0) LogImported(logger, imported, legacy.FullName);
        }
        if (imported == 0)
        {
            var now = DateTimeOffset.UtcNow;
            services.GetRequiredService<IKeyManager>().CreateNewKey(now, now.AddDays(90));
        }
    }

    private static async Task<ISigningKey> OpenDatabaseKeyAsync(IdentityStoreContext store, IdentityProviderOptions options, ILogger logger, CancellationToken ct)
    {
        var algorithm = options.Key.Algorithm;
        var password = options.Key.KeyPassword;
        var created = false;
        var pem = await LoadOrCreateAsync(store, SigningKeyName, () =>
        {
            created = true;
            var legacy = Path.Combine(options.DataDirectory, "identity-key.pem");
            return File.Exists(legacy) ? File.ReadAllText(legacy) : NewKeyPem(algorithm, password);
        }, ct).ConfigureAwait(false);
        var key = ImportPem(pem, password);
        if (key.Algorithm != algorithm)
        {
            var actual = key.Algorithm;
            key.Dispose();
            throw new KeyConfigurationException($"the signing key in the identity store (key_material '{SigningKeyName}') is a {actual} key, but Identity:Key:Algorithm is {algorithm}; set Algorithm to the key's algorithm");
        }
        LogDatabaseKey(logger, created ? "created now" : "reused", Convert.ToHexStringLower(KeyIds.LogId(key.SubjectPublicKeyInfo)));
        return key;
    }

    private static string NewKeyPem(SigningAlgorithm algorithm, string? password)
    {
        using AsymmetricAlgorithm key = algorithm switch
        {
            SigningAlgorithm.EcdsaP256Sha256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
            SigningAlgorithm.EcdsaP384Sha384 => ECDsa.Create(ECCurve.NamedCurves.nistP384),
            SigningAlgorithm.RsaPkcs1v15Sha256 => RSA.Create(3072),
            _ => throw new KeyConfigurationException($"Identity:Key:Algorithm {algorithm} cannot sign tokens"),
        };
        return password is null
            ? key.ExportPkcs8PrivateKeyPem()
            : key.ExportEncryptedPkcs8PrivateKeyPem(password, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 600_000));
    }

    private static InMemorySigningKey ImportPem(string pem, string? password)
    {
        const string description = "signing key in the identity store (key_material)";
        var encrypted = pem.Contains("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal);
        if (encrypted && password is null) throw new KeyConfigurationException($"the {description} is encrypted: set Identity:Key:KeyPassword");
        try
        {
            var ec = ECDsa.Create();
            try
            {
                if (encrypted) ec.ImportFromEncryptedPem(pem, password); else ec.ImportFromPem(pem);
                return new InMemorySigningKey(ec, description);
            }
            catch (Exception e) when (e is CryptographicException or ArgumentException)
            {
                ec.Dispose();
            }
            var rsa = RSA.Create();
            try
            {
                if (encrypted) rsa.ImportFromEncryptedPem(pem, password); else rsa.ImportFromPem(pem);
                return new InMemorySigningKey(rsa, description);
            }
            catch
            {
                rsa.Dispose();
                throw;
            }
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new KeyConfigurationException($"the {description} cannot be read ({e.Message}); a wrong Identity:Key:KeyPassword?");
        }
    }

    [LoggerMessage(EventId = 7100, Level = LogLevel.Warning, Message =
        "Token signing key: kept IN THE IDENTITY STORE ({State}, SHA-256 of public key {KeyId}), shared by every replica. IT IS NOT HSM-BACKED: " +
        "whoever can read the database (or its backups) can sign tokens as this provider. Use Identity:Key:Provider Pkcs11 for a real deployment.")]
    private static partial void LogDatabaseKey(ILogger logger, string state, string keyId);

    [LoggerMessage(EventId = 7101, Level = LogLevel.Information, Message = "Imported {Count} data-protection keys (login cookies) from {Directory} into the identity store")]
    private static partial void LogImported(ILogger logger, int count, string directory);
}

/// <summary>A row of shared key material (table <c>key_material</c>).</summary>
public sealed class StoredKeyMaterial
{
    /// <summary>What it is (<see cref="IdentityKeys.EncryptionKeyName"/>, <see cref="IdentityKeys.SigningKeyName"/>).</summary>
    public string Name { get; set; } = "";

    /// <summary>The material, as text (base64 or PEM).</summary>
    public string Value { get; set; } = "";

    /// <summary>When it was created.</summary>
    public DateTimeOffset Created { get; set; }
}
