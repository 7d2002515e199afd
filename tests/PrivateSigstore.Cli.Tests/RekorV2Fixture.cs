using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Core.ProtoJson;
using PrivateSigstore.Core.Trust;
using PrivateSigstore.Rekor.V2;
using PrivateSigstore.Timestamp;

namespace PrivateSigstore.Cli.Tests;

/// <summary>
/// Our Rekor v2 service (feat/rekor-v2: <see cref="RekorV2App"/>, Ed25519 checkpoint key, origin "127.0.0.1") and our
/// RFC 3161 timestamp authority (feat/tsa: <see cref="TimestampApp"/>, development chain), each on real Kestrel on a free
/// loopback port with a temporary data directory; a P-256 signing key; a trusted root listing the v2 log (log ID = the
/// C2SP Ed25519 note key ID, built by Core's <see cref="TrustMaterialBuilder"/>) and the TSA; and a signing config v0.2
/// listing a v1 log (a dead URL, never chosen), the v2 log and the TSA.
/// </summary>
public sealed class RekorV2Fixture : IAsyncLifetime
{
    private WebApplication? _rekor;
    private WebApplication? _tsa;

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("psig-v2-").FullName;

    public string RekorUrl { get; private set; } = "";

    public string TsaUrl { get; private set; } = "";

    public string KeyPath => Path.Combine(Directory, "signing.key.pem");

    public string PublicKeyPath => Path.Combine(Directory, "signing.pub.pem");

    public string TrustedRootPath => Path.Combine(Directory, "trusted_root.json");

    public string SigningConfigPath => Path.Combine(Directory, "signing_config.v0.2.json");

    public RekorV2TrustInfo Trust { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _rekor = await RekorV2App.BuildAsync(
            new RekorV2Options { DataDirectory = System.IO.Directory.CreateDirectory(Path.Combine(Directory, "rekor-v2")).FullName, Origin = "127.0.0.1" },
            b =>
            {
                b.WebHost.UseUrls("http://127.0.0.1:0");
                b.Logging.ClearProviders();
            }, ct);
        await _rekor.StartAsync(ct);
        RekorUrl = Address(_rekor);
        Trust = _rekor.Services.GetRekorV2TrustInfo();

        _tsa = await TimestampApp.BuildAsync(
            new TimestampOptions { DataDirectory = System.IO.Directory.CreateDirectory(Path.Combine(Directory, "tsa")).FullName },
            ["--urls", "http://127.0.0.1:0"], b => b.Logging.ClearProviders(), ct);
        await _tsa.StartAsync(ct);
        TsaUrl = Address(_tsa);

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        await File.WriteAllTextAsync(KeyPath, key.ExportPkcs8PrivateKeyPem(), ct);
        await File.WriteAllTextAsync(PublicKeyPath, GoPem.EncodePublicKey(key.ExportSubjectPublicKeyInfo()), ct);

        using var http = new HttpClient();
        var chain = GoPem.DecodeCertificates(await http.GetStringAsync(TsaUrl + "/api/v1/timestamp/certchain", ct));
        var start = DateTimeOffset.UtcNow.AddHours(-1);
        var root = TrustMaterialBuilder.TrustedRoot([], [new TrustedLog(RekorUrl, Trust.SubjectPublicKeyInfo, start, CheckpointOrigin: Trust.Origin)], [],
            [new TrustedAuthority(TsaUrl + "/api/v1/timestamp", chain, start)]);
        await File.WriteAllTextAsync(TrustedRootPath, TrustedRootJson.Serialize(root, indented: true), ct);
        await File.WriteAllTextAsync(SigningConfigPath, SigningConfigJson.Serialize(SigningConfig(), indented: true), ct);
    }

    /// <summary>A v0.2 config with a v1 log (older, never reachable), the v2 log, and the TSA unless <paramref name="withTsa"/> is false.</summary>
    public SigningConfig SigningConfig(bool withTsa = true)
    {
        var start = new TimeRange { Start = ProtoTimestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddDays(-1)) };
        return new SigningConfig
        {
            MediaType = SigningConfigMediaType.V0_2,
            RekorTlogUrls =
            [
                new Service { Url = "http://127.0.0.1:9/rekor-v1-unused", MajorApiVersion = 1, ValidFor = start, Operator = "test" },
                new Service { Url = RekorUrl, MajorApiVersion = 2, ValidFor = start, Operator = "test" },
            ],
            RekorTlogConfig = new ServiceConfiguration { Selector = ServiceSelector.Any },
            TsaUrls = withTsa ? [new Service { Url = TsaUrl + "/api/v1/timestamp", MajorApiVersion = 1, ValidFor = start, Operator = "test" }] : [],
            TsaConfig = new ServiceConfiguration { Selector = ServiceSelector.Any },
        };
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in new[] { _rekor, _tsa })
        {
            if (app is not null)
            {
                await app.StopAsync(CancellationToken.None);
                await app.DisposeAsync();
            }
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

    private static string Address(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/');
}
