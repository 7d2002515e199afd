using System.Text.Json.Nodes;
using PrivateSigstore.Client.Verification;
using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.Trust;

namespace PrivateSigstore.Client.Tests;

/// <summary>Paths and loaders for testdata.</summary>
internal static class TestFiles
{
    public static string Path(params string[] parts) => System.IO.Path.Combine([AppContext.BaseDirectory, "testdata", .. parts]);

    public static string HappyV03 => Path("conformance", "bundle-verify", "happy-path-v0.3", "bundle.sigstore.json");

    public static string ArtifactA => Path("conformance", "bundle-verify", "a.txt");

    public static JsonNode Json(string path) => JsonNode.Parse(File.ReadAllText(path))!;

    public static Bundle Bundle(JsonNode json) => BundleJson.Parse(json.ToJsonString());

    public static TrustedMaterial Material(JsonNode json) => new(TrustedRootJson.Parse(json.ToJsonString()));

    public static TrustedMaterial Production() => TrustedMaterial.Load(Path("production.trusted_root.json"));

    /// <summary>Flips the lowest bit of byte <paramref name="index"/> of a base64 field.</summary>
    public static string FlipBit(string base64, int index = 10)
    {
        var bytes = Convert.FromBase64String(base64);
        bytes[index] ^= 1;
        return Convert.ToBase64String(bytes);
    }
}
