using System.Net;
using Microsoft.AspNetCore.Builder;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Pem;

namespace PrivateSigstore.Rekor.Tests;

/// <summary>A real Rekor service on a free loopback port with a fresh data directory (real Kestrel, SQLite, dev key).</summary>
public sealed class RekorFixture : IAsyncLifetime
{
    private WebApplication? _app;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "psig-rekor-tests", Guid.NewGuid().ToString("N"));

    public int Port { get; private set; }

    public string Hostname => $"127.0.0.1:{Port}";

    public HttpClient Http { get; private set; } = null!;

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public async ValueTask InitializeAsync()
    {
        Port = FreePort();
        _app = await RekorApp.BuildAsync([
            "--urls", $"http://127.0.0.1:{Port}",
            "--Rekor:DataDirectory", DataDirectory,
            "--Rekor:Hostname", Hostname,
            "--Logging:LogLevel:Default", "Warning",
        ]);
        await _app.StartAsync();
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}") };
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    public async Task<long> TreeSizeAsync()
    {
        var info = JsonNode.Parse(await Http.GetStringAsync("/api/v1/log"))!;
        return info["treeSize"]!.GetValue<long>();
    }
}

/// <summary>Builds proposed entries the way clients do.</summary>
internal static class Proposals
{
    public static readonly ECDsa Key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public static string KeyPem(AsymmetricAlgorithm? key = null) =>
        GoPem.EncodePublicKey((key ?? Key) switch
        {
            ECDsa e => e.ExportSubjectPublicKeyInfo(),
            RSA r => r.ExportSubjectPublicKeyInfo(),
            _ => throw new ArgumentException("unsupported key"),
        });

    public static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));

    /// <summary>A valid hashedrekord 0.0.1 over a random artifact digest, signed by <see cref="Key"/>.</summary>
    public static (JsonObject Entry, byte[] Digest) HashedRekord(ECDsa? key = null, byte[]? digest = null)
    {
        key ??= Key;
        digest ??= RandomNumberGenerator.GetBytes(32);
        var sig = key.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
        return (HashedRekordJson(Convert.ToHexStringLower(digest), Convert.ToBase64String(sig), B64(KeyPem(key))), digest);
    }

    public static JsonObject HashedRekordJson(string hexDigest, string sigB64, string keyB64, string algorithm = "sha256") => new()
    {
        ["apiVersion"] = "0.0.1",
        ["kind"] = "hashedrekord",
        ["spec"] = new JsonObject
        {
            ["data"] = new JsonObject { ["hash"] = new JsonObject { ["algorithm"] = algorithm, ["value"] = hexDigest } },
            ["signature"] = new JsonObject { ["content"] = sigB64, ["publicKey"] = new JsonObject { ["content"] = keyB64 } },
        },
    };

    /// <summary>A valid dsse 0.0.1 proposal: the envelope as a JSON string, signed over the DSSE PAE.</summary>
    public static JsonObject Dsse(string payload, ECDsa? key = null, bool breakSignature = false)
    {
        key ??= Key;
        const string type = "application/vnd.in-toto+json";
        var pae = Core.Dsse.DsseEnvelope.PreAuthenticationEncoding(type, Encoding.UTF8.GetBytes(payload));
        var sig = key.SignData(pae, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        if (breakSignature) sig[^1] ^= 1;
        var envelope = new JsonObject
        {
            ["payload"] = B64(payload),
            ["payloadType"] = type,
            ["signatures"] = new JsonArray(new JsonObject { ["sig"] = Convert.ToBase64String(sig) }),
        }.ToJsonString();
        return new JsonObject
        {
            ["apiVersion"] = "0.0.1",
            ["kind"] = "dsse",
            ["spec"] = new JsonObject
            {
                ["proposedContent"] = new JsonObject { ["envelope"] = envelope, ["verifiers"] = new JsonArray(B64(KeyPem(key))) },
            },
        };
    }

    public static StringContent Json(JsonNode node) => new(node.ToJsonString(), Encoding.UTF8, "application/json");

    public static StringContent Json(string raw) => new(raw, Encoding.UTF8, "application/json");

    public static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();
}
