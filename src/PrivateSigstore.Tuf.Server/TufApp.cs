using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.DependencyInjection.Extensions;
using PrivateSigstore.Hosting;

namespace PrivateSigstore.Tuf.Server;

/// <summary>
/// Builds the TUF repository service. Two layers, as every service: <see cref="BuildAsync(TufOptions, string[], Action{WebApplicationBuilder}, CancellationToken)"/>
/// makes the whole web application (Kestrel on <see cref="DefaultUrl"/>, /healthz, /readyz, /metrics);
/// <see cref="AddTufRepository"/> + <see cref="UseTufRepository"/> put it into any service collection and pipeline.
/// The repository's published directory is served at the root of the service, so the mirror URL clients are given is the
/// service's base URL (<c>&lt;mirror&gt;/N.root.json</c>, <c>&lt;mirror&gt;/timestamp.json</c>, <c>&lt;mirror&gt;/targets/…</c>).
/// </summary>
public static class TufApp
{
    /// <summary>The default listen address (DESIGN: TUF on 8081, loopback only unless configured).</summary>
    public const string DefaultUrl = "http://127.0.0.1:8081";

    /// <summary>Cache-Control of <c>timestamp.json</c> and anything unversioned: revalidate every time (it changes at each renewal).</summary>
    public const string RevalidateCacheControl = "no-cache";

    /// <summary>Cache-Control of versioned metadata and targets (consistent snapshots: a name never changes content).</summary>
    public const string ImmutableCacheControl = "public, max-age=31536000, immutable";

    /// <summary>The service as the hosting layer sees it.</summary>
    public static readonly ServiceDescription Service = new(TufOptions.Section, DefaultUrl)
    {
        Meters = [TufMetrics.MeterName],
        // GET and HEAD only: no request body is ever read.
        MaxRequestBodyBytes = 1024,
    };

    /// <summary>Binds <see cref="TufOptions"/> from configuration (section "Tuf") and builds the application.</summary>
    public static Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default) =>
        BuildAsync(args, null, configure, cancellationToken);

    /// <summary>
    /// Builds the application with <paramref name="options"/> as given (configuration is still read for the host: URLs,
    /// logging). Throws <see cref="ArgumentException"/> naming the bad setting (a missing repository, a key that does not
    /// open or is not the one the root lists).
    /// </summary>
    public static Task<WebApplication> BuildAsync(TufOptions options, string[]? args = null, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default) =>
        BuildAsync(args ?? [], options ?? throw new ArgumentNullException(nameof(options)), configure, cancellationToken);

    private static Task<WebApplication> BuildAsync(string[] args, TufOptions? typed, Action<WebApplicationBuilder>? configure, CancellationToken cancellationToken) =>
        ServiceApp.BuildAsync(Service, args, typed, configure, _ => Service.MaxRequestBodyBytes, (b, o) => b.Services.AddTufRepository(o), (app, _) =>
        {
            app.UseTufRepository();
            return Task.CompletedTask;
        }, cancellationToken);

    /// <summary>
    /// Registers the service: validates <paramref name="options"/> (throwing <see cref="ArgumentException"/> naming the bad
    /// setting), the repository and its online keys (a start-up resource), the monitor, the metrics, the background
    /// renewal and the readiness check (tag "ready").
    /// </summary>
    public static IServiceCollection AddTufRepository(this IServiceCollection services, TufOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddStartupResource(async (sp, _) =>
        {
            await Task.CompletedTask.ConfigureAwait(false);
            return TufServedRepository.Open(options, sp.GetRequiredService<ILoggerFactory>().CreateLogger("PrivateSigstore.Tuf.Server"), sp.GetRequiredService<TimeProvider>().GetUtcNow());
        });
        services.AddSingleton<TufRepositoryMonitor>();
        services.AddSingleton<TufMetrics>();
        services.AddSingleton<TufRefresher>();
        services.AddHostedService(sp => sp.GetRequiredService<TufRefresher>());
        services.AddHealthChecks().AddCachedReadinessCheck<TufReadiness>("tuf");
        return services;
    }

    /// <summary>
    /// Serves the published directory as static files (GET and HEAD; no directory listing; dot files and anything outside
    /// the directory never; <c>application/json</c> for .json, <c>application/octet-stream</c> otherwise) with
    /// Cache-Control: <see cref="RevalidateCacheControl"/> for <c>timestamp.json</c>, <see cref="ImmutableCacheControl"/>
    /// for <c>N.*.json</c> and <c>targets/</c>.
    /// </summary>
    public static IApplicationBuilder UseTufRepository(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var served = app.ApplicationServices.GetRequiredService<TufServedRepository>();
        _ = app.ApplicationServices.GetRequiredService<TufMetrics>();
        return app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = served.Files,
            ContentTypeProvider = new TufContentTypes(),
            ServeUnknownFileTypes = false,
            RedirectToAppendTrailingSlash = false,
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                headers.CacheControl = CacheControlFor(context.Context.Request.Path.Value ?? "");
                headers.XContentTypeOptions = "nosniff";
            },
        });
    }

    /// <summary>The Cache-Control a published file is served with (its path below the service root, e.g. <c>/1.root.json</c>).</summary>
    public static string CacheControlFor(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var name = path.TrimStart('/');
        if (name.StartsWith("targets/", StringComparison.Ordinal)) return ImmutableCacheControl;
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        var versioned = dot > 0 && name[..dot].All(char.IsAsciiDigit) && name[(dot + 1)..] is "root.json" or "snapshot.json" or "targets.json";
        return versioned ? ImmutableCacheControl : RevalidateCacheControl;
    }

    /// <summary>TUF metadata and the Sigstore targets are JSON; any other target is served as bytes.</summary>
    private sealed class TufContentTypes : IContentTypeProvider
    {
        public bool TryGetContentType(string subpath, out string contentType)
        {
            contentType = subpath.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? "application/json" : "application/octet-stream";
            return true;
        }
    }
}
