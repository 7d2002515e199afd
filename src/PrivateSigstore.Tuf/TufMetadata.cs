using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Tuf;

/// <summary>The four top-level TUF roles.</summary>
public enum TufRole
{
    Root,
    Targets,
    Snapshot,
    Timestamp,
}

/// <summary>Names and file names of the roles.</summary>
public static class TufRoles
{
    public static readonly TufRole[] All = [TufRole.Root, TufRole.Targets, TufRole.Snapshot, TufRole.Timestamp];

    public static string Name(this TufRole role) => role switch
    {
        TufRole.Root => "root",
        TufRole.Targets => "targets",
        TufRole.Snapshot => "snapshot",
        TufRole.Timestamp => "timestamp",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    public static TufRole Parse(string name) => name.ToLowerInvariant() switch
    {
        "root" => TufRole.Root,
        "targets" => TufRole.Targets,
        "snapshot" => TufRole.Snapshot,
        "timestamp" => TufRole.Timestamp,
        _ => throw new TufException($"unknown role '{name}' (root, targets, snapshot or timestamp)"),
    };
}

/// <summary>One signature of a metadata file: the key ID and the hex signature over the canonical <c>signed</c> object.</summary>
public sealed record TufSignature(string KeyId, string Sig);

/// <summary>The keys of one role in root metadata and how many of them must sign.</summary>
public sealed record RoleKeys(IReadOnlyList<string> KeyIds, int Threshold);

/// <summary>A role's entry in timestamp or snapshot metadata (<c>meta</c>): version, and optionally length and hashes.</summary>
public sealed record MetaFile(long Version, long? Length, IReadOnlyDictionary<string, string>? Hashes)
{
    /// <summary>The entry for <paramref name="bytes"/> published as <paramref name="version"/>, with length and SHA-256.</summary>
    public static MetaFile For(long version, byte[] bytes) =>
        new(version, bytes.LongLength, new Dictionary<string, string> { ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes)) });

    internal JsonObject ToJson()
    {
        var o = new JsonObject();
        if (Hashes is not null) o["hashes"] = new JsonObject(Hashes.Select(h => KeyValuePair.Create(h.Key, (JsonNode?)h.Value)));
        if (Length is { } l) o["length"] = l;
        o["version"] = Version;
        return o;
    }

    internal static MetaFile Parse(JsonObject o, string where) => new(
        TufJson.Integer(o, "version", where, 1),
        o.ContainsKey("length") ? TufJson.Integer(o, "length", where) : null,
        o.ContainsKey("hashes") ? TufJson.Hashes(TufJson.Object(o, "hashes", where), where) : null);

    /// <summary>Checks <paramref name="bytes"/> against the length and every hash given; throws <see cref="TufSecurityException"/>.</summary>
    public void Check(ReadOnlySpan<byte> bytes, string what)
    {
        if (Length is { } l && bytes.Length != l) throw new TufSecurityException($"{what} is {bytes.Length} bytes, its metadata says {l}");
        if (Hashes is not null) TargetFile.CheckHashes(Hashes, bytes, what);
    }
}

/// <summary>A target in targets metadata: length and hashes (and the optional <c>custom</c> object).</summary>
public sealed record TargetFile(long Length, IReadOnlyDictionary<string, string> Hashes, JsonObject? Custom = null)
{
    public static TargetFile For(byte[] bytes) =>
        new(bytes.LongLength, new Dictionary<string, string> { ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(bytes)) });

    /// <summary>The SHA-256 hex digest (every target we publish has one; consistent-snapshot file names use it).</summary>
    public string Sha256 => Hashes.TryGetValue("sha256", out var h) ? h : Hashes.Values.First();

    internal JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["hashes"] = new JsonObject(Hashes.Select(h => KeyValuePair.Create(h.Key, (JsonNode?)h.Value))),
            ["length"] = Length,
        };
        if (Custom is not null) o["custom"] = Custom.DeepClone();
        return o;
    }

    internal static TargetFile Parse(JsonObject o, string where) => new(
        TufJson.Integer(o, "length", where),
        TufJson.Hashes(TufJson.Object(o, "hashes", where), where),
        o["custom"] as JsonObject);

    /// <summary>Checks length and every hash we know (sha256, sha384, sha512); throws <see cref="TufSecurityException"/>.</summary>
    public void Check(ReadOnlySpan<byte> bytes, string what)
    {
        if (bytes.Length != Length) throw new TufSecurityException($"{what} is {bytes.Length} bytes, the targets metadata says {Length}");
        CheckHashes(Hashes, bytes, what);
    }

    internal static void CheckHashes(IReadOnlyDictionary<string, string> hashes, ReadOnlySpan<byte> bytes, string what)
    {
        var checkedAny = false;
        foreach (var (algorithm, expected) in hashes)
        {
            byte[]? actual = algorithm switch
            {
                "sha256" => SHA256.HashData(bytes),
                "sha384" => SHA384.HashData(bytes),
                "sha512" => SHA512.HashData(bytes),
                _ => null,
            };
            if (actual is null) continue;
            checkedAny = true;
            if (!string.Equals(Convert.ToHexStringLower(actual), expected, StringComparison.OrdinalIgnoreCase))
            {
                throw new TufSecurityException($"{what}: its {algorithm} hash {Convert.ToHexStringLower(actual)} differs from the metadata's {expected}");
            }
        }
        if (!checkedAny) throw new TufSecurityException($"{what}: no supported hash algorithm in the metadata ({string.Join(", ", hashes.Keys)})");
    }
}

