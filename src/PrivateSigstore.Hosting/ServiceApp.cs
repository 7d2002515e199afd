using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;

namespace PrivateSigstore.Hosting;

/// <summary>What a service tells the hosting layer about itself.</summary>
/// <param name="Name">Its name, also the configuration section of its options (e.g. "Rekor").</param>
/// <param name="DefaultUrl">Where it listens when nothing is configured (loopback only).</param>
public sealed record ServiceDescription(string Name, string DefaultUrl)
{
    /// <summary>Its meters: <c>PrivateSigstore.&lt;Component&gt;</c>, instruments <c>privatesigstore.&lt;component&gt;.&lt;what&gt;</c>.</summary>
    public IReadOnlyList<string> Meters { get; init; } = [];

    /// <summary>Largest request body (Kestrel); larger bodies are refused before a handler runs.</summary>
    public long MaxRequestBodyBytes { get; init; } = 1024 * 1024;

    /// <summary>The route groups that can be rate-limited (configuration <c>RateLimits:&lt;group&gt;</c>).</summary>
    public IReadOnlyList<string> RateLimitedGroups { get; init; } = [];

    /// <summary>Limits that apply to a group when <c>RateLimits:&lt;group&gt;</c> does not override them (none by default).</summary>
    public IReadOnlyDictionary<string, RateLimitSettings> DefaultRateLimits { get; init; } = new Dictionary<string, RateLimitSettings>();

