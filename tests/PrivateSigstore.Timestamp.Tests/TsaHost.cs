using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using PrivateSigstore.Core.Pem;

namespace PrivateSigstore.Timestamp.Tests;

/// <summary>A real timestamp authority (real Kestrel) on a free loopback port, built from <see cref="TimestampOptions"/>.</summary>
internal sealed class TsaHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly MeterListener _listener = new();
    private long _issued;

    private TsaHost(WebApplication app, int port)
    {
        _app = app;
        Port = port;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        // Count this host's "issued" outcomes (its own Meter instance, so parallel hosts do not mix).
        var meter = app.Services.GetRequiredService<TimestampMetrics>().Meter;
        _listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, meter)) l.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag is { Key: "outcome", Value: "issued" }) Interlocked.Add(ref _issued, value);
            }
        });
        _listener.Start();
    }

    public HttpClient Http { get; }

    public int Port { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Tokens issued so far (from the service's own metric).</summary>
    public long Issued => Interlocked.Read(ref _issued);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>The port Kestrel bound (after start with port 0).</summary>
    public static int BoundPort(WebApplication app) =>
        new Uri(app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
            .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First()).Port;

    public static string TempDirectory(string what) => Directory.CreateTempSubdirectory($"psig-tsa-{what}-").FullName;

    /// <summary>Starts an authority; with default options it runs on the development key and chain in a fresh directory.</summary>
    public static async Task<TsaHost> StartAsync(TimestampOptions? options = null)
    {
        options ??= new TimestampOptions();
        if (options.DataDirectory == "data/tsa") options.DataDirectory = TempDirectory("data");
        // Port 0: the kernel picks a free port at bind time (a port probed free and released first can be taken by
        // another test process before Kestrel binds it).
        var app = await TimestampApp.BuildAsync(options, ["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "Warning"], cancellationToken: Ct);
        await app.StartAsync(Ct);
        return new TsaHost(app, BoundPort(app));
    }

    /// <summary>The chain from /api/v1/timestamp/certchain (leaf first).</summary>
    public async Task<X509Certificate2[]> ChainAsync()
    {
        var pem = await Http.GetStringAsync("/api/v1/timestamp/certchain", Ct);
        return [.. GoPem.DecodeCertificates(pem).Select(X509CertificateLoader.LoadCertificate)];
    }

    public async Task<(HttpStatusCode Status, byte[] Body, string? ContentType)> PostAsync(byte[] body, string contentType)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        using var response = await Http.PostAsync("/api/v1/timestamp", content, Ct);
        return (response.StatusCode, await response.Content.ReadAsByteArrayAsync(Ct), response.Content.Headers.ContentType?.ToString());
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        Http.Dispose();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
