using System.Globalization;
using System.Reflection;
using Microsoft.AspNetCore.Mvc.ApplicationParts;
using Microsoft.Extensions.Configuration.Memory;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PrivateSigstore.Hosting;

namespace PrivateSigstore.Explorer;

/// <summary>
/// Builds the log explorer: Razor Pages over the logs' public APIs (read-only), our own script and style sheet, the
/// trusted root for the browser's proof checks, rate limits (groups "pages" and "search"), and the shared /healthz,
/// /readyz, /metrics.
/// </summary>
public static class ExplorerApp
{
    /// <summary>The default listen address (DESIGN: explorer on 8080, loopback only unless configured).</summary>
    public const string DefaultUrl = "http://127.0.0.1:8080";

    /// <summary>The named HTTP client used for the logs and the monitor.</summary>
    public const string HttpClientName = "PrivateSigstore.Explorer";

    /// <summary>The service as the hosting layer sees it.</summary>
    public static readonly ServiceDescription Service = new(ExplorerOptions.Section, DefaultUrl)
    {
        MaxRequestBodyBytes = 16 * 1024,
        RateLimitedGroups = ["pages", "search"],
    };

    /// <summary>Rate limits unless configured otherwise: per client address, per second.</summary>
    private static readonly Dictionary<string, string?> DefaultLimits = new()
    {
        ["RateLimits:pages:PermitLimit"] = "200",
        ["RateLimits:pages:WindowSeconds"] = "1",
        ["RateLimits:search:PermitLimit"] = "20",
        ["RateLimits:search:WindowSeconds"] = "1",
    };

