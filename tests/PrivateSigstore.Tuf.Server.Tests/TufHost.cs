using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using PrivateSigstore.Keys.Pkcs11;

namespace PrivateSigstore.Tuf.Server.Tests;

/// <summary>A repository made as the Stack makes it (PEM keys in keys/, both Sigstore targets), and the service over it on real Kestrel.</summary>
internal sealed class TufHost : IAsyncDisposable
{
    public static readonly byte[] TrustedRoot = Encoding.UTF8.GetBytes("{\n  \"mediaType\": \"application/vnd.dev.sigstore.trustedroot+json;version=0.1\"\n}\n");
    public static readonly byte[] SigningConfig = Encoding.UTF8.GetBytes("{\n  \"mediaType\": \"application/vnd.dev.sigstore.signingconfig.v0.2+json\"\n}\n");

    private readonly WebApplication _app;

    private TufHost(WebApplication app, int port, string directory)
    {
        _app = app;
        Port = port;
        Directory = directory;
        Url = $"http://127.0.0.1:{port}";
        Http = new HttpClient { BaseAddress = new Uri(Url) };
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public int Port { get; }

    public string Url { get; }

    public string Directory { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => _app.Services;

    public TufRepository Repository => TufRepository.Open(Directory);

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>A published repository in a fresh directory: one PEM key per role in keys/, both targets.</summary>
    public static string CreateRepository(DateTimeOffset now, TufExpiryPolicy? policy = null)
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("psig-tuf-server-").FullName;
        using var root = TufDevelopmentRepository.LoadOrCreateKey(dir, TufRole.Root, out _);
        using var targets = TufDevelopmentRepository.LoadOrCreateKey(dir, TufRole.Targets, out _);
        using var snapshot = TufDevelopmentRepository.LoadOrCreateKey(dir, TufRole.Snapshot, out _);
        using var timestamp = TufDevelopmentRepository.LoadOrCreateKey(dir, TufRole.Timestamp, out _);
        TufDevelopmentRepository.CreateAndPublish(dir, root, targets, snapshot, timestamp,
            new Dictionary<string, byte[]> { [TufRepository.TrustedRootTarget] = TrustedRoot, [TufRepository.SigningConfigTarget] = SigningConfig }, policy, now);
        return dir;
    }

    /// <summary>Options for the repository in <paramref name="dir"/> with its PEM online keys.</summary>
    public static TufOptions Options(string dir) => new()
    {
        RepositoryDirectory = dir,
        SnapshotKey = new SigningKeyOptions { KeyPath = TufDevelopmentRepository.KeyPath(dir, TufRole.Snapshot) },
        TimestampKey = new SigningKeyOptions { KeyPath = TufDevelopmentRepository.KeyPath(dir, TufRole.Timestamp) },
    };

    public static async Task<TufHost> StartAsync(TufOptions options, TimeProvider? time = null)
    {
        var port = FreePort();
        var app = await TufApp.BuildAsync(options, ["--urls", $"http://127.0.0.1:{port}", "--Logging:LogLevel:Default", "Warning"], b =>
        {
            if (time is not null) b.Services.AddSingleton(time);
        }, Ct);
        await app.StartAsync(Ct);
        return new TufHost(app, port, options.EffectiveDirectory);
    }

    /// <summary>Sends <paramref name="target"/> as the request line's target, byte for byte (HttpClient would normalise "../").</summary>
    public async Task<(int Status, string Head)> RawAsync(string target, string method = "GET")
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port, Ct);
        await using var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"), Ct);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var response = await reader.ReadToEndAsync(Ct);
        var status = int.Parse(response.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        return (status, response.Split("\r\n\r\n")[0]);
    }

    /// <summary>The expiry gauge's current values by role, from this host's own meter.</summary>
    public Dictionary<string, double> ExpiryGauge()
    {
        var meter = Services.GetRequiredService<TufMetrics>().Meter;
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, meter) && instrument.Name == "privatesigstore.tuf.time_to_expiry") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "role") values[(string)tag.Value!] = value;
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