/// <summary>
/// One TUF metadata file: the <c>signed</c> object (kept as parsed, so signatures are checked over exactly the
/// fields that were signed, unknown ones included) and its signatures.
/// </summary>
public sealed class TufMetadata
{
    /// <summary>The specification version we write; clients accept any 1.x.</summary>
    public const string SpecVersion = "1.0.31";

    /// <summary>The largest metadata file the client reads or the repository accepts.</summary>
    public const int MaxBytes = 4 * 1024 * 1024;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private TufMetadata(TufRole role, JsonObject signed, List<TufSignature> signatures)
    {
        Role = role;
        Signed = signed;
        Signatures = signatures;
        var where = role.Name();
        Version = TufJson.Integer(signed, "version", where, 1);
        Expires = TufJson.Expires(signed, where);
    }

    public TufRole Role { get; }

    /// <summary>The <c>signed</c> object. Change it only through the builders; signatures cover its canonical form.</summary>
#pragma warning disable CA1720 // "signed" is the TUF field name
    public JsonObject Signed { get; }
#pragma warning restore CA1720

    public List<TufSignature> Signatures { get; }

    public long Version { get; }

    public DateTimeOffset Expires { get; }

    /// <summary>The bytes signatures are made over: the canonical JSON of <see cref="Signed"/>.</summary>
    public byte[] CanonicalSigned() => TufCanonicalJson.Serialize(Signed);

    /// <summary>Parses and checks the shape of a metadata file of <paramref name="expected"/> role (signatures not yet verified).</summary>
    public static TufMetadata Parse(ReadOnlySpan<byte> bytes, TufRole expected, string source)
    {
        try
        {
            return ParseUnchecked(bytes, expected, source);
        }
        catch (TufFormatException e) when (!e.Message.StartsWith(source, StringComparison.Ordinal))
        {
            throw new TufFormatException($"{source}: {e.Message}", e);
        }
    }

    private static TufMetadata ParseUnchecked(ReadOnlySpan<byte> bytes, TufRole expected, string source)
    {
        if (bytes.Length > MaxBytes) throw new TufFormatException($"{source}: {bytes.Length} bytes is more than the {MaxBytes} a metadata file may have");
        var document = TufJson.ParseObject(bytes, source);
        var signed = TufJson.Object(document, "signed", source);
        var type = TufJson.String(signed, "_type", source);
        if (!string.Equals(type, expected.Name(), StringComparison.Ordinal)) throw new TufFormatException($"{source}: _type is '{type}', expected '{expected.Name()}'");
        var spec = TufJson.String(signed, "spec_version", source);
        if (spec.Split('.') is not ["1", ..]) throw new TufFormatException($"{source}: unsupported spec_version '{spec}' (1.x is supported)");
        var signatures = new List<TufSignature>();
        foreach (var s in TufJson.Array(document, "signatures", source))
        {
            if (s is not JsonObject so) throw new TufFormatException($"{source}: each signature must be an object");
            signatures.Add(new TufSignature(TufJson.String(so, "keyid", source + " signature"), TufJson.String(so, "sig", source + " signature")));
        }
        var metadata = new TufMetadata(expected, (JsonObject)signed.DeepClone(), signatures);
        _ = metadata.Role switch
        {
            TufRole.Root => (object)metadata.AsRoot(),
            TufRole.Targets => metadata.AsTargets(),
            TufRole.Snapshot => metadata.AsSnapshot(),
            _ => metadata.AsTimestamp(),
        };
        return metadata;
    }

    /// <summary>The file's JSON (indented; only the canonical form of <c>signed</c> is signed).</summary>
    public byte[] ToBytes()
    {
        var document = new JsonObject
        {
            ["signatures"] = new JsonArray([.. Signatures.Select(s => (JsonNode)new JsonObject { ["keyid"] = s.KeyId, ["sig"] = s.Sig })]),
            ["signed"] = Signed.DeepClone(),
        };
        return System.Text.Encoding.UTF8.GetBytes(document.ToJsonString(Indented));
    }

