using System.Text.Json;
using PrivateSigstore.Core.Bundle;

namespace PrivateSigstore.Rekor.Entries.V2;

/// <summary>
/// The parts of Go's <c>protojson.Unmarshal</c> (with <c>DiscardUnknown: false</c>) that Rekor v2 requests need: a field is
/// named by its JSON name or its proto name; unknown and repeated fields are errors; <c>null</c> leaves a field unset;
/// bytes are standard or URL-safe base64, padded or not; enums are a name or a number.
/// </summary>
internal static class ProtoJsonReader
{
    private static readonly Dictionary<string, PublicKeyDetails> KeyDetailsByName = new(StringComparer.Ordinal)
    {
        ["PUBLIC_KEY_DETAILS_UNSPECIFIED"] = PublicKeyDetails.Unspecified,
        ["PKCS1_RSA_PKCS1V5"] = PublicKeyDetails.Pkcs1RsaPkcs1v5,
        ["PKCS1_RSA_PSS"] = PublicKeyDetails.Pkcs1RsaPss,
        ["PKIX_RSA_PKCS1V5"] = PublicKeyDetails.PkixRsaPkcs1v5,
        ["PKIX_RSA_PSS"] = PublicKeyDetails.PkixRsaPss,
        ["PKIX_ECDSA_P256_SHA_256"] = PublicKeyDetails.PkixEcdsaP256Sha256,
        ["PKIX_ECDSA_P256_HMAC_SHA_256"] = PublicKeyDetails.PkixEcdsaP256HmacSha256,
        ["PKIX_ED25519"] = PublicKeyDetails.PkixEd25519,
        ["PKIX_ED25519_PH"] = PublicKeyDetails.PkixEd25519Ph,
        ["PKIX_RSA_PKCS1V15_2048_SHA256"] = PublicKeyDetails.PkixRsaPkcs1v15_2048_Sha256,
        ["PKIX_RSA_PKCS1V15_3072_SHA256"] = PublicKeyDetails.PkixRsaPkcs1v15_3072_Sha256,
        ["PKIX_RSA_PKCS1V15_4096_SHA256"] = PublicKeyDetails.PkixRsaPkcs1v15_4096_Sha256,
        ["PKIX_ECDSA_P384_SHA_384"] = PublicKeyDetails.PkixEcdsaP384Sha384,
        ["PKIX_ECDSA_P521_SHA_512"] = PublicKeyDetails.PkixEcdsaP521Sha512,
        ["LMS_SHA256"] = PublicKeyDetails.LmsSha256,
        ["LMOTS_SHA256"] = PublicKeyDetails.LmotsSha256,
        ["PKIX_RSA_PSS_2048_SHA256"] = PublicKeyDetails.PkixRsaPss_2048_Sha256,
        ["PKIX_RSA_PSS_3072_SHA256"] = PublicKeyDetails.PkixRsaPss_3072_Sha256,
        ["PKIX_RSA_PSS_4096_SHA256"] = PublicKeyDetails.PkixRsaPss_4096_Sha256,
        ["PKIX_ECDSA_P384_SHA_256"] = PublicKeyDetails.PkixEcdsaP384Sha256,
        ["PKIX_ECDSA_P521_SHA_256"] = PublicKeyDetails.PkixEcdsaP521Sha256,
        ["ML_DSA_65"] = PublicKeyDetails.MlDsa65,
        ["ML_DSA_87"] = PublicKeyDetails.MlDsa87,
    };

    private static readonly Dictionary<PublicKeyDetails, string> KeyDetailsNames = KeyDetailsByName.ToDictionary(p => p.Value, p => p.Key);

    /// <summary>The proto name of a key details value (as protojson writes it).</summary>
    public static string Name(PublicKeyDetails details) =>
        KeyDetailsNames.TryGetValue(details, out var name) ? name : ((int)details).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// The fields of a message: each known field (by JSON or proto name) that is present and not null, under its JSON
    /// name. <paramref name="fields"/> lists (JSON name, proto name) pairs.
    /// </summary>
    /// <exception cref="ProtoJsonException">Not an object, an unknown field, or a field given twice.</exception>
    public static Dictionary<string, JsonElement> Fields(JsonElement message, string type, params (string Json, string Proto)[] fields)
    {
        if (message.ValueKind != JsonValueKind.Object)
        {
            throw new ProtoJsonException($"unexpected token {Token(message)}, expected an object for {type}");
        }

        var result = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in message.EnumerateObject())
        {
            string? json = null;
            foreach (var (j, p) in fields)
            {
                if (string.Equals(property.Name, j, StringComparison.Ordinal) || string.Equals(property.Name, p, StringComparison.Ordinal))
                {
                    json = j;
                    break;
                }
            }

            if (json is null)
            {
                throw new ProtoJsonException($"unknown field \"{property.Name}\" in {type}");
            }

            if (!seen.Add(json))
            {
                throw new ProtoJsonException($"duplicate field \"{property.Name}\" in {type}");
            }

            if (property.Value.ValueKind != JsonValueKind.Null)
            {
                result[json] = property.Value;
            }
        }

