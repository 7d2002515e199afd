using System.Security.Cryptography;
using System.Text.Json;

namespace PrivateSigstore.Core.Tests.Ct;

/// <summary>Loads the real sigstore-go bundles and trusted roots under testdata/ct (see its README.md).</summary>
internal static class CtTestData
{
    public const string PublicGoodBundle = "sigstore.js@2.0.0-provenance.sigstore.json";
    public const string PublicGoodRoot = "trusted-root-public-good.json";
    public const string OtherNameBundle = "othername.sigstore.json";
    public const string ScaffoldingRoot = "trusted-root-scaffolding.json";

    public static JsonDocument Load(string name) =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "testdata", "ct", name)));

    /// <summary>The leaf certificate DER of a v0.1 (chain) or v0.3 (single certificate) bundle.</summary>
    public static byte[] LeafOf(string bundle)
    {
        using var doc = Load(bundle);
        var material = doc.RootElement.GetProperty("verificationMaterial");
        var cert = material.TryGetProperty("certificate", out var single)
            ? single
            : material.GetProperty("x509CertificateChain").GetProperty("certificates")[0];
        return Convert.FromBase64String(cert.GetProperty("rawBytes").GetString()!);
    }

    /// <summary>certificateAuthorities[ca].certChain.certificates[index] of a trusted root, DER.</summary>
    public static byte[] CaCertificate(string root, int ca, int index)
    {
        using var doc = Load(root);
        var cert = doc.RootElement.GetProperty("certificateAuthorities")[ca]
            .GetProperty("certChain").GetProperty("certificates")[index];
        return Convert.FromBase64String(cert.GetProperty("rawBytes").GetString()!);
    }

    /// <summary>The (logId, SPKI DER) of every CT log in a trusted root.</summary>
    public static List<(byte[] LogId, byte[] Spki)> CtLogs(string root)
    {
        using var doc = Load(root);
        return doc.RootElement.GetProperty("ctlogs").EnumerateArray()
            .Select(log => (
                Convert.FromBase64String(log.GetProperty("logId").GetProperty("keyId").GetString()!),
                Convert.FromBase64String(log.GetProperty("publicKey").GetProperty("rawBytes").GetString()!)))
            .ToList();
    }

    public static ECDsa EcKey(byte[] spki)
    {
        var key = ECDsa.Create();
        key.ImportSubjectPublicKeyInfo(spki, out _);
        return key;
    }
}
