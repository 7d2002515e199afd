using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace PrivateSigstore.Identity;

/// <summary>Registers the identity store (EF Core on SQLite or PostgreSQL, OpenIddict's core managers, <see cref="IdentityAdmin"/>).</summary>
public static class IdentityStore
{
    /// <summary>Adds the store's services for <paramref name="options"/>.</summary>
    public static IServiceCollection AddIdentityStore(this IServiceCollection services, IdentityProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Storage == PrivateSigstore.Log.Storage.StorageProvider.Postgres)
        {
            var cs = options.PostgresConnectionString!;
            services.AddDbContext<IdentityStoreContext, PostgresIdentityStoreContext>(o => o.UseNpgsql(cs).UseOpenIddict());
        }
        else
        {
            Directory.CreateDirectory(options.DataDirectory);
            var cs = new SqliteConnectionStringBuilder { DataSource = Path.Combine(options.DataDirectory, "identity.db"), Pooling = true, DefaultTimeout = 30 }.ToString();
            services.AddDbContext<IdentityStoreContext, SqliteIdentityStoreContext>(o => o.UseSqlite(cs).UseOpenIddict());
        }
        services.AddOpenIddict().AddCore(c =>
        {
            c.UseEntityFrameworkCore().UseDbContext<IdentityStoreContext>();
        });
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddScoped<IdentityAdmin>();
        return services;
    }

    /// <summary>Applies pending migrations (SQLite in WAL mode).</summary>
    public static async Task MigrateAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        await using var scope = services.CreateAsyncScope();
        await MigrateAsync(scope.ServiceProvider.GetRequiredService<IdentityStoreContext>(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Applies pending migrations through <paramref name="context"/> (SQLite in WAL mode).</summary>
    public static async Task MigrateAsync(IdentityStoreContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        await context.Database.MigrateAsync(cancellationToken).ConfigureAwait(false);
        if (context.Database.IsSqlite())
        {
            await context.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken).ConfigureAwait(false);
        }
    }
}