    /// <summary>Adds (or replaces) <paramref name="signer"/>'s signature. Returns its key ID.</summary>
    public string Sign(ISigningKey signer)
    {
        var key = TufKey.FromSigningKey(signer);
        var sig = Convert.ToHexStringLower(TufKey.Sign(signer, CanonicalSigned()));
        Signatures.RemoveAll(s => s.KeyId == key.KeyId);
        Signatures.Add(new TufSignature(key.KeyId, sig));
        return key.KeyId;
    }

    /// <summary>The key IDs of <paramref name="role"/> that signed this file validly (each counted once).</summary>
    public IReadOnlyList<string> ValidSigners(RoleKeys role, IReadOnlyDictionary<string, TufKey> keys)
    {
        var data = CanonicalSigned();
        var valid = new List<string>();
        foreach (var keyId in role.KeyIds.Distinct(StringComparer.Ordinal))
        {
            if (!keys.TryGetValue(keyId, out var key)) continue;
            foreach (var s in Signatures.Where(s => s.KeyId == keyId))
            {
                byte[] sig;
                try
                {
                    sig = Convert.FromHexString(s.Sig);
                }
                catch (FormatException)
                {
                    continue;
                }
                if (key.Verify(data, sig))
                {
                    valid.Add(keyId);
                    break;
                }
            }
        }
        return valid;
    }

    /// <summary>Throws <see cref="TufThresholdException"/> unless at least the role's threshold of its keys signed.</summary>
    public void VerifyThreshold(RoleKeys role, IReadOnlyDictionary<string, TufKey> keys, string what)
    {
        var valid = ValidSigners(role, keys);
        if (valid.Count < role.Threshold)
        {
            throw new TufThresholdException($"{what} has {valid.Count} valid signature(s) of the {role.Threshold} needed (threshold not met; keys: {string.Join(", ", role.KeyIds.Select(k => k[..Math.Min(16, k.Length)]))})");
        }
    }

    /// <summary>The root view; <see cref="TufFormatException"/> if this is not well-formed root metadata.</summary>
    public RootInfo AsRoot() => Role == TufRole.Root ? RootInfo.Parse(Signed) : throw new InvalidOperationException("not root metadata");

    /// <summary>The timestamp view: the snapshot entry.</summary>
    public MetaFile AsTimestamp()
    {
        if (Role != TufRole.Timestamp) throw new InvalidOperationException("not timestamp metadata");
        var meta = TufJson.Object(Signed, "meta", "timestamp");
        var snapshot = meta["snapshot.json"] as JsonObject ?? throw new TufFormatException("timestamp: meta has no 'snapshot.json' object");
        return MetaFile.Parse(snapshot, "timestamp meta snapshot.json");
    }

    /// <summary>The snapshot view: the versions of the targets metadata files.</summary>
    public IReadOnlyDictionary<string, MetaFile> AsSnapshot()
    {
        if (Role != TufRole.Snapshot) throw new InvalidOperationException("not snapshot metadata");
        var meta = TufJson.Object(Signed, "meta", "snapshot");
        var result = new Dictionary<string, MetaFile>(StringComparer.Ordinal);
        foreach (var (name, value) in meta)
        {
            result[name] = MetaFile.Parse(value as JsonObject ?? throw new TufFormatException($"snapshot: meta '{name}' must be an object"), $"snapshot meta {name}");
        }
        if (!result.ContainsKey("targets.json")) throw new TufFormatException("snapshot: meta has no 'targets.json'");
        return result;
    }

    /// <summary>The targets view: target name → length and hashes. Delegations are not supported.</summary>
    public IReadOnlyDictionary<string, TargetFile> AsTargets()
    {
        if (Role != TufRole.Targets) throw new InvalidOperationException("not targets metadata");
        var targets = TufJson.Object(Signed, "targets", "targets");
        var result = new Dictionary<string, TargetFile>(StringComparer.Ordinal);
        foreach (var (name, value) in targets)
        {
            result[name] = TargetFile.Parse(value as JsonObject ?? throw new TufFormatException($"targets: '{name}' must be an object"), $"targets '{name}'");
        }
        return result;
    }

    private static JsonObject Header(TufRole role, long version, DateTimeOffset expires) => new()
    {
        ["_type"] = role.Name(),
        ["spec_version"] = SpecVersion,
        ["version"] = version,
        ["expires"] = TufJson.FormatExpires(expires),
    };

