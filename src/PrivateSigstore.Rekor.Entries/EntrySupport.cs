using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Json;

namespace PrivateSigstore.Rekor.Entries;

/// <summary>What one entry kind produced: the canonical leaf and the side outputs.</summary>
internal sealed record EntryResult(byte[] Body, IReadOnlyList<string> IndexKeys, byte[]? Attestation);

/// <summary>A <c>{algorithm, value}</c> hash object as decoded from a Go map (either part may be missing).</summary>
internal sealed record HashValue(string? Algorithm, string? Value)
{
    /// <summary>Decodes <c>m[name].(map[string]any)</c> into algorithm/value strings; null when absent.</summary>
    public static HashValue? From(JsonElement map, string name) =>
        GoJson.Object(map, name) is { } hash ? new HashValue(GoJson.String(hash, "algorithm"), GoJson.String(hash, "value")) : null;

    /// <summary>A server-computed SHA-256 digest.</summary>
    public static HashValue Sha256(ReadOnlySpan<byte> data) => new("sha256", Convert.ToHexStringLower(SHA256.HashData(data)));

    /// <summary>go-openapi validation of a required-algorithm (enum) / required-value hash object at <paramref name="path"/>.</summary>
    public void Validate(string path, SchemaErrors errors, params string[] algorithms)
    {
        if (Algorithm is null)
        {
            errors.Required(path + ".algorithm");
        }
        else if (Array.IndexOf(algorithms, Algorithm) < 0)
        {
            errors.Add($"{path}.algorithm in body should be one of [{string.Join(' ', algorithms)}]");
        }

        if (Value is null)
        {
            errors.Required(path + ".value");
        }
    }

    /// <summary>The JSON object Go's model marshals (both fields present after validation).</summary>
    public JsonObject ToJson() => new() { ["algorithm"] = Algorithm, ["value"] = Value };

    /// <summary>The index key <c>strings.ToLower(alg + ":" + value)</c>.</summary>
    public string IndexKey() => $"{Algorithm}:{Value}";
}

/// <summary>go-openapi's generated <c>Validate</c>: every rule broken, reported as one composite error.</summary>
internal sealed class SchemaErrors
{
    private readonly List<string> _errors = [];

    public void Required(string path) => _errors.Add($"{path} in body is required");

    public void Add(string message) => _errors.Add(message);

    /// <summary>Throws <c>validation failure list:\n…</c> (go-openapi <c>CompositeValidationError</c>) when anything was added.</summary>
    public void ThrowIfAny()
    {
        if (_errors.Count > 0)
        {
            throw new EntryFailure("validation failure list:\n" + string.Join('\n', _errors), FailureStage.Processing);
        }
    }
}

/// <summary>Helpers shared by the entry kinds.</summary>
internal static class EntrySupport
{
    /// <summary>The upstream model wrapper <c>{"apiVersion", "kind", "spec"}</c>, serialized as RFC 8785 JSON.</summary>
    public static byte[] CanonicalBody(string kind, string apiVersion, JsonObject spec) =>
        CanonicalJson.Serialize(new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind, ["spec"] = spec });

    /// <summary>DecodeEntry's type switch: only a JSON object (Go <c>map[string]any</c>) is a spec.</summary>
    public static void RequireObjectSpec(JsonElement spec)
    {
        if (spec.ValueKind != JsonValueKind.Object)
        {
            throw new EntryFailure($"unsupported input type {GoJson.GoTypeName(spec)} for DecodeEntry", FailureStage.Processing);
        }
    }

    /// <summary>Throws upstream's <c>entry not insertable into log: …</c>.</summary>
    public static EntryFailure NotInsertable(string reason) => new($"entry not insertable into log: {reason}", FailureStage.Processing);

    /// <summary>"sha256:" + hex SHA-256 of canonical key PEM (dsse and intoto index keys).</summary>
    public static string PrefixedKeyHash(byte[] canonicalPem) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(canonicalPem));

    /// <summary>The in-toto subject and material digests for the index (dsse and intoto use this).</summary>
    public static bool TryInTotoKeys(byte[] payload, List<string> keys)
    {
        if (!InTotoStatement.TrySubjectDigests(payload, out var subjects))
        {
            return false;
        }

        keys.AddRange(subjects);
        if (InTotoStatement.TryMaterialDigests(payload, out var materials))
        {
            keys.AddRange(materials);
        }

        return true;
    }
}
