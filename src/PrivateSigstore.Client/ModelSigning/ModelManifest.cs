using System.Globalization;
using System.Text;

namespace PrivateSigstore.Client.ModelSigning;

/// <summary>
/// One hashed object of a model: a file (<c>name</c> = its path relative to the model root, '/'-separated) or a
/// shard of a file (<c>path:start:end</c>), with the digest algorithm name as OpenSSF model_signing records it
/// (<c>sha256</c>, or <c>sha256-sharded-SIZE</c> for shards).
/// </summary>
/// <param name="Path">The path relative to the model root, '/'-separated.</param>
/// <param name="Start">The shard's first byte (0 for a whole file).</param>
/// <param name="End">The shard's end (exclusive); null for a whole file.</param>
/// <param name="Algorithm">The digest algorithm name.</param>
/// <param name="Digest">The digest.</param>
public sealed record ModelResource(string Path, long Start, long? End, string Algorithm, byte[] Digest)
{
    /// <summary>The resource name: the path, or <c>path:start:end</c> for a shard.</summary>
    public string Name => End is { } end ? string.Create(CultureInfo.InvariantCulture, $"{Path}:{Start}:{end}") : Path;

    /// <summary>The digest, lower-case hex.</summary>
    public string DigestHex => Convert.ToHexStringLower(Digest);
}

/// <summary>How a model was serialized into resources (the predicate's <c>serialization</c> object).</summary>
/// <param name="Method"><c>files</c> or <c>shards</c>.</param>
/// <param name="HashType">The content hash (<c>sha256</c>).</param>
/// <param name="AllowSymlinks">Whether symbolic links were followed rather than refused.</param>
/// <param name="IgnorePaths">Paths relative to the model root that were left out (a directory leaves out all below it).</param>
/// <param name="ShardSize">The shard size, for <c>shards</c>.</param>
public sealed record ModelSerialization(string Method, string HashType, bool AllowSymlinks, IReadOnlyList<string> IgnorePaths, long? ShardSize = null)
{
    /// <summary>Serialization by whole files (the model_signing default).</summary>
    public const string Files = "files";

    /// <summary>Serialization by file shards.</summary>
    public const string Shards = "shards";

    /// <summary>model_signing's default shard size (1 GB).</summary>
    public const long DefaultShardSize = 1_000_000_000;

    /// <summary>The paths model_signing leaves out by default (git metadata).</summary>
    public static IReadOnlyList<string> GitPaths { get; } = [".git", ".gitattributes", ".github", ".gitignore"];

    /// <summary>The algorithm name a resource of this serialization carries.</summary>
    public string ResourceAlgorithm => Method == Shards ? string.Create(CultureInfo.InvariantCulture, $"{HashType}-sharded-{ShardSize}") : HashType;
}

/// <summary>
/// A model's manifest: its name (informative only), its resources, and how they were computed. Resources are kept
/// in model_signing's canonical order (path components compared by code point, then shard offsets).
/// </summary>
public sealed class ModelManifest
{
    /// <summary>Creates a manifest; the resources are sorted canonically.</summary>
    public ModelManifest(string modelName, IEnumerable<ModelResource> resources, ModelSerialization serialization)
    {
        ArgumentNullException.ThrowIfNull(resources);
        ModelName = modelName ?? throw new ArgumentNullException(nameof(modelName));
        Serialization = serialization ?? throw new ArgumentNullException(nameof(serialization));
        var list = resources.ToList();
        list.Sort(ResourceOrder.Instance);
        Resources = list;
    }

    /// <summary>The model's name (the directory name when signed); not compared.</summary>
    public string ModelName { get; }

    /// <summary>The resources in canonical order.</summary>
    public IReadOnlyList<ModelResource> Resources { get; }

    /// <summary>How the resources were computed.</summary>
    public ModelSerialization Serialization { get; }

    /// <summary>The subject digest: SHA-256 over the concatenated resource digests in canonical order.</summary>
    public byte[] RootDigest()
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var resource in Resources)
        {
            hash.AppendData(resource.Digest);
        }
        return hash.GetHashAndReset();
    }

    /// <summary>
    /// The differences between this (the model on disk) and <paramref name="expected"/> (the signed manifest), as
    /// model_signing words them: extra files, missing files, changed digests; empty when they match.
    /// </summary>
    public IReadOnlyList<string> Differences(ModelManifest expected)
    {
        ArgumentNullException.ThrowIfNull(expected);
        var actual = Resources.ToDictionary(r => r.Name, StringComparer.Ordinal);
        var wanted = expected.Resources.ToDictionary(r => r.Name, StringComparer.Ordinal);
        var diffs = new List<string>();
        var extra = actual.Keys.Where(k => !wanted.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        if (extra.Count > 0)
        {
            diffs.Add($"extra files in the model: {string.Join(", ", extra)}");
        }
        var missing = wanted.Keys.Where(k => !actual.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        if (missing.Count > 0)
        {
            diffs.Add($"missing files in the model: {string.Join(", ", missing)}");
        }
        foreach (var name in actual.Keys.Where(wanted.ContainsKey).Order(StringComparer.Ordinal))
        {
            var (a, w) = (actual[name], wanted[name]);
            if (a.Algorithm != w.Algorithm || !a.Digest.AsSpan().SequenceEqual(w.Digest))
            {
                diffs.Add($"hash mismatch for {name}: signed {w.Algorithm}:{w.DigestHex}, found {a.Algorithm}:{a.DigestHex}");
            }
        }
        return diffs;
    }

    /// <summary>model_signing's order: pathlib PurePosixPath order (component lists, by code point), then start, end.</summary>
    private sealed class ResourceOrder : IComparer<ModelResource>
    {
        public static readonly ResourceOrder Instance = new();

        public int Compare(ModelResource? x, ModelResource? y)
        {
            if (ReferenceEquals(x, y))
            {
                return 0;
            }
            if (x is null || y is null)
            {
                return x is null ? -1 : 1;
            }
            var c = ComparePaths(x.Path, y.Path);
            if (c != 0)
            {
                return c;
            }
            c = x.Start.CompareTo(y.Start);
            return c != 0 ? c : (x.End ?? -1).CompareTo(y.End ?? -1);
        }

        internal static int ComparePaths(string a, string b)
        {
            var pa = a.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var pb = b.Split('/', StringSplitOptions.RemoveEmptyEntries);
            for (var i = 0; i < Math.Min(pa.Length, pb.Length); i++)
            {
                var c = CompareCodePoints(pa[i], pb[i]);
                if (c != 0)
                {
                    return c;
                }
            }
            return pa.Length.CompareTo(pb.Length);
        }

        /// <summary>Python's str order: by Unicode code point (not UTF-16 code unit).</summary>
        private static int CompareCodePoints(string a, string b)
        {
            var ea = a.EnumerateRunes();
            var eb = b.EnumerateRunes();
            while (true)
            {
                var ha = ea.MoveNext();
                var hb = eb.MoveNext();
                if (!ha || !hb)
                {
                    return ha == hb ? 0 : ha ? 1 : -1;
                }
                var c = ea.Current.Value.CompareTo(eb.Current.Value);
                if (c != 0)
                {
                    return c;
                }
            }
        }
    }

    internal static string DescribeBytes(long bytes) => bytes switch
    {
        >= 1L << 30 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 30):0.00} GiB"),
        >= 1L << 20 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (double)(1L << 20):0.0} MiB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes} bytes"),
    };

    internal static string Join(IEnumerable<string> parts) => new StringBuilder().AppendJoin(", ", parts).ToString();
}
