using System.Text.Json;

namespace PrivateSigstore.Fulcio.Api;

/// <summary>
/// Reading requests as grpc-gateway's protojson does (reference/fulcio.md §1): each field under its lowerCamelCase JSON name
/// or its proto snake_case name, unknown fields ignored, <c>bytes</c> as standard or URL-safe base64 with or without padding.
/// </summary>
internal static class ProtoJson
{
    /// <summary>Depth limit for request documents (requests are at most three levels deep).</summary>
    public static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 16 };

    /// <summary>The field named <paramref name="jsonName"/> or <paramref name="protoName"/>; null when absent or JSON null.</summary>
    /// <exception cref="ProtoJsonException">Both names are present (protojson rejects duplicate fields).</exception>
    public static JsonElement? Field(JsonElement message, string jsonName, string protoName)
    {
        if (message.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        JsonElement? found = null;
        foreach (var property in message.EnumerateObject())
        {
            if (property.NameEquals(jsonName) || property.NameEquals(protoName))
            {
                if (found is not null)
                {
                    throw new ProtoJsonException($"duplicate field \"{jsonName}\"");
                }

                found = property.Value;
            }
        }

        return found is { ValueKind: JsonValueKind.Null } ? null : found;
    }

    /// <summary>A message field: an object or absent.</summary>
    public static JsonElement? Message(JsonElement message, string jsonName, string protoName) =>
        Field(message, jsonName, protoName) switch
        {
            null => null,
            { ValueKind: JsonValueKind.Object } o => o,
            _ => throw new ProtoJsonException($"field \"{jsonName}\" must be an object"),
        };

    /// <summary>A string field; empty when absent.</summary>
    public static string String(JsonElement message, string jsonName, string protoName) =>
        Field(message, jsonName, protoName) switch
        {
            null => "",
            { ValueKind: JsonValueKind.String } s => s.GetString() ?? "",
            _ => throw new ProtoJsonException($"field \"{jsonName}\" must be a string"),
        };

    /// <summary>A bytes field (base64, either alphabet, padding optional); empty when absent.</summary>
    public static byte[] Bytes(JsonElement message, string jsonName, string protoName)
    {
        string text = String(message, jsonName, protoName);
        return text.Length == 0 ? [] : DecodeBase64(text) ?? throw new ProtoJsonException($"field \"{jsonName}\" is not valid base64");
    }

    /// <summary>Decodes standard or URL-safe base64 with or without padding (Go protojson); null when invalid.</summary>
    public static byte[]? DecodeBase64(string text)
    {
        var normalized = text.Trim().Replace('-', '+').Replace('_', '/').TrimEnd('=');
        if (normalized.Length % 4 == 1)
        {
            return null;
        }

        normalized = normalized.PadRight(normalized.Length + ((4 - (normalized.Length % 4)) % 4), '=');
        var buffer = new byte[normalized.Length / 4 * 3];
        return Convert.TryFromBase64String(normalized, buffer, out int written) ? buffer[..written] : null;
    }
}

/// <summary>The request body is not a valid message.</summary>
internal sealed class ProtoJsonException(string message) : Exception(message);
