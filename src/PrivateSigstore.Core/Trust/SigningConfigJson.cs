using System.Text.Json;
using PrivateSigstore.Core.ProtoJson;

namespace PrivateSigstore.Core.Trust;

/// <summary>
/// Reads and writes signing configs in the proto3 JSON mapping, with the same rules as
/// <see cref="TrustedRootJson"/>. The two versions share field names with different types (v0.1 <c>tsaUrls</c>
/// holds strings, v0.2 holds services), so each has its own parser: <see cref="Parse(ReadOnlySpan{byte})"/>
/// for v0.2 and <see cref="ParseV01(ReadOnlySpan{byte})"/> for v0.1; <see cref="PeekMediaType"/> tells them
/// apart. Each parser rejects a document whose media type names the other version.
/// </summary>
public static class SigningConfigJson
{
    /// <summary>The largest signing config accepted by the parsers (16 MiB).</summary>
    public const int MaxBytes = ProtoJsonDocument.DefaultMaxBytes;

    private const string What = "signing config";

    private static readonly ProtoMessage MediaTypeOnly = new("dev.sigstore.trustroot.v1.SigningConfig", "mediaType|media_type");

    /// <summary>
    /// Parses a v0.2 signing config. A document whose media type names v0.1 is rejected, since its fields
    /// would be silently lost; other media types are not checked.
    /// </summary>
    public static SigningConfig Parse(ReadOnlySpan<byte> utf8) => ProtoJsonDocument.Read(utf8, MaxBytes, What, ReadV02);

    /// <summary>Parses a v0.2 signing config from a JSON string (see <see cref="Parse(ReadOnlySpan{byte})"/>).</summary>
    public static SigningConfig Parse(string json) => ProtoJsonDocument.Read(json, MaxBytes, What, ReadV02);

    /// <summary>Parses a v0.2 signing config read to the end of <paramref name="utf8Json"/>.</summary>
    public static SigningConfig Parse(Stream utf8Json) => ProtoJsonDocument.Read(utf8Json, MaxBytes, What, ReadV02);

    /// <summary>Parses a v0.1 signing config; the media type must be a v0.1 one (<see cref="SigningConfigMediaType.IsV01"/>).</summary>
    public static SigningConfigV01 ParseV01(ReadOnlySpan<byte> utf8) => ProtoJsonDocument.Read(utf8, MaxBytes, What, ReadV01);

    /// <summary>Parses a v0.1 signing config from a JSON string (see <see cref="ParseV01(ReadOnlySpan{byte})"/>).</summary>
    public static SigningConfigV01 ParseV01(string json) => ProtoJsonDocument.Read(json, MaxBytes, What, ReadV01);

    /// <summary>
    /// Reads only the <c>mediaType</c> of a signing config (empty when absent), to choose between
    /// <see cref="Parse(ReadOnlySpan{byte})"/> and <see cref="ParseV01(ReadOnlySpan{byte})"/>. The whole
    /// input must still be well-formed, bounded JSON.
    /// </summary>
    public static string PeekMediaType(ReadOnlySpan<byte> utf8) =>
        ProtoJsonDocument.Read(utf8, MaxBytes, What, root => MediaTypeOnly.Collect(root, "$").String(0));

    /// <summary>Writes a v0.2 signing config as proto3 JSON, compact unless <paramref name="indented"/>.</summary>
    public static string Serialize(SigningConfig signingConfig, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(signingConfig);
        return ProtoJsonDocument.Write(w => TrustJson.WriteSigningConfig(w, signingConfig), indented);
    }

    /// <summary>Writes a v0.1 signing config as proto3 JSON, compact unless <paramref name="indented"/>.</summary>
    public static string Serialize(SigningConfigV01 signingConfig, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(signingConfig);
        return ProtoJsonDocument.Write(w => TrustJson.WriteSigningConfigV01(w, signingConfig), indented);
    }

    private static SigningConfig ReadV02(JsonElement root)
    {
        // v0.1 fields (caUrl, tlogUrls, …) would be dropped as unknown or misread; refuse rather than lose them.
        var mediaType = MediaTypeOnly.Collect(root, "$").String(0);
        return SigningConfigMediaType.IsV01(mediaType)
            ? throw new WireFormatException($"$.mediaType: \"{mediaType}\" is a v0.1 signing config; parse it with ParseV01")
            : TrustJson.ReadSigningConfig(root, "$");
    }

    private static SigningConfigV01 ReadV01(JsonElement root)
    {
        var mediaType = MediaTypeOnly.Collect(root, "$").String(0);
        if (!SigningConfigMediaType.IsV01(mediaType))
        {
            throw new WireFormatException($"$.mediaType: \"{mediaType}\" is not a v0.1 signing config media type");
        }

        return TrustJson.ReadSigningConfigV01(root, "$");
    }
}
