using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Json;

namespace PrivateSigstore.Client.ModelSigning;

/// <summary>
/// The in-toto Statement v1 of an OpenSSF model_signing signature: one subject (the model name and the SHA-256 over
/// all resource digests), predicate type <see cref="PredicateType"/>, and a predicate with <c>serialization</c> and
/// <c>resources</c>. Reading also accepts the pre-1.0 <see cref="PredicateTypeV01"/> (one subject per file).
/// </summary>
public static class ModelStatement
{
    /// <summary>The in-toto statement type.</summary>
    public const string StatementType = "https://in-toto.io/Statement/v1";

    /// <summary>model_signing v1.x's predicate type.</summary>
    public const string PredicateType = "https://model_signing/signature/v1.0";

    /// <summary>model_signing v0.2's predicate type (a subject per file).</summary>
    public const string PredicateTypeV01 = "https://model_signing/Digests/v0.1";

    /// <summary>The model name v0.2 signatures are read with (they carry none), as model_signing.</summary>
    public const string CompatModelName = "compat-undefined-not-present";

    /// <summary>The statement's JSON bytes for <paramref name="manifest"/>.</summary>
    public static byte[] Create(ModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var resources = new JsonArray();
        foreach (var resource in manifest.Resources)
        {
            resources.Add((JsonNode)new JsonObject { ["name"] = resource.Name, ["algorithm"] = resource.Algorithm, ["digest"] = resource.DigestHex });
        }
        var s = manifest.Serialization;
        var serialization = new JsonObject { ["method"] = s.Method, ["hash_type"] = s.HashType };
        if (s.ShardSize is { } size && s.Method == ModelSerialization.Shards)
        {
            serialization["shard_size"] = size;
        }
        serialization["allow_symlinks"] = s.AllowSymlinks;
        if (s.IgnorePaths.Count > 0)
        {
            serialization["ignore_paths"] = new JsonArray([.. s.IgnorePaths.Select(p => (JsonNode)p)]);
        }
        var statement = new JsonObject
        {
            ["_type"] = StatementType,
            ["subject"] = new JsonArray(new JsonObject
            {
                ["name"] = manifest.ModelName,
                ["digest"] = new JsonObject { ["sha256"] = Convert.ToHexStringLower(manifest.RootDigest()) },
            }),
            ["predicateType"] = PredicateType,
            ["predicate"] = new JsonObject { ["serialization"] = serialization, ["resources"] = resources },
        };
        return System.Text.Encoding.UTF8.GetBytes(statement.ToJsonString());
    }

    /// <summary>
    /// Reads the signed manifest from a statement (v1.0 or Digests/v0.1); checks the subject digest over the
    /// resources. <exception cref="FormatException">The statement is not a model signature or is inconsistent.</exception>
    /// </summary>
    public static ModelManifest Parse(ReadOnlySpan<byte> payload)
    {
        try
        {
            var root = StrictJson.Parse(payload) as JsonObject ?? throw new FormatException("the statement is not a JSON object");
            if ((string?)root["_type"] != StatementType)
            {
                throw new FormatException($"expected an in-toto {StatementType} statement, got {(string?)root["_type"] ?? "no _type"}");
            }
            var predicateType = (string?)root["predicateType"];
            var subjects = root["subject"] as JsonArray ?? throw new FormatException("the statement has no subject list");
            if (predicateType == PredicateTypeV01)
            {
                var compat = new ModelSerialization(ModelSerialization.Files, "sha256", false, []);
                return new ModelManifest(CompatModelName, subjects.Select(s => new ModelResource(
                    Required(s, "name"), 0, null, "sha256", Hex((string?)s?["digest"]?["sha256"] ?? throw new FormatException("a v0.1 subject has no sha256 digest")))), compat);
            }
            if (predicateType != PredicateType)
            {
                throw new FormatException($"predicate type {predicateType ?? "(none)"} is not {PredicateType} (nor {PredicateTypeV01})");
            }
            if (subjects.Count != 1)
            {
                throw new FormatException($"expected one subject, got {subjects.Count}");
            }
            var modelName = Required(subjects[0], "name");
            var expected = (string?)subjects[0]!["digest"]?["sha256"] ?? throw new FormatException("the subject has no sha256 digest");
            var predicate = root["predicate"] as JsonObject ?? throw new FormatException("the statement has no predicate");
            var args = predicate["serialization"] as JsonObject ?? throw new FormatException("the predicate has no serialization");
            var method = Required(args, "method");
            var serialization = new ModelSerialization(method, Required(args, "hash_type"),
                args["allow_symlinks"]?.GetValueKind() switch
                {
                    JsonValueKind.True => true,
                    JsonValueKind.False => false,
                    JsonValueKind.String => string.Equals((string?)args["allow_symlinks"], "true", StringComparison.OrdinalIgnoreCase),
                    _ => throw new FormatException("serialization.allow_symlinks is missing"),
                },
                [.. (args["ignore_paths"] as JsonArray ?? []).Select(p => (string?)p ?? throw new FormatException("an ignore path is not a string"))],
                method switch
                {
                    ModelSerialization.Files => null,
                    ModelSerialization.Shards => (long?)args["shard_size"] ?? throw new FormatException("serialization.shard_size is missing"),
                    _ => throw new FormatException($"unknown serialization method {method}"),
                });
            var resources = new List<ModelResource>();
            using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
            foreach (var node in predicate["resources"] as JsonArray ?? throw new FormatException("the predicate has no resources"))
            {
                var name = Required(node, "name");
                var digest = Hex(Required(node, "digest"));
                hash.AppendData(digest);
                resources.Add(Resource(name, Required(node, "algorithm"), digest, method));
            }
            var actual = Convert.ToHexStringLower(hash.GetHashAndReset());
            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            {
                throw new FormatException($"the manifest is inconsistent: the subject digest is {expected}, the resources hash to {actual}");
            }
            return new ModelManifest(modelName, resources, serialization);
        }
        catch (JsonException e)
        {
            throw new FormatException($"the statement does not parse: {e.Message}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new FormatException($"the statement has a field of the wrong type: {e.Message}", e);
        }
    }

    private static ModelResource Resource(string name, string algorithm, byte[] digest, string method)
    {
        if (method != ModelSerialization.Shards)
        {
            return new ModelResource(name, 0, null, algorithm, digest);
        }
        var parts = name.Split(':');
        if (parts.Length != 3 || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var end))
        {
            throw new FormatException($"invalid shard resource name {name}: expected path:start:end");
        }
        return new ModelResource(parts[0], start, end, algorithm, digest);
    }

    private static string Required(JsonNode? node, string field) =>
        (string?)node?[field] ?? throw new FormatException($"missing {field}");

    private static byte[] Hex(string hex)
    {
        try
        {
            return Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            throw new FormatException($"digest {hex} is not hex");
        }
    }
}
