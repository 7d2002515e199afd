using System.Text;
using System.Text.Json;
using PrivateSigstore.Core.Crypto;

namespace PrivateSigstore.Core.Rekor;

/// <summary>
/// The certificates (DER) and public keys (DER SubjectPublicKeyInfo) a Rekor entry carries: what the monitor matches
/// identities against and the explorer shows.
/// </summary>
public sealed record EntryMaterial(IReadOnlyList<byte[]> Certificates, IReadOnlyList<byte[]> PublicKeys)
{
    // Where Rekor entry bodies keep verification material: hashedrekord 0.0.1 spec.signature.publicKey.content,
    // dsse 0.0.1 spec.signatures[].verifier, intoto 0.0.1 spec.publicKey, intoto 0.0.2 …signatures[].publicKey
    // (base64 PEM); Rekor v2 (protojson) …verifier.x509Certificate.rawBytes / publicKey.rawBytes (base64 DER).
    private static readonly HashSet<string> MaterialProperties = new(StringComparer.Ordinal) { "content", "verifier", "publicKey", "rawBytes", "certificate" };

    /// <summary>Finds the material of a Rekor v1 or v2 entry body (JSON); an unreadable body has none.</summary>
    public static EntryMaterial FromJsonBody(byte[] body)
    {
        var certificates = new List<byte[]>();
        var keys = new List<byte[]>();
        try
        {
            using var document = JsonDocument.Parse(body);
            Collect(document.RootElement, certificates, keys);
        }
        catch (JsonException)
        {
            // not JSON: nothing to match
        }
        return new EntryMaterial(certificates, keys);
    }

    /// <summary>Adds the material found anywhere in an already parsed entry body to the two lists.</summary>
    public static void Collect(JsonElement root, List<byte[]> certificates, List<byte[]> publicKeys) => Walk(root, null, certificates, publicKeys, 0);

    private static void Walk(JsonElement element, string? property, List<byte[]> certificates, List<byte[]> keys, int depth)
    {
        if (depth > 32) return;
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in element.EnumerateObject()) Walk(p.Value, p.Name, certificates, keys, depth + 1);
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray()) Walk(item, property, certificates, keys, depth + 1);
                break;
            case JsonValueKind.String when property is not null && MaterialProperties.Contains(property):
                AddMaterial(element.GetString()!, certificates, keys);
                break;
        }
    }

    private static void AddMaterial(string base64, List<byte[]> certificates, List<byte[]> keys)
    {
        if (base64.Length > 1 << 20) return;
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            return;
        }
        if (bytes.AsSpan().StartsWith("-----BEGIN"u8))
        {
            var text = Encoding.UTF8.GetString(bytes);
            foreach (var (label, der) in PemBlocks(text))
            {
                if (label == "CERTIFICATE") certificates.Add(der);
                else if (label == "PUBLIC KEY") keys.Add(der);
            }
            return;
        }
        if (bytes.Length == 0 || bytes[0] != 0x30) return;
        if (IsCertificate(bytes)) certificates.Add(bytes);
        else if (IsPublicKey(bytes)) keys.Add(bytes);
    }

    private static IEnumerable<(string Label, byte[] Der)> PemBlocks(string text)
    {
        var rest = text.AsMemory();
        while (true)
        {
            var span = rest.Span;
            if (!System.Security.Cryptography.PemEncoding.TryFind(span, out var fields)) yield break;
            var label = span[fields.Label].ToString();
            byte[]? der = null;
            try
            {
                der = Convert.FromBase64String(span[fields.Base64Data].ToString());
            }
            catch (FormatException)
            {
            }
            if (der is not null) yield return (label, der);
            rest = rest[fields.Location.End..];
        }
    }

    private static bool IsCertificate(byte[] der)
    {
        try
        {
            using var cert = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificate(der);
            return true;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return false;
        }
    }

    private static bool IsPublicKey(byte[] der)
    {
        try
        {
            _ = PublicKey.FromSubjectPublicKeyInfo(der);
            return true;
        }
        catch (Exception e) when (e is PrivateSigstore.Core.WireFormatException or System.Security.Cryptography.CryptographicException or ArgumentException)
        {
            return false;
        }
    }
}