    /// <summary>Binds <see cref="ExplorerOptions"/> from configuration (section "Explorer") and builds the application.</summary>
    public static Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default) =>
        BuildAsync(args, null, configure, cancellationToken);

    /// <summary>Builds the application with <paramref name="options"/> as given; throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public static Task<WebApplication> BuildAsync(ExplorerOptions options, string[]? args = null, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default) =>
        BuildAsync(args ?? [], options ?? throw new ArgumentNullException(nameof(options)), configure, cancellationToken);

    private static Task<WebApplication> BuildAsync(string[] args, ExplorerOptions? typed, Action<WebApplicationBuilder>? configure, CancellationToken cancellationToken) =>
        ServiceApp.BuildAsync(Service, args, typed, b =>
        {
            // Defaults first, so that anything configured (appsettings, environment, command line) overrides them.
            b.Configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = DefaultLimits });
            configure?.Invoke(b);
        }, _ => 16 * 1024, (b, o) => b.Services.AddExplorer(o), (app, _) =>
        {
            app.MapExplorer();
            return Task.CompletedTask;
        }, cancellationToken);

    /// <summary>Registers the explorer: options (validated), the logs from the trusted root, readers, pages.</summary>
    public static IServiceCollection AddExplorer(this IServiceCollection services, ExplorerOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        services.TryAddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(LogCatalog.Load(options));
        services.AddHttpClient(HttpClientName, c =>
        {
            c.Timeout = TimeSpan.FromSeconds(options.HttpTimeoutSeconds);
            c.MaxResponseContentBufferSize = 32 << 20;
        });
        services.AddSingleton<EntryCache>();
        services.AddSingleton<CheckpointHistory>();
        services.AddSingleton(sp => new ExplorerService(sp.GetRequiredService<LogCatalog>(), sp.GetRequiredService<IHttpClientFactory>(), sp.GetRequiredService<EntryCache>(), options, sp.GetRequiredService<CheckpointHistory>()));
        services.AddHostedService<CheckpointPoller>();
        var assembly = typeof(ExplorerApp).Assembly;
        services.AddRazorPages(o =>
            {
                o.Conventions.ConfigureFilter(new Microsoft.AspNetCore.Mvc.IgnoreAntiforgeryTokenAttribute());
                // The search page has its own (tighter) rate limit; every other page the "pages" one.
                o.Conventions.AddFolderApplicationModelConvention("/", m =>
                    m.EndpointMetadata.Add(new Microsoft.AspNetCore.RateLimiting.EnableRateLimitingAttribute(m.ViewEnginePath == "/Index" ? "ratelimit:search" : "ratelimit:pages")));
            })
            // The explorer is read-only and reads no forms: binding never looks at a request body. (The jQuery form value
            // provider threw ArgumentException, a 500, on a form key with an unclosed '[': found by the HTTP mutation suite.)
            .AddMvcOptions(o =>
            {
                foreach (var factory in o.ValueProviderFactories.Where(f => f is Microsoft.AspNetCore.Mvc.ModelBinding.FormValueProviderFactory
                    or Microsoft.AspNetCore.Mvc.ModelBinding.JQueryFormValueProviderFactory or Microsoft.AspNetCore.Mvc.ModelBinding.FormFileValueProviderFactory).ToList())
                {
                    o.ValueProviderFactories.Remove(factory);
                }
            })
            .ConfigureApplicationPartManager(m =>
            {
                // Hosted by the Stack, the entry assembly is not ours: add our pages (once).
                if (!m.ApplicationParts.OfType<AssemblyPart>().Any(p => p.Assembly == assembly)) m.ApplicationParts.Add(new AssemblyPart(assembly));
                foreach (var factory in CompiledRazorAssemblyApplicationPartFactory.GetDefaultApplicationParts(assembly))
                {
                    if (!m.ApplicationParts.Any(p => p.Name == factory.Name && p.GetType() == factory.GetType())) m.ApplicationParts.Add(factory);
                }
            });
        services.AddHealthChecks().AddCheck<ExplorerReadiness>("explorer", tags: [ServiceApp.ReadyTag]);
        return services;
    }

    /// <summary>Maps the pages, the proof and bundle downloads, the trusted root, the script and style sheet.</summary>
    public static WebApplication MapExplorer(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Use(async (context, next) =>
        {
            // Our own script only, no inline script, nothing from elsewhere; the proof check fetches from this origin.
            var h = context.Response.Headers;
            h.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
            h.XContentTypeOptions = "nosniff";
            h["Referrer-Policy"] = "no-referrer";
            await next(context).ConfigureAwait(false);
        });
        app.UseStatusCodePagesWithReExecute("/status/{0}");
        app.MapRazorPages();
        app.MapGet("/trusted_root.json", (LogCatalog catalog) => Results.Bytes(catalog.TrustedRootJson, "application/json")).WithRateLimit("pages");
        app.MapGet("/static/explorer.js", () => Asset("explorer.js", "text/javascript; charset=utf-8")).WithRateLimit("pages");
        app.MapGet("/static/explorer.css", () => Asset("explorer.css", "text/css; charset=utf-8")).WithRateLimit("pages");
        app.MapGet("/logs/{name}/entries/{index}/proof.json", async (string name, string index, ExplorerService explorer, CancellationToken ct) =>
            await Guard(async () => Results.Text((await explorer.ProofAsync(explorer.RequireLog(name), ParseIndex(index), ct).ConfigureAwait(false)).ToJsonString(), "application/json")).ConfigureAwait(false))
            .WithRateLimit("pages");
        app.MapGet("/logs/{name}/entries/{index}/bundle.json", async (string name, string index, ExplorerService explorer, CancellationToken ct) =>
            await Guard(async () => Results.File(await explorer.BundleFragmentAsync(explorer.RequireLog(name), ParseIndex(index), ct).ConfigureAwait(false), "application/json",
                $"{name}-{index}.sigstore-fragment.json")).ConfigureAwait(false))
            .WithRateLimit("pages");
        return app;
    }

    internal static long ParseIndex(string text) =>
        text.Length <= 19 && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : throw new ExplorerBadQueryException("a log index is a non-negative integer");

    /// <summary>Maps the explorer's exceptions to problem answers for the JSON routes (pages render their own error).</summary>
    private static async Task<IResult> Guard(Func<Task<IResult>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (ExplorerBadQueryException e)
        {
            return Results.Problem(statusCode: 400, title: e.Message);
        }
        catch (ExplorerNotFoundException e)
        {
            return Results.Problem(statusCode: 404, title: e.Message);
        }
        catch (LogUnavailableException e)
        {
            return Results.Problem(statusCode: e.Status is 502 or 503 ? e.Status : 502, title: e.Message);
        }
    }

    private static IResult Asset(string name, string contentType)
    {
        using var stream = typeof(ExplorerApp).Assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"missing asset {name}");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Results.Bytes(buffer.ToArray(), contentType);
    }
}

/// <summary>/readyz: the trusted root named logs (checked at start-up); each log's own health is its own service's.</summary>
internal sealed class ExplorerReadiness(LogCatalog catalog) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(HealthCheckResult.Healthy(string.Create(CultureInfo.InvariantCulture, $"{catalog.Logs.Count} log(s)")));
}