        return result;
    }

    /// <summary>A bytes field: protojson decodes standard or URL-safe base64, padded or not.</summary>
    public static byte[] Bytes(Dictionary<string, JsonElement> fields, string name)
    {
        if (!fields.TryGetValue(name, out var value))
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.String)
        {
            throw new ProtoJsonException($"invalid value for bytes field {name}: {Token(value)}");
        }

        var text = value.GetString()!;
        var url = text.AsSpan().IndexOfAny('-', '_') >= 0;
        if (url && text.AsSpan().IndexOfAny('+', '/') >= 0)
        {
            throw new ProtoJsonException($"invalid value for bytes field {name}: illegal base64 data");
        }

        if (url)
        {
            text = text.Replace('-', '+').Replace('_', '/');
        }

        if (text.Length % 4 != 0)
        {
            if (text.Contains('=', StringComparison.Ordinal))
            {
                throw new ProtoJsonException($"invalid value for bytes field {name}: illegal base64 data");
            }

            text = text.PadRight(text.Length + (4 - (text.Length % 4)), '=');
        }

        // Go's base64 ignores \r and \n only; .NET would also skip spaces and tabs.
        if (text.AsSpan().IndexOfAny(' ', '\t') >= 0 || !GoBase64.TryDecodeStandard(text, out var bytes))
        {
            throw new ProtoJsonException($"invalid value for bytes field {name}: illegal base64 data");
        }

        return bytes;
    }

    /// <summary>A string field ("" when absent).</summary>
    public static string String(Dictionary<string, JsonElement> fields, string name)
    {
        if (!fields.TryGetValue(name, out var value))
        {
            return "";
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()!
            : throw new ProtoJsonException($"invalid value for string field {name}: {Token(value)}");
    }

    /// <summary>An enum field of type <c>dev.sigstore.common.v1.PublicKeyDetails</c> (unspecified when absent).</summary>
    public static PublicKeyDetails KeyDetails(Dictionary<string, JsonElement> fields, string name)
    {
        if (!fields.TryGetValue(name, out var value))
        {
            return PublicKeyDetails.Unspecified;
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.String when KeyDetailsByName.TryGetValue(value.GetString()!, out var details):
                return details;
            case JsonValueKind.Number when value.TryGetInt32(out var number):
                // protojson keeps unknown numbers of an open enum; they fail the algorithm lookup later.
                return (PublicKeyDetails)number;
            default:
                throw new ProtoJsonException($"invalid value for enum field {name}: {Token(value)}");
        }
    }

    /// <summary>A message field, or null when absent.</summary>
    public static JsonElement? Message(Dictionary<string, JsonElement> fields, string name) =>
        fields.TryGetValue(name, out var value) ? value : null;

    /// <summary>A repeated field's elements (none when absent).</summary>
    public static IReadOnlyList<JsonElement> Repeated(Dictionary<string, JsonElement> fields, string name, int max)
    {
        if (!fields.TryGetValue(name, out var value))
        {
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw new ProtoJsonException($"unexpected token {Token(value)}, expected a list for field {name}");
        }

        var length = value.GetArrayLength();
        if (length > max)
        {
            throw new ProtoJsonException($"too many elements in field {name}: {length}, max allowed: {max}");
        }

        return [.. value.EnumerateArray()];
    }

    private static string Token(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "a list",
        JsonValueKind.Object => "an object",
        _ => "null",
    };
}

/// <summary>The request is not valid protobuf JSON for its message (protojson's unmarshal error).</summary>
internal sealed class ProtoJsonException : Exception
{
    public ProtoJsonException(string message) : base("proto: " + message) { }

    public ProtoJsonException() : this("syntax error") { }

    public ProtoJsonException(string message, Exception inner) : base("proto: " + message, inner) { }
}
