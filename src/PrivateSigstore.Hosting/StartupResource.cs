using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace PrivateSigstore.Hosting;

/// <summary>
/// A resource (a log, a store, a key) opened by an async factory once, before the server accepts requests, and
/// disposed by the container: resolving <typeparamref name="T"/> hands it to the container, which disposes it with the
/// application; a resource that was opened but never handed out (start-up failed later) is disposed here.
/// </summary>
/// <typeparam name="T">The resource.</typeparam>
public sealed class StartupResource<T> : IHostedLifecycleService, IAsyncDisposable where T : class
{
    private readonly IServiceProvider _services;
    private readonly Func<IServiceProvider, CancellationToken, Task<T>> _factory;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private T? _value;
    private bool _handedOut;

    internal StartupResource(IServiceProvider services, Func<IServiceProvider, CancellationToken, Task<T>> factory)
    {
        _services = services;
        _factory = factory;
    }

    /// <summary>The opened resource (after <see cref="OpenAsync"/>).</summary>
    internal T Value
    {
        get
        {
            var value = _value ?? throw new InvalidOperationException($"{typeof(T).Name} is opened when the application starts (or by ServiceApp.OpenResourcesAsync); it was resolved before");
            _handedOut = true;
            return value;
        }
    }

    /// <summary>Opens the resource unless it is open.</summary>
    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        if (_value is not null) return;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _value ??= await _factory(_services, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public Task StartingAsync(CancellationToken cancellationToken) => OpenAsync(cancellationToken);

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (!_handedOut)
        {
            switch (_value)
            {
                case IAsyncDisposable a: await a.DisposeAsync().ConfigureAwait(false); break;
                case IDisposable d: d.Dispose(); break;
            }
        }
        _value = null;
        _gate.Dispose();
    }
}

/// <summary>Registration of <see cref="StartupResource{T}"/>s.</summary>
public static class StartupResources
{
    /// <summary>
    /// Registers <typeparamref name="T"/> as a singleton opened by <paramref name="factory"/> when the application starts
    /// (or earlier, by <see cref="OpenResourcesAsync"/>) and disposed by the container.
    /// </summary>
    public static IServiceCollection AddStartupResource<T>(this IServiceCollection services, Func<IServiceProvider, CancellationToken, Task<T>> factory) where T : class
    {
        services.AddSingleton(sp => new StartupResource<T>(sp, factory));
        services.AddSingleton<IOpenableResource>(sp => new Openable<T>(sp.GetRequiredService<StartupResource<T>>()));
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<StartupResource<T>>());
        services.AddSingleton(sp => sp.GetRequiredService<StartupResource<T>>().Value);
        return services;
    }

    /// <summary>
    /// Opens every registered resource in registration order, so that building a service fails at once on a bad store or
    /// key (the application is disposed, and with it whatever was opened).
    /// </summary>
    public static async Task OpenResourcesAsync(this IServiceProvider services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        foreach (var resource in services.GetServices<IOpenableResource>())
        {
            await resource.OpenAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    internal interface IOpenableResource
    {
        Task OpenAsync(CancellationToken cancellationToken);
    }

    private sealed class Openable<T>(StartupResource<T> resource) : IOpenableResource where T : class
    {
        public Task OpenAsync(CancellationToken cancellationToken) => resource.OpenAsync(cancellationToken);
    }
}