    /// <summary>
    /// Paths answered by a framework before any endpoint runs (e.g. OpenIddict's device authorization endpoint), each with
    /// the rate-limited group it counts against; limited by the global limiter, per client address.
    /// </summary>
    public IReadOnlyDictionary<string, string> RateLimitedPaths { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// Builds every PrivateSigstore service the same way: <see cref="CreateBuilder"/>, then the service's own registrations,
/// then <see cref="MapServiceDefaults"/>. What it sets up:
/// <list type="bullet">
/// <item>loopback listen address unless <c>urls</c> is configured; Kestrel body, header and connection limits;</item>
/// <item>structured console logging (<c>Logging:Console:FormatterName</c> = <c>json</c> for JSON lines);</item>
/// <item>health checks: <c>/healthz</c> (alive) and <c>/readyz</c> (checks tagged "ready", whose results are cached);</item>
/// <item>OpenTelemetry metrics (the service's meters, ASP.NET Core, runtime) at <c>/metrics</c> (Prometheus text), open
/// unless <c>Metrics:BearerTokenFile</c> names a token that scrapes must send (<see cref="MetricsAccess"/>);</item>
/// <item>ProblemDetails (RFC 9457) for unhandled errors on our own routes;</item>
/// <item>rate limiting per route group (<c>RateLimits:&lt;group&gt;:PermitLimit</c>, <c>WindowSeconds</c>, <c>QueueLimit</c>;
/// per client address, fixed window; none unless configured).</item>
/// </list>
/// </summary>
public static class ServiceApp
{
    /// <summary>The readiness tag.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Creates the builder with the shared defaults; <paramref name="configure"/> adjusts it before options are read (tests, hosts).</summary>
    public static WebApplicationBuilder CreateBuilder(ServiceDescription service, string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        // Everything a service creates from here on is owner-only (directories 0700, files 0600).
        OwnerOnlyFiles.RestrictProcessUmask();
        var builder = WebApplication.CreateBuilder(args);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls(service.DefaultUrl);
        }
        configure?.Invoke(builder);
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = service.MaxRequestBodyBytes;
            k.Limits.MaxRequestHeadersTotalSize = 64 * 1024;
            k.Limits.MaxRequestHeaderCount = 100;
            k.Limits.MaxRequestLineSize = 16 * 1024;
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(30);
        });
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton(MetricsAccess.FromConfiguration(builder.Configuration));
        // A store that went away (database down, disk full or read-only) is a 503 with Retry-After, logged on one line.
        builder.Services.AddExceptionHandler<StoreUnavailableHandler>();
        builder.Services.AddHealthChecks();
        builder.Services.AddOpenTelemetry().WithMetrics(m =>
        {
            foreach (var meter in service.Meters) m.AddMeter(meter);
            m.AddAspNetCoreInstrumentation().AddRuntimeInstrumentation().AddPrometheusExporter();
        });
        AddRateLimiting(builder, service);
        return builder;
    }

    /// <summary>
    /// The whole build of a service, the same for each: the shared builder; the options, bound from configuration
    /// (<paramref name="typed"/> null) or handed in typed by a host, validated either way; the body limit; the service's
    /// registrations; the container; its start-up resources opened (so that a bad store or key fails here, and whatever
    /// was opened is disposed); the shared middleware; the service's routes; /healthz, /readyz, /metrics.
    /// </summary>
    public static async Task<WebApplication> BuildAsync<TOptions>(
        ServiceDescription service,
        string[] args,
        TOptions? typed,
        Action<WebApplicationBuilder>? configure,
        Func<TOptions, long> maxRequestBytes,
        Action<WebApplicationBuilder, TOptions> register,
        Func<WebApplication, TOptions, Task> map,
        CancellationToken cancellationToken)
        where TOptions : class, IServiceOptions, new()
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(maxRequestBytes);
        ArgumentNullException.ThrowIfNull(register);
        ArgumentNullException.ThrowIfNull(map);
        cancellationToken.ThrowIfCancellationRequested();
        var builder = CreateBuilder(service, args, configure);
        TOptions options;
        if (typed is null)
        {
            options = builder.BindServiceOptions<TOptions>(service.Name);
        }
        else
        {
            builder.Services.AddServiceOptions(typed);
            options = typed;
        }
        builder.LimitRequestBody(maxRequestBytes(options));
        if (options is IDataDirectoryOptions { SecuredDataDirectory: { Length: > 0 } data })
        {
            OwnerOnlyFiles.SecureDirectory(data);
        }
        register(builder, options);
        var app = builder.Build();
        try
        {
            await app.Services.OpenResourcesAsync(cancellationToken).ConfigureAwait(false);
            app.UseServiceDefaults();
            await map(app, options).ConfigureAwait(false);
            app.MapServiceDefaults();
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        return app;
    }

    /// <summary>
    /// The entry point of a service executable: builds it with <paramref name="build"/> and runs it. A store, state file or
    /// key that cannot be opened or created (read-only, full or missing data directory, unreachable database) is one clear
    /// line on standard error and exit code 1, instead of an unhandled exception and a stack trace (docs/reliability.md);
    /// so is a wrong setting (the options checks name it) and an address that cannot be listened on.
    /// </summary>
    /// <param name="what">What could not be opened ("witness state or key").</param>
    /// <param name="build">Builds the service.</param>
    /// <param name="alsoCatch">Other start-up failures to report the same way (e.g. a key configuration error).</param>
    /// <param name="cancellationToken">Stops the service.</param>
    public static async Task<int> RunAsync(string what, Func<Task<WebApplication>> build, Func<Exception, bool>? alsoCatch = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(build);
        WebApplication app;
        try
        {
            app = await build().ConfigureAwait(false);
        }
        catch (Exception e) when (IsStartupStoreFailure(e) || alsoCatch?.Invoke(e) == true)
        {
            await Console.Error.WriteLineAsync($"error: cannot open the {what}: {OneLine(e)} (check that the data directory is writable and has free space, or that the database is reachable)").ConfigureAwait(false);
            return 1;
        }
        catch (Exception e) when (IsConfigurationError(e))
        {
            await Console.Error.WriteLineAsync($"error: {OneLine(e)}").ConfigureAwait(false);
            return 1;
        }

        await using (app.ConfigureAwait(false))
        {
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (IsConfigurationError(e) || e is IOException)
            {
                // A setting checked at start (ValidateOnStart), or Kestrel failing to bind ("address already in use").
                await Console.Error.WriteLineAsync($"error: cannot start: {OneLine(e)}").ConfigureAwait(false);
                return 1;
            }

            await Microsoft.Extensions.Hosting.HostingAbstractionsHostExtensions.WaitForShutdownAsync(app, cancellationToken).ConfigureAwait(false);
        }

        return 0;
    }

    private static string OneLine(Exception e) => e.Message.ReplaceLineEndings(" ");

    /// <summary>
    /// Whether a start-up failure is a wrong setting: the options checks throw <see cref="ArgumentException"/> naming the
    /// setting; configuration binding and <c>ValidateOnStart</c> throw <see cref="Microsoft.Extensions.Options.OptionsValidationException"/>.
    /// </summary>
    public static bool IsConfigurationError(Exception e) =>
        e is ArgumentException or Microsoft.Extensions.Options.OptionsValidationException;

    /// <summary>Whether a start-up failure is the store's or the file system's (<see cref="RunAsync"/>): a database, I/O or permission error.</summary>
    public static bool IsStartupStoreFailure(Exception e) =>
        e is System.Data.Common.DbException or IOException or UnauthorizedAccessException;

    /// <summary>Sets <c>Retry-After</c> (whole seconds, at least 1) on a pushback answer.</summary>
    public static void SetRetryAfter(this HttpResponse response, TimeSpan after)
    {
        ArgumentNullException.ThrowIfNull(response);
        response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Sets the Kestrel request body limit from the service's validated options.</summary>
    public static WebApplicationBuilder LimitRequestBody(this WebApplicationBuilder builder, long maxBytes)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = maxBytes);
        return builder;
    }

    /// <summary>
    /// Adds a readiness check (tag "ready") whose result is cached for <paramref name="cacheFor"/> (default 10 s), so that
    /// probes do not make the HSM sign on every request: the first probe (or start-up) signs, later ones reuse it.
    /// </summary>
    public static IHealthChecksBuilder AddCachedReadinessCheck<T>(this IHealthChecksBuilder builder, string name, TimeSpan? cacheFor = null) where T : class, IHealthCheck
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton<T>();
        var ttl = cacheFor ?? TimeSpan.FromSeconds(10);
        builder.Services.AddSingleton(sp => new CachedHealthCheck<T>(sp.GetRequiredService<T>(), ttl, TimeProvider.System));
        return builder.Add(new HealthCheckRegistration(name, sp => sp.GetRequiredService<CachedHealthCheck<T>>(), HealthStatus.Unhealthy, [ReadyTag]));
    }

    /// <summary>
    /// Adds a readiness check (tag "ready") of the service's store: it must reach the store itself (a database query, not
    /// state held in memory), so that <c>/readyz</c> turns 503 within about a second of the database going away and a
    /// load balancer stops sending writes that would get 503. Its result is cached for 1 s (healthy or not) and it times
    /// out after <paramref name="timeout"/> (default 5 s), which counts as unhealthy.
    /// </summary>
    public static IHealthChecksBuilder AddStoreReadinessCheck<T>(this IHealthChecksBuilder builder, string name, TimeSpan? timeout = null) where T : class, IHealthCheck
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton<T>();
        builder.Services.AddSingleton(sp => new CachedHealthCheck<T>(sp.GetRequiredService<T>(), TimeSpan.FromSeconds(1), TimeProvider.System));
        return builder.Add(new HealthCheckRegistration(name, sp => sp.GetRequiredService<CachedHealthCheck<T>>(), HealthStatus.Unhealthy, [ReadyTag], timeout ?? TimeSpan.FromSeconds(5)));
    }

    /// <summary>
    /// The store readiness check (<see cref="AddStoreReadinessCheck{T}(IHealthChecksBuilder, string, TimeSpan?)"/>) from a probe of <typeparamref name="TService"/>
    /// that reads the store and throws when it does not answer.
    /// </summary>
    public static IHealthChecksBuilder AddStoreReadinessCheck<TService>(this IHealthChecksBuilder builder, string name, Func<TService, CancellationToken, Task> probe, TimeSpan? timeout = null) where TService : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(probe);
        builder.Services.AddSingleton(sp => new StoreProbe<TService>(sp.GetRequiredService<TService>(), probe));
        return builder.AddStoreReadinessCheck<StoreProbe<TService>>(name, timeout);
    }

    /// <summary>A refused request body above this many bytes ends the connection (<c>Connection: close</c>).</summary>
    private const long LargeRefusedBody = 64 * 1024;

    /// <summary>Bodies of GET, HEAD, DELETE and OPTIONS requests read and dropped before the route runs, up to this size.</summary>
    private const int DrainedBodyLimit = 16 * 1024;

    /// <summary>A GET, HEAD, DELETE or OPTIONS request that carries a body (no route of ours reads one).</summary>
    private static bool HasBodyItDoesNotRead(HttpRequest request) =>
        (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsDelete(request.Method) || HttpMethods.IsOptions(request.Method))
        && (request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0));

    /// <summary>
    /// A body that no route reads is read and dropped first when small, so the keep-alive connection survives: Kestrel
    /// drains an unread body after the response only when little is left to read, and otherwise closes the connection
    /// after a response that did not say so, and a keep-alive client's next request fails (seen by the HTTP mutation
    /// suite with GETs carrying bodies). A larger body is not read, and the response says <c>Connection: close</c>.
    /// </summary>
    private static async Task DrainThenAsync(HttpContext context, RequestDelegate next)
    {
        if (context.Request.ContentLength is > DrainedBodyLimit)
        {
            context.Response.Headers.Connection = "close";
        }
        else
        {
            var buffer = new byte[4096];
            long read = 0;
            int n;
            while (read <= DrainedBodyLimit && (n = await context.Request.Body.ReadAsync(buffer, context.RequestAborted).ConfigureAwait(false)) > 0)
            {
                read += n;
            }
            if (read > DrainedBodyLimit)
            {
                context.Response.Headers.Connection = "close";
            }
        }
        await next(context).ConfigureAwait(false);
    }

    /// <summary>Maps <c>/healthz</c>, <c>/readyz</c> and <c>/metrics</c>, and turns on exception → ProblemDetails and rate limiting.</summary>
    public static WebApplication UseServiceDefaults(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // A 413 (or another refusal of a big body) is sent before the body is read (a route checks Content-Length, or
        // Kestrel's limit trips), and Kestrel then closes the connection rather than read the rest: say so, or a keep-alive
        // client sends its next request into a closed socket (issue 20 #10). Small unread bodies are drained by Kestrel.
        app.Use((context, next) =>
        {
            context.Response.OnStarting(static state =>
            {
                var response = (HttpResponse)state;
                var length = response.HttpContext.Request.ContentLength;
                if (response.StatusCode == StatusCodes.Status413PayloadTooLarge
                    || (response.StatusCode >= 400 && length > LargeRefusedBody))
                {
                    response.Headers.Connection = "close";
                }
                return Task.CompletedTask;
            }, context.Response);
            return HasBodyItDoesNotRead(context.Request) ? DrainThenAsync(context, next) : next(context);
        });
        // Kestrel's own refusals (body too large, malformed request) keep their status; anything else is a 500 problem.
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            StatusCodeSelector = ex => ex is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError,
            // A store failure is logged by StoreUnavailableHandler (one rate-limited line), also when the response had
            // already started and could not become a 503: no stack trace per request from the middleware.
            SuppressDiagnosticsCallback = context => StoreUnavailableHandler.FindStoreFailure(context.Exception) is not null,
        });
        app.UseRateLimiter();
        return app;
    }

    /// <summary>Maps <c>/healthz</c> (alive), <c>/readyz</c> (ready checks) and <c>/metrics</c>.</summary>
    public static WebApplication MapServiceDefaults(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapHealthChecks("/healthz", new() { Predicate = _ => false });
        app.MapHealthChecks("/readyz", new() { Predicate = c => c.Tags.Contains(ReadyTag) });
        var access = app.Services.GetRequiredService<MetricsAccess>();
        var metrics = app.MapPrometheusScrapingEndpoint("/metrics");
        if (access.RequiresToken)
        {
            metrics.Add(endpoint =>
            {
                var scrape = endpoint.RequestDelegate!;
                endpoint.RequestDelegate = context =>
                {
                    if (access.Allows(context.Request)) return scrape(context);
                    context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                    return Task.CompletedTask;
                };
            });
        }
        return app;
    }

    /// <summary>Applies the rate limit configured for <paramref name="group"/> (none unless <c>RateLimits:&lt;group&gt;</c> is set).</summary>
    public static TBuilder WithRateLimit<TBuilder>(this TBuilder builder, string group) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireRateLimiting(PolicyName(group));

    private static string PolicyName(string group) => "ratelimit:" + group;

    /// <summary>
    /// The limit of <paramref name="group"/>: the service's default for it, overridden by <c>RateLimits:&lt;group&gt;</c>,
    /// validated (throws naming the bad setting).
    /// </summary>
    public static RateLimitSettings ReadRateLimit(IConfiguration configuration, ServiceDescription service, string group)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(service);
        var limit = service.DefaultRateLimits.TryGetValue(group, out var defaults)
            ? new RateLimitSettings { PermitLimit = defaults.PermitLimit, WindowSeconds = defaults.WindowSeconds, QueueLimit = defaults.QueueLimit }
            : new RateLimitSettings();
        configuration.GetSection("RateLimits").GetSection(group).Bind(limit);
        limit.Validate($"RateLimits:{group}");
        return limit;
    }

    /// <summary>A fixed-window limiter per partition key (client address, account name) with <paramref name="limit"/>; none when it is 0.</summary>
    public static RateLimitPartition<string> Partition(RateLimitSettings limit, string key)
    {
        ArgumentNullException.ThrowIfNull(limit);
        return limit.PermitLimit <= 0
            ? RateLimitPartition.GetNoLimiter("")
            : RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions
            {
                PermitLimit = limit.PermitLimit,
                Window = TimeSpan.FromSeconds(limit.WindowSeconds),
                QueueLimit = limit.QueueLimit,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            });
    }

    private static void AddRateLimiting(WebApplicationBuilder builder, ServiceDescription service)
    {
        var paths = service.RateLimitedPaths.ToDictionary(p => p.Key, p => ReadRateLimit(builder.Configuration, service, p.Value), StringComparer.OrdinalIgnoreCase);
        builder.Services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = (context, _) =>
            {
                if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retry)) context.HttpContext.Response.SetRetryAfter(retry);
                return ValueTask.CompletedTask;
            };
            foreach (var group in service.RateLimitedGroups)
            {
                var limit = ReadRateLimit(builder.Configuration, service, group);
                o.AddPolicy(PolicyName(group), http => Partition(limit, http.Connection.RemoteIpAddress?.ToString() ?? ""));
            }
            if (paths.Count > 0)
            {
                // Framework-handled paths have no endpoint to carry a policy: the global limiter picks them by path.
                o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                    paths.TryGetValue(http.Request.Path.Value ?? "", out var limit)
                        ? Partition(limit, http.Request.Path.Value + "|" + http.Connection.RemoteIpAddress)
                        : RateLimitPartition.GetNoLimiter(""));
            }
        });
    }
}

