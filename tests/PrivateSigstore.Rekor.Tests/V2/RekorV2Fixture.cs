using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using PrivateSigstore.Rekor.V2;

namespace PrivateSigstore.Rekor.Tests.V2;

/// <summary>A real Rekor v2 service on a free loopback port with a fresh data directory (real Kestrel, SQLite, dev Ed25519 key).</summary>
public class RekorV2Fixture : IAsyncLifetime
{
    private WebApplication? _app;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "psig-rekor2-tests", Guid.NewGuid().ToString("N"));

    public int Port { get; private set; }

    public HttpClient Http { get; private set; } = null!;

    public RekorV2TrustInfo Trust { get; private set; } = null!;

    public WebApplication App => _app!;

    protected virtual IEnumerable<string> ExtraArgs => [];

    public virtual async ValueTask InitializeAsync()
    {
        Port = RekorFixture.FreePort();
        await StartAsync();
    }

    public async Task StartAsync()
    {
        _app = await RekorV2App.BuildAsync([
            "--urls", $"http://127.0.0.1:{Port}",
            "--RekorV2:DataDirectory", DataDirectory,
            "--Logging:LogLevel:Default", "Warning",
            .. ExtraArgs,
        ]);
        await _app.StartAsync();
        Trust = _app.Services.GetRekorV2TrustInfo();
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}") };
    }

    public async Task StopAsync()
    {
        Http.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
            _app = null;
        }
    }

    public virtual async ValueTask DisposeAsync()
    {
        await StopAsync();
        GC.SuppressFinalize(this);
    }

    public async Task<ulong> TreeSizeAsync()
    {
        var text = await Http.GetStringAsync("/api/v2/checkpoint");
        return ulong.Parse(text.Split('\n')[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>POSTs a CreateEntryRequest; <paramref name="expectContinue"/> lets the server refuse an oversized body before it is sent.</summary>
    public async Task<HttpResponseMessage> PostAsync(string body, bool expectContinue = false)
    {
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v2/log/entries") { Content = content };
        request.Headers.ExpectContinue = expectContinue;
        return await Http.SendAsync(request);
    }
}

/// <summary>The same service with DSSE refused (RekorV2:AcceptDsse false), as upstream since #744.</summary>
public sealed class RekorV2NoDsseFixture : RekorV2Fixture
{
    protected override IEnumerable<string> ExtraArgs => ["--RekorV2:AcceptDsse", "false"];
}

/// <summary>Client-side request builders (rekor-tiles CreateEntryRequest protojson), one per key type.</summary>
internal static class V2Requests
{
    public static readonly ECDsa P256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    public static readonly ECDsa P384 = ECDsa.Create(ECCurve.NamedCurves.nistP384);
    public static readonly ECDsa P521 = ECDsa.Create(ECCurve.NamedCurves.nistP521);
    public static readonly RSA Rsa2048 = RSA.Create(2048);
    public static readonly RSA Rsa3072 = RSA.Create(3072);
    public static readonly RSA Rsa4096 = RSA.Create(4096);
    public static readonly byte[] Ed25519Seed = RandomNumberGenerator.GetBytes(32);

    public static readonly string[] KeyTypes = ["P256", "P384", "P521", "RSA2048", "RSA3072", "RSA4096", "ED25519PH"];

    public static string B64(byte[] b) => Convert.ToBase64String(b);

    /// <summary>(spki, keyDetails, digest, signature) for a fresh random artifact signed with the key type.</summary>
    public static (byte[] Spki, string KeyDetails, byte[] Digest, byte[] Signature) Sign(string keyType, byte[]? artifact = null)
    {
        artifact ??= RandomNumberGenerator.GetBytes(64);
        switch (keyType)
        {
            case "P256": { var d = SHA256.HashData(artifact); return (P256.ExportSubjectPublicKeyInfo(), "PKIX_ECDSA_P256_SHA_256", d, P256.SignHash(d, DSASignatureFormat.Rfc3279DerSequence)); }
            case "P384": { var d = SHA384.HashData(artifact); return (P384.ExportSubjectPublicKeyInfo(), "PKIX_ECDSA_P384_SHA_384", d, P384.SignHash(d, DSASignatureFormat.Rfc3279DerSequence)); }
            case "P521": { var d = SHA512.HashData(artifact); return (P521.ExportSubjectPublicKeyInfo(), "PKIX_ECDSA_P521_SHA_512", d, P521.SignHash(d, DSASignatureFormat.Rfc3279DerSequence)); }
            case "RSA2048": return Rsa(Rsa2048, "PKIX_RSA_PKCS1V15_2048_SHA256", artifact);
            case "RSA3072": return Rsa(Rsa3072, "PKIX_RSA_PKCS1V15_3072_SHA256", artifact);
            case "RSA4096": return Rsa(Rsa4096, "PKIX_RSA_PKCS1V15_4096_SHA256", artifact);
            case "ED25519PH":
            {
                var d = SHA512.HashData(artifact);
                var pub = Core.Crypto.Ed25519.PublicKeyFromSeed(Ed25519Seed);
                return (Core.Crypto.Ed25519.ToSubjectPublicKeyInfo(pub), "PKIX_ED25519_PH", d, Core.Crypto.Ed25519.SignPrehashed(Ed25519Seed, d));
            }
            default: throw new ArgumentException(keyType, nameof(keyType));
        }
    }

    private static (byte[], string, byte[], byte[]) Rsa(RSA rsa, string details, byte[] artifact)
    {
        var d = SHA256.HashData(artifact);
        return (rsa.ExportSubjectPublicKeyInfo(), details, d, rsa.SignHash(d, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));
    }

    public static JsonObject HashedRekord(byte[] digest, byte[] signature, JsonObject verifier) => new()
    {
        ["hashedRekordRequestV002"] = new JsonObject
        {
            ["digest"] = B64(digest),
            ["signature"] = new JsonObject { ["content"] = B64(signature), ["verifier"] = verifier },
        },
    };

    public static JsonObject KeyVerifier(byte[] spki, string details) => new()
    {
        ["publicKey"] = new JsonObject { ["rawBytes"] = B64(spki) },
        ["keyDetails"] = details,
    };

    public static JsonObject CertVerifier(byte[] der, string details) => new()
    {
        ["x509Certificate"] = new JsonObject { ["rawBytes"] = B64(der) },
        ["keyDetails"] = details,
    };

    public static JsonObject Valid(string keyType = "P256")
    {
        var (spki, details, digest, sig) = Sign(keyType);
        return HashedRekord(digest, sig, KeyVerifier(spki, details));
    }

    public static byte[] SelfSignedCertificate(ECDsa key)
    {
        var request = new CertificateRequest("CN=rekor-v2-test", key, HashAlgorithmName.SHA256);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddMinutes(10));
        return cert.RawData;
    }

    /// <summary>A dsse 0.0.2 request as sigstore-js 5 builds it (x509Certificate verifier, P-256), signed over the PAE.</summary>
    public static JsonObject Dsse(string payload, ECDsa? key = null, bool breakSignature = false, bool certificate = true)
    {
        key ??= P256;
        const string type = "application/vnd.in-toto+json";
        var pae = Core.Dsse.DsseEnvelope.PreAuthenticationEncoding(type, Encoding.UTF8.GetBytes(payload));
        var sig = key.SignData(pae, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        if (breakSignature) sig[^1] ^= 1;
        var verifier = certificate ? CertVerifier(SelfSignedCertificate(key), "PKIX_ECDSA_P256_SHA_256") : KeyVerifier(key.ExportSubjectPublicKeyInfo(), "PKIX_ECDSA_P256_SHA_256");
        return new JsonObject
        {
            ["dsseRequestV002"] = new JsonObject
            {
                ["envelope"] = new JsonObject
                {
                    ["payload"] = B64(Encoding.UTF8.GetBytes(payload)),
                    ["payloadType"] = type,
                    ["signatures"] = new JsonArray(new JsonObject { ["sig"] = B64(sig), ["keyid"] = "" }),
                },
                ["verifiers"] = new JsonArray(verifier),
            },
        };
    }
}
