using System.Text.Json;

namespace PrivateSigstore.Core.Ct;

/// <summary>
/// The RFC 6962 §4.1 add-chain / add-pre-chain answer, ct-go's <c>AddChainResponse</c>:
/// <c>{"sct_version":0,"id":b64,"timestamp":ms,"extensions":b64,"signature":b64(TLS DigitallySigned)}</c>. Fulcio also
/// returns it (base64) as the detached SCT.
/// </summary>
public static class AddChainResponse
{
    /// <summary>Writes <paramref name="sct"/> as an AddChainResponse object.</summary>
    public static void Write(Utf8JsonWriter writer, SignedCertificateTimestamp sct)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(sct);
        writer.WriteStartObject();
        writer.WriteNumber("sct_version", sct.Version);
        writer.WriteBase64String("id", sct.LogId);
        writer.WriteNumber("timestamp", sct.Timestamp);
        writer.WriteBase64String("extensions", sct.Extensions);
        writer.WriteBase64String("signature", new DigitallySigned(sct.HashAlgorithm, sct.SignatureAlgorithm, sct.Signature).Serialize());
        writer.WriteEndObject();
    }

    /// <summary>The AddChainResponse JSON of <paramref name="sct"/> as UTF-8.</summary>
    public static byte[] Serialize(SignedCertificateTimestamp sct)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            Write(writer, sct);
        }

        return stream.ToArray();
    }

    /// <summary>Parses an AddChainResponse.</summary>
    /// <exception cref="WireFormatException">Not an AddChainResponse: bad JSON, a missing field, a log ID that is not 32 bytes, or a malformed signature.</exception>
    public static SignedCertificateTimestamp Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 4 });
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            var version = root.GetProperty("sct_version").GetByte();
            var id = root.GetProperty("id").GetBytesFromBase64();
            var timestamp = root.GetProperty("timestamp").GetUInt64();
            var extensions = root.TryGetProperty("extensions", out var e) && e.ValueKind == JsonValueKind.String ? e.GetBytesFromBase64() : [];
            var signature = DigitallySigned.Parse(root.GetProperty("signature").GetBytesFromBase64());
            if (id.Length != SignedCertificateTimestamp.LogIdLength)
            {
                throw new WireFormatException($"AddChainResponse id is {id.Length} bytes, not {SignedCertificateTimestamp.LogIdLength}");
            }

            return new SignedCertificateTimestamp(version, id, timestamp, extensions, signature.HashAlgorithm, signature.SignatureAlgorithm, signature.Signature);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or KeyNotFoundException or FormatException and not WireFormatException)
        {
            throw new WireFormatException($"not an AddChainResponse: {ex.Message}", ex);
        }
    }
}
