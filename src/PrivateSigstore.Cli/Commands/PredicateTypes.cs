using System.Text.Json;

namespace PrivateSigstore.Cli.Commands;

/// <summary>
/// <c>--type</c> of <c>attest</c> and <c>verify-attestation</c>: a predicate type URI, or one of cosign's short names
/// (cosign <c>cmd/cosign/cli/options/predicate.go</c> PredicateTypeMap).
/// </summary>
internal static class PredicateTypes
{
    public static readonly IReadOnlyDictionary<string, string> ShortNames = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["custom"] = "https://cosign.sigstore.dev/attestation/v1",
        ["slsaprovenance"] = "https://slsa.dev/provenance/v0.2",
        ["slsaprovenance02"] = "https://slsa.dev/provenance/v0.2",
        ["slsaprovenance1"] = "https://slsa.dev/provenance/v1",
        ["spdx"] = "https://spdx.dev/Document",
        ["spdxjson"] = "https://spdx.dev/Document",
        ["cyclonedx"] = "https://cyclonedx.org/bom",
        ["cyclonedxxml"] = "https://cyclonedx.org/bom",
        ["link"] = "https://in-toto.io/Link/v1",
        ["vuln"] = "https://cosign.sigstore.dev/attestation/vuln/v1",
        ["openvex"] = "https://openvex.dev/ns",
    };

    public static string Names => string.Join('|', ShortNames.Keys);

    /// <summary>The URI for <paramref name="type"/>: a short name's, or the URI itself; a usage error otherwise.</summary>
    public static string Resolve(string type) =>
        ShortNames.TryGetValue(type, out var uri) ? uri
        : Uri.TryCreate(type, UriKind.Absolute, out _) ? type
        : throw new UsageException($"--type {type}: not a predicate type URI nor one of {Names}");

    /// <summary>The <c>predicateType</c> of an in-toto statement, or null when the payload is not one.</summary>
    public static string? Of(byte[] statement)
    {
        try
        {
            using var document = JsonDocument.Parse(statement);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("predicateType", out var t) && t.ValueKind == JsonValueKind.String
                ? t.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
