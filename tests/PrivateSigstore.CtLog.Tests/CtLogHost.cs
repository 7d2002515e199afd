using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using PrivateSigstore.Core.Ct;
using PrivateSigstore.Core.Merkle;

namespace PrivateSigstore.CtLog.Tests;

/// <summary>A real CT log on a free loopback port (real Kestrel) over a data directory, with a known PEM log key.</summary>
internal sealed class CtLogHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private CtLogHost(WebApplication app, HttpClient http, int port)
    {
        _app = app;
        Http = http;
        Port = port;
    }

    public HttpClient Http { get; }

    public int Port { get; }

    public Uri BaseUri => new($"http://127.0.0.1:{Port}");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Starts the log. <paramref name="dataDirectory"/> holds the stores; the key file is written there once.</summary>
    public static async Task<CtLogHost> StartAsync(string dataDirectory, string rootsPem, params string[] extra)
    {
        Directory.CreateDirectory(dataDirectory);
        var keyPath = Path.Combine(dataDirectory, "test-log-key.pem");
        if (!File.Exists(keyPath))
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            await File.WriteAllTextAsync(keyPath, key.ExportPkcs8PrivateKeyPem(), Ct);
        }
        var port = FreePort();
        var app = await CtLogApp.BuildAsync([
            "--urls", $"http://127.0.0.1:{port}",
            "--CtLog:DataDirectory", dataDirectory,
            "--CtLog:Key:KeyPath", keyPath,
            "--CtLog:RootsPem", rootsPem,
            "--Logging:LogLevel:Default", "Warning",
            .. extra,
        ], cancellationToken: Ct);
        await app.StartAsync(Ct);
        return new CtLogHost(app, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") }, port);
    }

    /// <summary>The log's public key (SPKI DER), read from the key file the host was given.</summary>
    public static byte[] PublicKey(string dataDirectory)
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(Path.Combine(dataDirectory, "test-log-key.pem")));
        return key.ExportSubjectPublicKeyInfo();
    }

    public static StringContent ChainBody(IEnumerable<byte[]> chain) =>
        new(new JsonObject { ["chain"] = new JsonArray([.. chain.Select(c => (JsonNode)Convert.ToBase64String(c))]) }.ToJsonString(), Encoding.UTF8, "application/json");

    public async Task<(HttpStatusCode Status, string Body)> PostAsync(string path, HttpContent content)
    {
        using var response = await Http.PostAsync(path, content, Ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Ct));
    }

    public async Task<JsonNode> GetJsonAsync(string path)
    {
        using var response = await Http.GetAsync(path, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    /// <summary>Submits a chain and parses the SCT.</summary>
    public async Task<SignedCertificateTimestamp> AddAsync(string operation, IEnumerable<byte[]> chain, string prefix = "")
    {
        var (status, body) = await PostAsync($"{prefix}/ct/v1/{operation}", ChainBody(chain));
        Assert.True(status == HttpStatusCode.OK, $"{operation}: {(int)status} {body}");
        var json = JsonNode.Parse(body)!;
        var signature = DigitallySigned.Parse(B64(json["signature"]));
        return new SignedCertificateTimestamp((byte)json["sct_version"]!.GetValue<int>(), B64(json["id"]), json["timestamp"]!.GetValue<ulong>(),
            B64(json["extensions"]), signature.HashAlgorithm, signature.SignatureAlgorithm, signature.Signature);
    }

    /// <summary>get-sth, with its signature verified against <paramref name="logKey"/>.</summary>
    public async Task<(ulong Size, ulong Timestamp, byte[] Root)> VerifiedSthAsync(byte[] logKey, string prefix = "")
    {
        var sth = await GetJsonAsync($"{prefix}/ct/v1/get-sth");
        var size = sth["tree_size"]!.GetValue<ulong>();
        var timestamp = sth["timestamp"]!.GetValue<ulong>();
        var root = B64(sth["sha256_root_hash"]);
        var signature = DigitallySigned.Parse(B64(sth["tree_head_signature"]));
        Assert.Equal(SignedCertificateTimestamp.HashSha256, signature.HashAlgorithm);
        Assert.Equal(SignedCertificateTimestamp.SignatureEcdsa, signature.SignatureAlgorithm);
        using var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(logKey, out _);
        Assert.True(key.VerifyData(TreeHeadSignature.SignedData(timestamp, size, root), signature.Signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence), "STH signature");
        return (size, timestamp, root);
    }

    /// <summary>get-proof-by-hash for <paramref name="leafHash"/> at <paramref name="size"/>, verified against <paramref name="root"/>; returns the index.</summary>
    public async Task<ulong> VerifiedInclusionAsync(byte[] leafHash, ulong size, byte[] root, string prefix = "")
    {
        var proof = await GetJsonAsync($"{prefix}/ct/v1/get-proof-by-hash?hash={Uri.EscapeDataString(Convert.ToBase64String(leafHash))}&tree_size={size}");
        var index = proof["leaf_index"]!.GetValue<ulong>();
        ProofVerifier.VerifyInclusion(leafHash, index, size, [.. proof["audit_path"]!.AsArray().Select(B64)], root);
        return index;
    }

    public async Task<ulong> TreeSizeAsync() => (await GetJsonAsync("/ct/v1/get-sth"))["tree_size"]!.GetValue<ulong>();

    public static byte[] B64(JsonNode? node) => Convert.FromBase64String(node!.GetValue<string>());

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