/// <summary>A route group's rate limit (configuration <c>RateLimits:&lt;group&gt;</c>), per client address.</summary>
public sealed class RateLimitSettings
{
    /// <summary>Requests per window per client address; 0 (default) means no limit.</summary>
    public int PermitLimit { get; set; }

    /// <summary>The window in seconds.</summary>
    public int WindowSeconds { get; set; } = 1;

    /// <summary>Requests that may wait for the next window instead of a 429.</summary>
    public int QueueLimit { get; set; }

    /// <summary>Checks the settings.</summary>
    public void Validate(string section)
    {
        if (PermitLimit < 0) throw new ArgumentException($"{section}:PermitLimit must not be negative");
        if (WindowSeconds is < 1 or > 3600) throw new ArgumentException($"{section}:WindowSeconds must be in 1..3600");
        if (QueueLimit < 0) throw new ArgumentException($"{section}:QueueLimit must not be negative");
    }
}

/// <summary>Caches another check's result for a short time (readiness probes must not sign with the HSM on every request).</summary>
/// <summary>A store readiness check: healthy when the probe returns, unhealthy with the reason when it throws.</summary>
internal sealed class StoreProbe<TService>(TService service, Func<TService, CancellationToken, Task> probe) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await probe(service, cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy($"the log store does not answer: {ex.Message}", ex);
        }
    }
}

internal sealed class CachedHealthCheck<T>(T inner, TimeSpan ttl, TimeProvider time) : IHealthCheck, IDisposable where T : IHealthCheck
{
    public void Dispose() => _gate.Dispose();

    private readonly SemaphoreSlim _gate = new(1, 1);
    private HealthCheckResult _last;
    private DateTimeOffset _expires = DateTimeOffset.MinValue;

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (time.GetUtcNow() < _expires) return _last;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (time.GetUtcNow() < _expires) return _last;
            _last = await inner.CheckHealthAsync(context, cancellationToken).ConfigureAwait(false);
            // A failure is cached only briefly, so that recovery shows quickly.
            _expires = time.GetUtcNow() + (_last.Status == HealthStatus.Healthy ? ttl : TimeSpan.FromSeconds(1));
            return _last;
        }
        finally
        {
            _gate.Release();
        }
    }
}
