using PrivateSigstore.Core.Rekor;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using PrivateSigstore.Core.Crypto;

namespace PrivateSigstore.Explorer;

/// <summary>What a Rekor v1 or v2 entry body says: kind, version, certificates, keys, digest, pretty JSON.</summary>
internal sealed record DecodedBody(string Kind, string Version, IReadOnlyList<byte[]> Certificates, IReadOnlyList<byte[]> PublicKeys, string? Digest, string? Signature, string Pretty);

/// <summary>Decodes entry bodies (JSON) without trusting them: anything unreadable is reported as such, never thrown.</summary>
internal static class EntryDecoder
{
    // Where Rekor entry bodies keep verification material: hashedrekord 0.0.1 spec.signature.publicKey.content,
    // dsse 0.0.1 spec.signatures[].verifier, intoto 0.0.1 spec.publicKey, intoto 0.0.2 …signatures[].publicKey
    // (base64 PEM); Rekor v2 (protojson) …verifier.x509Certificate.rawBytes / publicKey.rawBytes (base64 DER).
    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static DecodedBody Decode(byte[] body)
    {
        var certificates = new List<byte[]>();
        var keys = new List<byte[]>();
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 32 });
            var root = document.RootElement;
            var kind = root.TryGetProperty("kind", out var k) && k.ValueKind == JsonValueKind.String ? k.GetString()! : "unknown";
            var version = root.TryGetProperty("apiVersion", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
            EntryMaterial.Collect(root, certificates, keys);
            var pretty = JsonSerializer.Serialize(root, Pretty);
            return new DecodedBody(kind, version, certificates, keys, FindDigest(root), FindSignature(root), pretty);
        }
        catch (JsonException)
        {
            return new DecodedBody("unreadable", "", [], [], null, null, Convert.ToBase64String(body));
        }
    }

    /// <summary>The artifact digest as <c>alg:hex</c>: hashedrekord's data hash, dsse/intoto's payload hash.</summary>
    private static string? FindDigest(JsonElement root)
    {
        if (!root.TryGetProperty("spec", out var spec) || spec.ValueKind != JsonValueKind.Object) return null;
        // Rekor v1 hashedrekord 0.0.1: spec.data.hash {algorithm, value(hex)}.
        if (Path(spec, "data", "hash") is { } h && Str(h, "value") is { } hex) return (Str(h, "algorithm") ?? "sha256") + ":" + hex.ToLowerInvariant();
        // dsse 0.0.1 / intoto: payloadHash {algorithm, value}.
        if (Path(spec, "payloadHash") is { } p && Str(p, "value") is { } phex) return (Str(p, "algorithm") ?? "sha256") + ":" + phex.ToLowerInvariant();
        if (Path(spec, "content", "payloadHash") is { } p2 && Str(p2, "value") is { } p2hex) return (Str(p2, "algorithm") ?? "sha256") + ":" + p2hex.ToLowerInvariant();
        // Rekor v2 (protojson): spec.hashedRekordV002.data {algorithm, digest(base64)}, spec.dsseV002.payloadHash.
        foreach (var (outer, inner) in new[] { ("hashedRekordV002", "data"), ("dsseV002", "payloadHash") })
        {
            if (Path(spec, outer, inner) is { } d && Str(d, "digest") is { } b64)
            {
                try
                {
                    var alg = Str(d, "algorithm") switch { "SHA2_384" => "sha384", "SHA2_512" => "sha512", _ => "sha256" };
                    return alg + ":" + Convert.ToHexStringLower(Convert.FromBase64String(b64));
                }
                catch (FormatException)
                {
                    return null;
                }
            }
        }
        return null;
    }

    private static string? FindSignature(JsonElement root) =>
        Path(root, "spec", "signature") is { } s ? Str(s, "content")
        : Path(root, "spec", "hashedRekordV002", "signature") is { } s2 ? Str(s2, "content") : null;

    private static JsonElement? Path(JsonElement e, params string[] names)
    {
        foreach (var name in names)
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(name, out e)) return null;
        }
        return e;
    }

    private static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
