using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace PrivateSigstore.Identity;

/// <summary>
/// The identity store: OpenIddict's applications, authorizations, scopes and tokens, plus people, workload identities
/// and the audit log of issued tokens; the key material every replica shares (<see cref="IdentityKeys"/>). Schema owned by
/// EF Core migrations, one set per provider.
/// </summary>
public abstract class IdentityStoreContext : DbContext, IDataProtectionKeyContext
{
    /// <summary>Creates the context.</summary>
    protected IdentityStoreContext(DbContextOptions options) : base(options) { }

    /// <summary>People who sign in with a password.</summary>
    public DbSet<UserAccount> Users => Set<UserAccount>();

    /// <summary>The identity each confidential (workload) client vouches for.</summary>
    public DbSet<WorkloadIdentity> Workloads => Set<WorkloadIdentity>();

    /// <summary>One row per token response.</summary>
    public DbSet<TokenAuditRecord> TokenAudit => Set<TokenAuditRecord>();

    /// <summary>The token encryption key and, with <c>Identity:Key:Provider</c> Database, the signing key (<see cref="IdentityKeys"/>).</summary>
    public DbSet<StoredKeyMaterial> KeyMaterial => Set<StoredKeyMaterial>();

    /// <summary>The ASP.NET Core data-protection key ring (login cookies, antiforgery), shared by every replica.</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    /// <inheritdoc />
    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        ArgumentNullException.ThrowIfNull(modelBuilder);
        base.OnModelCreating(modelBuilder);
        modelBuilder.UseOpenIddict();
        modelBuilder.Entity<UserAccount>(e =>
        {
            e.ToTable("users");
            e.HasKey(x => x.Username);
            e.Property(x => x.Username).HasColumnName("username").HasMaxLength(UserAccount.MaxUsernameLength);
            e.Property(x => x.PasswordHash).HasColumnName("password_hash").HasMaxLength(512);
            e.Property(x => x.Email).HasColumnName("email").HasMaxLength(320);
            e.Property(x => x.EmailVerified).HasColumnName("email_verified");
            e.Property(x => x.Disabled).HasColumnName("disabled");
            e.Property(x => x.FailedSignIns).HasColumnName("failed_sign_ins");
            e.Property(x => x.LockedUntil).HasColumnName("locked_until");
            e.Property(x => x.Created).HasColumnName("created");
        });
        modelBuilder.Entity<WorkloadIdentity>(e =>
        {
            e.ToTable("workloads");
            e.HasKey(x => x.ClientId);
            e.Property(x => x.ClientId).HasColumnName("client_id").HasMaxLength(100);
            e.Property(x => x.Subject).HasColumnName("subject").HasMaxLength(1024);
            e.Property(x => x.Email).HasColumnName("email").HasMaxLength(320);
            e.Property(x => x.EmailVerified).HasColumnName("email_verified");
            e.Property(x => x.Audience).HasColumnName("audience").HasMaxLength(200);
            e.Property(x => x.ClaimsJson).HasColumnName("claims").HasMaxLength(8192);
            e.Property(x => x.Disabled).HasColumnName("disabled");
            e.Property(x => x.Created).HasColumnName("created");
        });
        modelBuilder.Entity<TokenAuditRecord>(e =>
        {
            e.ToTable("token_audit");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasColumnName("id").ValueGeneratedOnAdd();
            e.Property(x => x.IssuedAt).HasColumnName("issued_at");
            e.Property(x => x.Subject).HasColumnName("subject").HasMaxLength(1024);
            e.Property(x => x.ClientId).HasColumnName("client_id").HasMaxLength(100);
            e.Property(x => x.Audience).HasColumnName("audience").HasMaxLength(400);
            e.Property(x => x.GrantType).HasColumnName("grant_type").HasMaxLength(100);
            e.Property(x => x.TokenTypes).HasColumnName("token_types").HasMaxLength(100);
            e.Property(x => x.Warning).HasColumnName("warning").HasMaxLength(1000);
            e.HasIndex(x => x.IssuedAt);
            e.HasIndex(x => x.ClientId);
        });
        modelBuilder.Entity<StoredKeyMaterial>(e =>
        {
            e.ToTable("key_material");
            e.HasKey(x => x.Name);
            e.Property(x => x.Name).HasColumnName("name").HasMaxLength(100);
            e.Property(x => x.Value).HasColumnName("value").HasMaxLength(16_384);
            e.Property(x => x.Created).HasColumnName("created");
        });
        modelBuilder.Entity<DataProtectionKey>(e =>
        {
            e.ToTable("data_protection_keys");
            e.Property(x => x.Id).HasColumnName("id");
            e.Property(x => x.FriendlyName).HasColumnName("friendly_name");
            e.Property(x => x.Xml).HasColumnName("xml");
        });
    }
}

