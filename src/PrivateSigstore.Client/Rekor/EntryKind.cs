using System.Text.Json;
using PrivateSigstore.Core;

namespace PrivateSigstore.Client.Rekor;

/// <summary>
/// Reads the <c>kind</c> and <c>apiVersion</c> of a Rekor v1 canonical body without validating the rest, as clients do to
/// fill a bundle's <c>kindVersion</c>. Entry admission (validation and canonicalization) is the server's
/// (<c>PrivateSigstore.Rekor.Entries</c>); the client needs only this.
/// </summary>
internal static class EntryKind
{
    /// <exception cref="WireFormatException">The body is not a JSON object with string <c>kind</c> and <c>apiVersion</c>.</exception>
    public static (string Kind, string ApiVersion) Read(ReadOnlySpan<byte> body)
    {
        try
        {
            // Go's encoding/json: invalid UTF-8 is an error here, the last duplicate member wins.
            if (!System.Text.Unicode.Utf8.IsValid(body))
            {
                throw new WireFormatException("parsing proposedEntry body failed: invalid UTF-8 in JSON text");
            }

            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 32 });
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new WireFormatException("entry body is not a JSON object");
            }

            string? kind = null, version = null;
            foreach (var member in root.EnumerateObject())
            {
                if (member.NameEquals("kind"))
                {
                    kind = member.Value.ValueKind == JsonValueKind.String ? member.Value.GetString() : null;
                }
                else if (member.NameEquals("apiVersion"))
                {
                    version = member.Value.ValueKind == JsonValueKind.String ? member.Value.GetString() : null;
                }
            }

            return string.IsNullOrEmpty(kind) || string.IsNullOrEmpty(version)
                ? throw new WireFormatException("entry body has no string kind and apiVersion")
                : (kind, version);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new WireFormatException($"parsing proposedEntry body failed: {e.Message}", e);
        }
    }
}