    /// <summary>New unsigned root metadata with <c>consistent_snapshot</c> on.</summary>
    public static TufMetadata NewRoot(long version, DateTimeOffset expires, IReadOnlyDictionary<TufRole, (IReadOnlyList<TufKey> Keys, int Threshold)> roles)
    {
        foreach (var role in TufRoles.All)
        {
            if (!roles.TryGetValue(role, out var r)) throw new TufException($"root: no keys for the {role.Name()} role");
            if (r.Threshold < 1 || r.Threshold > r.Keys.Select(k => k.KeyId).Distinct().Count())
            {
                throw new TufException($"root: the {role.Name()} threshold {r.Threshold} must be between 1 and its {r.Keys.Count} key(s)");
            }
        }
        var signed = Header(TufRole.Root, version, expires);
        signed["consistent_snapshot"] = true;
        var keys = new JsonObject();
        foreach (var key in roles.Values.SelectMany(r => r.Keys).DistinctBy(k => k.KeyId).OrderBy(k => k.KeyId, StringComparer.Ordinal))
        {
            keys[key.KeyId] = key.Json.DeepClone();
        }
        signed["keys"] = keys;
        var roleObject = new JsonObject();
        foreach (var role in TufRoles.All)
        {
            var (roleKeys, threshold) = roles[role];
            roleObject[role.Name()] = new JsonObject
            {
                ["keyids"] = new JsonArray([.. roleKeys.Select(k => k.KeyId).Distinct().Order(StringComparer.Ordinal).Select(id => (JsonNode)id)]),
                ["threshold"] = threshold,
            };
        }
        signed["roles"] = roleObject;
        return new TufMetadata(TufRole.Root, signed, []);
    }

    /// <summary>New unsigned targets metadata.</summary>
    public static TufMetadata NewTargets(long version, DateTimeOffset expires, IReadOnlyDictionary<string, TargetFile> targets)
    {
        var signed = Header(TufRole.Targets, version, expires);
        signed["targets"] = new JsonObject(targets.OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => KeyValuePair.Create(t.Key, (JsonNode?)t.Value.ToJson())));
        return new TufMetadata(TufRole.Targets, signed, []);
    }

    /// <summary>New unsigned snapshot metadata naming the targets metadata.</summary>
    public static TufMetadata NewSnapshot(long version, DateTimeOffset expires, MetaFile targets)
    {
        var signed = Header(TufRole.Snapshot, version, expires);
        signed["meta"] = new JsonObject { ["targets.json"] = targets.ToJson() };
        return new TufMetadata(TufRole.Snapshot, signed, []);
    }

    /// <summary>New unsigned timestamp metadata naming the snapshot metadata.</summary>
    public static TufMetadata NewTimestamp(long version, DateTimeOffset expires, MetaFile snapshot)
    {
        var signed = Header(TufRole.Timestamp, version, expires);
        signed["meta"] = new JsonObject { ["snapshot.json"] = snapshot.ToJson() };
        return new TufMetadata(TufRole.Timestamp, signed, []);
    }
}

/// <summary>The root role's content: keys, the four roles' key IDs and thresholds, consistent snapshots.</summary>
public sealed record RootInfo(IReadOnlyDictionary<string, TufKey> Keys, IReadOnlyDictionary<TufRole, RoleKeys> Roles, bool ConsistentSnapshot)
{
    internal static RootInfo Parse(JsonObject signed)
    {
        var keys = new Dictionary<string, TufKey>(StringComparer.Ordinal);
        foreach (var (keyId, value) in TufJson.Object(signed, "keys", "root"))
        {
            keys[keyId] = TufKey.Parse(value, $"root key {keyId[..Math.Min(16, keyId.Length)]}");
        }
        var rolesObject = TufJson.Object(signed, "roles", "root");
        var roles = new Dictionary<TufRole, RoleKeys>();
        foreach (var role in TufRoles.All)
        {
            var o = rolesObject[role.Name()] as JsonObject ?? throw new TufFormatException($"root: roles has no '{role.Name()}' object");
            var ids = TufJson.Array(o, "keyids", $"root role {role.Name()}")
                .Select(n => n is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : throw new TufFormatException($"root role {role.Name()}: keyids must be strings"))
                .ToList();
            var threshold = (int)Math.Min(int.MaxValue, TufJson.Integer(o, "threshold", $"root role {role.Name()}", 1));
            foreach (var id in ids)
            {
                if (!keys.ContainsKey(id)) throw new TufFormatException($"root role {role.Name()}: key {id[..Math.Min(16, id.Length)]} is not in 'keys'");
            }
            roles[role] = new RoleKeys(ids, threshold);
        }
        return new RootInfo(keys, roles, TufJson.Boolean(signed, "consistent_snapshot", "root", false));
    }

    /// <summary>The keys of <paramref name="role"/>.</summary>
    public IReadOnlyList<TufKey> KeysOf(TufRole role) => [.. Roles[role].KeyIds.Where(Keys.ContainsKey).Select(id => Keys[id])];
}
