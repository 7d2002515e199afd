using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace PrivateSigstore.Monitor.Tests;

/// <summary>Runs the monitor on 127.0.0.1:0 and waits on it with bounded timeouts.</summary>
internal sealed class MonitorHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private MonitorHost(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }

    public IServiceProvider Services => _app.Services;

    public AlertStore Alerts => _app.Services.GetRequiredService<AlertStore>();

    public LogFollower Follower => _app.Services.GetServices<LogFollower>().Single();

    public static async Task<MonitorHost> StartAsync(MonitorOptions options)
    {
        var app = await MonitorApp.BuildAsync(options, [], b =>
        {
            b.WebHost.UseUrls("http://127.0.0.1:0");
            b.Logging.ClearProviders();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new MonitorHost(app, new Uri(address));
    }

    public static MonitorOptions Options(FakeLog log, MonitoredLogKind kind, string? dataDirectory = null) => new()
    {
        DataDirectory = dataDirectory ?? TempDirectory(),
        Logs = [new MonitoredLogOptions { Kind = kind, Url = log.Url.AbsoluteUri, PublicKey = log.PublicKeyPem }],
        PollIntervalMilliseconds = 20,
    };

    public static string TempDirectory()
    {
        var path = Path.Combine(Path.GetTempPath(), "psig-monitor-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(path);
        return path;
    }

    /// <summary>Waits (at most 15 s) until the follower has verified <paramref name="size"/> and read every entry.</summary>
    public Task WaitForSizeAsync(long size) =>
        WaitAsync(() => Follower.State is { } s && s.Size == size && s.NextEntry == size, $"verified size {size}");

    /// <summary>Waits until the follower has completed <paramref name="polls"/> more polls (so a change has been seen).</summary>
    public async Task MorePollsAsync(int polls = 3)
    {
        var target = Follower.Polls + polls;
        await WaitAsync(() => Follower.Polls >= target, $"{polls} more polls");
    }

    public Task<List<MonitorAlert>> WaitForAlertAsync(string kind) =>
        WaitForAsync(() => Alerts.List().Where(a => a.Kind == kind).ToList() is { Count: > 0 } l ? l : null, $"an alert of kind {kind}");

    public static async Task WaitAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(10);
        }
    }

    public static async Task<T> WaitForAsync<T>(Func<T?> probe, string what) where T : class
    {
        T? value = null;
        await WaitAsync(() => (value = probe()) is not null, what);
        return value!;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Fulcio-like certificates made with the BCL.</summary>
internal static class Certs
{
    public static byte[] Fulcio(string email, string issuer, string? buildSignerUri = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return Fulcio(key, email, issuer, buildSignerUri);
    }

    public static byte[] Fulcio(ECDsa key, string email, string issuer, string? buildSignerUri = null)
    {
        var request = new CertificateRequest("", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddEmailAddress(email);
        request.CertificateExtensions.Add(san.Build(true));
        request.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.57264.1.8", Utf8String(issuer), false));
        request.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.57264.1.1", Encoding.UTF8.GetBytes(issuer), false));
        if (buildSignerUri is not null) request.CertificateExtensions.Add(new X509Extension("1.3.6.1.4.1.57264.1.9", Utf8String(buildSignerUri), false));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(10));
        return cert.RawData;
    }

    private static byte[] Utf8String(string text)
    {
        var w = new AsnWriter(AsnEncodingRules.DER);
        w.WriteCharacterString(UniversalTagNumber.UTF8String, text);
        return w.Encode();
    }

    /// <summary>A hashedrekord 0.0.1 body carrying <paramref name="certDer"/> as a PEM certificate.</summary>
    public static byte[] HashedRekord(byte[] certDer)
    {
        var pem = PemEncoding.WriteString("CERTIFICATE", certDer);
        var digest = Convert.ToHexStringLower(SHA256.HashData(certDer));
        var content = Convert.ToBase64String(Encoding.UTF8.GetBytes(pem));
        var json = "{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\",\"spec\":{\"data\":{\"hash\":{\"algorithm\":\"sha256\",\"value\":\"" + digest
            + "\"}},\"signature\":{\"content\":\"MEUCIQ==\",\"publicKey\":{\"content\":\"" + content + "\"}}}}";
        return Encoding.UTF8.GetBytes(json);
    }
}
