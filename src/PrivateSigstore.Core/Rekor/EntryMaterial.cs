using System.Formats.Asn1;
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
    /// <remarks>
    /// Reads the body as a stream of tokens (no document is built: a monitor calls this for every entry of a log), with the
    /// same rules as <see cref="Collect"/>: a string counts when its property is a material property, and "content" only
    /// when it sits under "publicKey"; array items count under the array's property.
    /// </remarks>
    public static EntryMaterial FromJsonBody(ReadOnlySpan<byte> body)
    {
        var certificates = new List<byte[]>();
        var keys = new List<byte[]>();
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 64 });
            // Per open container: the property it holds the value of, and that property's parent (as Walk passes them).
            Span<byte> properties = stackalloc byte[66];
            Span<byte> parents = stackalloc byte[66];
            Span<bool> arrays = stackalloc bool[66];
            var depth = 0;
            properties[0] = parents[0] = Other;
            arrays[0] = true; // the root value is read like an array item of "no property"
            byte pending = Other;
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        pending = PropertyId(ref reader);
                        break;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        var (property, parent) = arrays[depth] ? (properties[depth], parents[depth]) : (pending, properties[depth]);
                        depth++;
                        properties[depth] = property;
                        parents[depth] = parent;
                        arrays[depth] = reader.TokenType == JsonTokenType.StartArray;
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        depth--;
                        break;
                    case JsonTokenType.String:
                        var (valueProperty, valueParent) = arrays[depth] ? (properties[depth], parents[depth]) : (pending, properties[depth]);
                        // Walk stops below 32 levels of nesting; so does this.
                        if (depth <= 32 && valueProperty != Other && (valueProperty != ContentProperty || valueParent == PublicKeyProperty))
                        {
                            AddMaterial(reader.ValueIsEscaped ? reader.GetString()! : Encoding.ASCII.GetString(reader.ValueSpan), certificates, keys);
                        }
                        break;
                }
            }
        }
        catch (JsonException)
        {
            // not JSON: nothing to match
            return new EntryMaterial([], []);
        }
        return new EntryMaterial(certificates, keys);
    }

    private const byte Other = 0, ContentProperty = 1, PublicKeyProperty = 2, MaterialProperty = 3;

    private static byte PropertyId(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("content"u8)) return ContentProperty;
        if (reader.ValueTextEquals("publicKey"u8)) return PublicKeyProperty;
        if (reader.ValueTextEquals("verifier"u8) || reader.ValueTextEquals("rawBytes"u8) || reader.ValueTextEquals("certificate"u8)) return MaterialProperty;
        return Other;
    }

    /// <summary>Adds the material found anywhere in an already parsed entry body to the two lists.</summary>
    public static void Collect(JsonElement root, List<byte[]> certificates, List<byte[]> publicKeys) => Walk(root, null, null, certificates, publicKeys, 0);

    private static void Walk(JsonElement element, string? property, string? parent, List<byte[]> certificates, List<byte[]> keys, int depth)
    {
        if (depth > 32) return;
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in element.EnumerateObject()) Walk(p.Value, p.Name, property, certificates, keys, depth + 1);
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray()) Walk(item, property, parent, certificates, keys, depth + 1);
                break;
            // "content" holds a key only under "publicKey" (hashedrekord/rekord …signature.publicKey.content); elsewhere it is
            // the signature itself (…signature.content), which is never material and not worth decoding.
            case JsonValueKind.String when property is not null && MaterialProperties.Contains(property) && (property != "content" || parent == "publicKey"):
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

    /// <summary>
    /// Certificate ::= SEQUENCE { tbsCertificate SEQUENCE, signatureAlgorithm SEQUENCE, signature BIT STRING }, told apart by
    /// shape alone (no exception on the common non-certificate: a SubjectPublicKeyInfo has two elements, a signature INTEGERs).
    /// </summary>
    private static bool IsCertificate(byte[] der) =>
        Shape(der, out var first, out var count, out var last) && count == 3 && first == Asn1Tag.Sequence && last == Asn1Tag.PrimitiveBitString;

    /// <summary>The universal tags of the first and last elements of a DER SEQUENCE spanning all of <paramref name="der"/>, and how many it has.</summary>
    private static bool Shape(byte[] der, out Asn1Tag first, out int count, out Asn1Tag last)
    {
        first = last = default;
        count = 0;
        if (!AsnDecoder.TryReadEncodedValue(der, AsnEncodingRules.DER, out var tag, out var contentOffset, out var contentLength, out var consumed)
            || consumed != der.Length || tag != Asn1Tag.Sequence)
        {
            return false;
        }
        var content = der.AsSpan(contentOffset, contentLength);
        while (!content.IsEmpty)
        {
            if (!AsnDecoder.TryReadEncodedValue(content, AsnEncodingRules.DER, out var inner, out _, out _, out var used)) return false;
            if (count == 0) first = inner;
            last = inner;
            count++;
            content = content[used..];
        }
        return true;
    }

    /// <summary>
    /// SubjectPublicKeyInfo ::= SEQUENCE { algorithm SEQUENCE { OBJECT IDENTIFIER, … }, subjectPublicKey BIT STRING }, by shape
    /// (the key itself is not imported: whoever uses it, a fingerprint match or a page, needs only the bytes).
    /// </summary>
    private static bool IsPublicKey(byte[] der)
    {
        if (!Shape(der, out var first, out var count, out var last) || count != 2 || first != Asn1Tag.Sequence || last != Asn1Tag.PrimitiveBitString) return false;
        var algorithm = der.AsSpan(AlgorithmOffset(der));
        return AsnDecoder.TryReadEncodedValue(algorithm, AsnEncodingRules.DER, out _, out var offset, out var length, out _)
            && AsnDecoder.TryReadEncodedValue(algorithm.Slice(offset, length), AsnEncodingRules.DER, out var oid, out _, out _, out _)
            && oid == Asn1Tag.ObjectIdentifier;
    }

    /// <summary>Where the first element of the outer SEQUENCE starts.</summary>
    private static int AlgorithmOffset(byte[] der)
    {
        AsnDecoder.TryReadEncodedValue(der, AsnEncodingRules.DER, out _, out var contentOffset, out _, out _);
        return contentOffset;
    }
}
