using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace PrivateSigstore.LoadTests;

/// <summary>
/// A stand-in identity provider for load runs that needs no network: <c>fulcio-setup</c> writes an RS256 signing key, its
/// JWKS and a Fulcio issuer configuration that trusts that JWKS as a static file (<c>JwksFile</c>); the scenarios then mint
/// tokens locally, as an IdP would have before the run ("pre-minted tokens").
/// </summary>
internal sealed class LoadIdentity : IDisposable
{
    public const string IssuerUrl = "https://load-test.privatesigstore.invalid";
    private const string KeyId = "load-1";

    private readonly RSA _key;

    private LoadIdentity(RSA key) => _key = key;

    /// <summary><c>fulcio-setup --dir D</c>: writes D/token-key.pem, D/jwks.json and D/fulcio-config.json.</summary>
    public static int Setup(Args args)
    {
        var dir = args.Get("dir") ?? throw new ArgumentException("--dir is required");
        args.RejectUnknown();
        Directory.CreateDirectory(dir);
        using var rsa = RSA.Create(2048);
        File.WriteAllText(Path.Combine(dir, "token-key.pem"), rsa.ExportPkcs8PrivateKeyPem());
        var p = rsa.ExportParameters(false);
        var jwks = new JsonObject
        {
            ["keys"] = new JsonArray(new JsonObject
            {
                ["kty"] = "RSA", ["kid"] = KeyId, ["use"] = "sig", ["alg"] = "RS256",
                ["n"] = B64Url(p.Modulus!), ["e"] = B64Url(p.Exponent!),
            }),
        };
        File.WriteAllText(Path.Combine(dir, "jwks.json"), jwks.ToJsonString());
        var config = new JsonObject
        {
            ["OIDCIssuers"] = new JsonObject
            {
                [IssuerUrl] = new JsonObject { ["IssuerURL"] = IssuerUrl, ["ClientID"] = "sigstore", ["Type"] = "email", ["JwksFile"] = "jwks.json" },
            },
        };
        File.WriteAllText(Path.Combine(dir, "fulcio-config.json"), config.ToJsonString());
        Console.Error.WriteLine($"fulcio-setup: wrote {dir}/token-key.pem, jwks.json and fulcio-config.json (issuer {IssuerUrl}); start Fulcio with --Fulcio:ConfigPath {Path.GetFullPath(Path.Combine(dir, "fulcio-config.json"))}");
        return 0;
    }

    /// <summary>Opens the key written by <see cref="Setup"/>.</summary>
    public static LoadIdentity Open(string dir)
    {
        var path = Path.Combine(dir, "token-key.pem");
        if (!File.Exists(path))
        {
            throw new ArgumentException($"{path} does not exist; run 'fulcio-setup --dir {dir}' first");
        }

        var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(path));
        return new LoadIdentity(rsa);
    }

    /// <summary>An RS256 ID token for <paramref name="email"/> (sub = the same), valid for <paramref name="lifetime"/>.</summary>
    public string Mint(string email, TimeSpan lifetime)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = B64Url(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { alg = "RS256", kid = KeyId, typ = "JWT" })));
        var payload = B64Url(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["iss"] = IssuerUrl, ["aud"] = "sigstore", ["sub"] = email, ["email"] = email, ["email_verified"] = true,
            ["iat"] = now, ["nbf"] = now, ["exp"] = now + (long)lifetime.TotalSeconds,
        })));
        var signature = _key.SignData(Encoding.ASCII.GetBytes(header + "." + payload), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return header + "." + payload + "." + B64Url(signature);
    }

    /// <summary>A v2 signingCert body as sigstore-js sends it: the key's PEM, its proof over <paramref name="email"/>, the token.</summary>
    public static byte[] SigningCertificateRequest(string token, string email, ECDsa key)
    {
        var proof = key.SignData(Encoding.UTF8.GetBytes(email), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return JsonSerializer.SerializeToUtf8Bytes(new JsonObject
        {
            ["credentials"] = new JsonObject { ["oidcIdentityToken"] = token },
            ["publicKeyRequest"] = new JsonObject
            {
                ["publicKey"] = new JsonObject { ["algorithm"] = "ECDSA", ["content"] = key.ExportSubjectPublicKeyInfoPem() },
                ["proofOfPossession"] = Convert.ToBase64String(proof),
            },
        });
    }

    public static string B64Url(byte[] data) => Convert.ToBase64String(data).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public void Dispose() => _key.Dispose();
}