/// <summary>A person who signs in with a username and password.</summary>
public sealed class UserAccount
{
    /// <summary>Longest username.</summary>
    public const int MaxUsernameLength = 100;

    /// <summary>The username, also the token's <c>sub</c>.</summary>
    public string Username { get; set; } = "";

    /// <summary>ASP.NET Core Identity v3 hash (PBKDF2-HMAC-SHA512, salted); never logged, never shown.</summary>
    public string PasswordHash { get; set; } = "";

    /// <summary>The email written to tokens, if any.</summary>
    public string? Email { get; set; }

    /// <summary>Whether the email was verified by an administrator (<c>email_verified</c>).</summary>
    public bool EmailVerified { get; set; }

    /// <summary>A disabled account cannot sign in and gets no tokens.</summary>
    public bool Disabled { get; set; }

    /// <summary>Failed sign-ins since the last success.</summary>
    public int FailedSignIns { get; set; }

    /// <summary>Locked until this time after too many failures.</summary>
    public DateTimeOffset? LockedUntil { get; set; }

    /// <summary>When the account was created.</summary>
    public DateTimeOffset Created { get; set; }
}

/// <summary>The identity a workload client (client credentials grant) vouches for.</summary>
public sealed class WorkloadIdentity
{
    /// <summary>The OpenIddict client_id.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>The token's <c>sub</c>.</summary>
    public string Subject { get; set; } = "";

    /// <summary>Optional email claim.</summary>
    public string? Email { get; set; }

    /// <summary>Whether the email is verified.</summary>
    public bool EmailVerified { get; set; }

    /// <summary>The token audience (default <c>sigstore</c>).</summary>
    public string Audience { get; set; } = IdentityProviderOptions.DefaultAudience;

    /// <summary>Extra string claims (e.g. repository, ref, workflow) as a JSON object.</summary>
    public string ClaimsJson { get; set; } = "{}";

    /// <summary>A disabled client gets no tokens.</summary>
    public bool Disabled { get; set; }

    /// <summary>When the client was registered.</summary>
    public DateTimeOffset Created { get; set; }
}

/// <summary>One issued token response, for the audit log.</summary>
public sealed class TokenAuditRecord
{
    /// <summary>Sequence number.</summary>
    public long Id { get; set; }

    /// <summary>When it was issued.</summary>
    public DateTimeOffset IssuedAt { get; set; }

    /// <summary>The token's <c>sub</c>.</summary>
    public string Subject { get; set; } = "";

    /// <summary>The client it was issued to.</summary>
    public string ClientId { get; set; } = "";

    /// <summary>The audiences, space-separated.</summary>
    public string Audience { get; set; } = "";

    /// <summary>The grant type.</summary>
    public string GrantType { get; set; } = "";

    /// <summary>Which tokens the response held (id_token, access_token), space-separated.</summary>
    public string TokenTypes { get; set; } = "";

    /// <summary>
    /// Why a relying party may refuse the token, when the provider can tell (for example "token missing email claim"
    /// for a token to the Sigstore CA without an email); null for an unremarkable token.
    /// </summary>
    public string? Warning { get; set; }
}

/// <summary>SQLite schema.</summary>
public sealed class SqliteIdentityStoreContext(DbContextOptions<SqliteIdentityStoreContext> options) : IdentityStoreContext(options);

/// <summary>PostgreSQL schema.</summary>
public sealed class PostgresIdentityStoreContext(DbContextOptions<PostgresIdentityStoreContext> options) : IdentityStoreContext(options);

/// <summary>Design-time factory for the SQLite migrations.</summary>
public sealed class SqliteIdentityStoreContextFactory : IDesignTimeDbContextFactory<SqliteIdentityStoreContext>
{
    /// <inheritdoc />
    public SqliteIdentityStoreContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteIdentityStoreContext>().UseSqlite("Data Source=design.db").Options);
}

/// <summary>Design-time factory for the PostgreSQL migrations.</summary>
public sealed class PostgresIdentityStoreContextFactory : IDesignTimeDbContextFactory<PostgresIdentityStoreContext>
{
    /// <inheritdoc />
    public PostgresIdentityStoreContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresIdentityStoreContext>().UseNpgsql("Host=127.0.0.1;Database=design").Options);
}
