using PrivateSigstore.Core.ProtoJson;

namespace PrivateSigstore.Core.Trust;

/// <summary>
/// Reads and writes <c>trusted_root.json</c> (<c>dev.sigstore.trustroot.v1.TrustedRoot</c>) in the proto3
/// JSON mapping, with the same reading rules and writing form as <see cref="Bundle.BundleJson"/>: unknown
/// fields ignored, unknown enum names, wrong types, duplicate fields, input over <see cref="MaxBytes"/> or
/// nesting deeper than 64 rejected with <see cref="WireFormatException"/>; fields written in proto order with
/// unset values omitted. The media type is not checked (sigstore-js does not check it either).
/// </summary>
public static class TrustedRootJson
{
    /// <summary>The largest trusted root accepted by the parsers (16 MiB).</summary>
    public const int MaxBytes = ProtoJsonDocument.DefaultMaxBytes;

    private const string What = "trusted root";

    /// <summary>Parses a trusted root from UTF-8 JSON.</summary>
    public static TrustedRoot Parse(ReadOnlySpan<byte> utf8) =>
        ProtoJsonDocument.Read(utf8, MaxBytes, What, root => TrustJson.ReadTrustedRoot(root, "$"));

    /// <summary>Parses a trusted root from a JSON string.</summary>
    public static TrustedRoot Parse(string json) =>
        ProtoJsonDocument.Read(json, MaxBytes, What, root => TrustJson.ReadTrustedRoot(root, "$"));

    /// <summary>Parses a trusted root read to the end of <paramref name="utf8Json"/> (at most <see cref="MaxBytes"/>).</summary>
    public static TrustedRoot Parse(Stream utf8Json) =>
        ProtoJsonDocument.Read(utf8Json, MaxBytes, What, root => TrustJson.ReadTrustedRoot(root, "$"));

    /// <summary>Writes the trusted root as proto3 JSON, compact unless <paramref name="indented"/>.</summary>
    public static string Serialize(TrustedRoot trustedRoot, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(trustedRoot);
        return ProtoJsonDocument.Write(w => TrustJson.WriteTrustedRoot(w, trustedRoot), indented);
    }

    /// <summary>Like <see cref="Serialize"/>, returning UTF-8 bytes.</summary>
    public static byte[] SerializeToUtf8Bytes(TrustedRoot trustedRoot, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(trustedRoot);
        return ProtoJsonDocument.WriteUtf8(w => TrustJson.WriteTrustedRoot(w, trustedRoot), indented);
    }
}
