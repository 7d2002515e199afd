using PrivateSigstore.Core.ProtoJson;

namespace PrivateSigstore.Core.Trust;

/// <summary>
/// Reads and writes a client trust config (<c>dev.sigstore.trustroot.v1.ClientTrustConfig</c>: a trusted
/// root and a v0.2 signing config in one document) in the proto3 JSON mapping, with the same rules as
/// <see cref="TrustedRootJson"/>.
/// </summary>
public static class ClientTrustConfigJson
{
    /// <summary>The largest client trust config accepted by the parsers (16 MiB).</summary>
    public const int MaxBytes = ProtoJsonDocument.DefaultMaxBytes;

    private const string What = "client trust config";

    /// <summary>Parses a client trust config from UTF-8 JSON.</summary>
    public static ClientTrustConfig Parse(ReadOnlySpan<byte> utf8) =>
        ProtoJsonDocument.Read(utf8, MaxBytes, What, root => TrustJson.ReadClientTrustConfig(root, "$"));

    /// <summary>Parses a client trust config from a JSON string.</summary>
    public static ClientTrustConfig Parse(string json) =>
        ProtoJsonDocument.Read(json, MaxBytes, What, root => TrustJson.ReadClientTrustConfig(root, "$"));

    /// <summary>Writes the client trust config as proto3 JSON, compact unless <paramref name="indented"/>.</summary>
    public static string Serialize(ClientTrustConfig config, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(config);
        return ProtoJsonDocument.Write(w => TrustJson.WriteClientTrustConfig(w, config), indented);
    }
}
