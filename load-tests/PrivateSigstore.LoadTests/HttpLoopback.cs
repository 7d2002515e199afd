using System.Net;

namespace PrivateSigstore.LoadTests;

/// <summary>
/// The HTTP side of the service load scenarios: the loopback-only guard on <c>--url</c> and one pooled
/// <see cref="HttpClient"/> per run.
/// </summary>
internal static class HttpLoopback
{
    /// <summary>The only hosts a load scenario may talk to.</summary>
    private static readonly string[] LoopbackHosts = ["127.0.0.1", "[::1]", "::1", "localhost"];

    /// <summary>
    /// Parses <paramref name="url"/> and refuses anything that is not http(s) on 127.0.0.1, ::1 or localhost:
    /// load runs must never leave this machine. The <see cref="ArgumentException"/> makes the tool print why and exit 2.
    /// </summary>
    public static Uri ParseUrl(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"--url '{url}' is not an absolute http(s) URL");
        }
        if (!LoopbackHosts.Contains(uri.Host, StringComparer.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"--url host '{uri.Host}' is not loopback; load scenarios only talk to 127.0.0.1, ::1 or localhost");
        }
        return new Uri(uri.GetLeftPart(UriPartial.Authority) + "/");
    }

    /// <summary>
    /// A client whose pool holds up to <paramref name="connections"/> long-lived HTTP/1.1 connections (one per
    /// worker, so no worker waits for a connection), with no proxy, no cookies and no decompression.
    /// </summary>
    public static HttpClient CreateClient(Uri baseAddress, int connections, TimeSpan timeout)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = connections,
            PooledConnectionLifetime = TimeSpan.FromHours(1),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
        };
        return new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = baseAddress,
            Timeout = timeout,
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
    }

    /// <summary>Opens up to <paramref name="connections"/> pooled connections before the timed phase (cheap GETs in parallel).</summary>
    public static async Task WarmUpAsync(HttpClient client, string path, int connections, CancellationToken ct)
    {
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
        {
            using var response = await client.GetAsync(path, ct).ConfigureAwait(false);
            await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
        })).ConfigureAwait(false);
    }
}
