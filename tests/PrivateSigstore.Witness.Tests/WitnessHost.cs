using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Pkcs11;

namespace PrivateSigstore.Witness.Tests;

/// <summary>A real witness (real Kestrel on 127.0.0.1:0) built from <see cref="WitnessOptions"/>.</summary>
internal sealed class WitnessHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private WitnessHost(WebApplication app, int port)
    {
        _app = app;
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
    }

    public HttpClient Http { get; }

    public IServiceProvider Services => _app.Services;

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static string TempDirectory() => Directory.CreateTempSubdirectory("psig-witness-").FullName;

    /// <summary>Options over a fresh data directory, a PEM Ed25519 witness key the test knows, and the given logs.</summary>
    public static (WitnessOptions Options, byte[] PublicKey) NewOptions(params TestLog[] logs)
    {
        var dir = TempDirectory();
        var keyPath = Path.Combine(dir, "witness-key.pem");
        byte[] publicKey;
        using (var key = PemSigningKey.LoadOrCreate(keyPath, SigningAlgorithm.Ed25519, out _))
        {
            publicKey = Ed25519.PublicKeyFromSubjectPublicKeyInfo(key.SubjectPublicKeyInfo);
        }

        var options = new WitnessOptions
        {
            DataDirectory = dir,
            Name = "witness.test.local",
            Key = new SigningKeyOptions { KeyPath = keyPath, Algorithm = SigningAlgorithm.Ed25519 },
            Logs = [.. logs.Select(l => new WitnessLogOptions { Origin = l.Origin, VerifierKey = l.VerifierKey })],
        };
        return (options, publicKey);
    }

    public static async Task<WitnessHost> StartAsync(WitnessOptions options)
    {
        var app = await WitnessApp.BuildAsync(options, ["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default", "Critical"], cancellationToken: Ct);
        await app.StartAsync(Ct);
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        return new WitnessHost(app, port);
    }

    public async Task<(HttpStatusCode Status, string Body, string? ContentType)> AddAsync(string body)
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        using var response = await Http.PostAsync("/add-checkpoint", content, Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct), response.Content.Headers.ContentType?.MediaType);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
