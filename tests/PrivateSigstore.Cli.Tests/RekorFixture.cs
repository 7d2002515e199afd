using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PrivateSigstore.Client.Trust;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Rekor;

namespace PrivateSigstore.Cli.Tests;

/// <summary>
/// Our Rekor v1 service on real Kestrel (a free loopback port, a temporary SQLite data directory, checkpoint
/// name "127.0.0.1", a substring of the base URL as sigstore-js requires), a P-256 signing key in a PEM file, and a trusted_root.json
/// listing only this log.
/// </summary>
public sealed class RekorFixture : IAsyncLifetime
{
    private WebApplication? _app;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("psig-cli-").FullName;

    public string Url { get; private set; } = "";

    public string KeyPath => Path.Combine(Directory, "signing.key.pem");

    public string PublicKeyPath => Path.Combine(Directory, "signing.pub.pem");

    public string TrustedRootPath => Path.Combine(Directory, "trusted_root.json");

    public string TrustedRootJson { get; private set; } = "";

    public byte[] SigningKeySpki { get; private set; } = [];

    public async ValueTask InitializeAsync()
    {
        // Port 0; the checkpoint signer name "127.0.0.1" is a substring of the base URL, as sigstore-js requires.
        var data = System.IO.Directory.CreateDirectory(Path.Combine(Directory, "rekor")).FullName;
        _app = await RekorApp.BuildAsync(
            ["--urls", "http://127.0.0.1:0", "--Rekor:DataDirectory", data, "--Rekor:Hostname", "127.0.0.1"],
            b => b.Logging.ClearProviders(), TestContext.Current.CancellationToken);
        await _app.StartAsync(TestContext.Current.CancellationToken);
        Url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await File.WriteAllTextAsync(KeyPath, key.ExportPkcs8PrivateKeyPem());
        SigningKeySpki = key.ExportSubjectPublicKeyInfo();
        await File.WriteAllTextAsync(PublicKeyPath, GoPem.EncodePublicKey(SigningKeySpki));
        using var http = new HttpClient();
        var root = await TrustedRootBuilder.FromServicesAsync(http, new Uri(Url), null, [], DateTimeOffset.UtcNow.AddHours(-1), TestContext.Current.CancellationToken);
        TrustedRootJson = Core.Trust.TrustedRootJson.Serialize(root, indented: true);
        await File.WriteAllTextAsync(TrustedRootPath, TrustedRootJson);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold a file briefly; the OS cleans temp.
        }
    }

    public string NewFile(string name, string content)
    {
        var path = Path.Combine(Directory, Guid.NewGuid().ToString("N")[..8] + "-" + name);
        File.WriteAllText(path, content);
        return path;
    }
}
