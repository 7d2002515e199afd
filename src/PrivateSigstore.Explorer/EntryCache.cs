using Microsoft.Extensions.Caching.Memory;

namespace PrivateSigstore.Explorer;

/// <summary>
/// Log entries are immutable once logged: a bounded cache (by count) of entries read, keyed by log and index, so that
/// result pages and charts do not ask the logs again.
/// </summary>
internal sealed class EntryCache : IDisposable
{
    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = 100_000 });

    public T? Get<T>(string log, long index) where T : class => _cache.Get<T>((log, index));

    public void Set<T>(string log, long index, T value) where T : class =>
        _cache.Set((log, index), value, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = TimeSpan.FromHours(1) });

    public void Dispose() => _cache.Dispose();
}
