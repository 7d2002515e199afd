using PrivateSigstore.Log;

namespace PrivateSigstore.Rekor;

/// <summary>One tree of the Rekor log: the active shard, or a frozen (inactive) one.</summary>
/// <param name="TreeId">The tree id (decimal in the API; 16 hex digits in entry ids).</param>
/// <param name="Log">The engine holding the shard.</param>
/// <param name="Offset">Global index of the shard's first entry (sum of the sizes of older shards).</param>
/// <param name="Active">True for the shard that accepts new entries.</param>
internal sealed record RekorShard(long TreeId, TransparencyLog Log, long Offset, bool Active)
{
    /// <summary>The shard's tree id as the 16 lowercase hex digits that prefix its entry ids.</summary>
    public string TreeIdHex { get; } = TreeId.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The shards of the log, oldest first; the last one is active.</summary>
internal sealed class RekorShards
{
    public RekorShards(IReadOnlyList<RekorShard> shards)
    {
        if (shards.Count == 0 || !shards[^1].Active) throw new ArgumentException("the last shard must be the active one", nameof(shards));
        All = shards;
    }

    public IReadOnlyList<RekorShard> All { get; }

    public RekorShard Active => All[^1];

    public IEnumerable<RekorShard> Inactive => All.Take(All.Count - 1);

    public RekorShard? ByTreeId(long treeId) => All.FirstOrDefault(s => s.TreeId == treeId);

    /// <summary>The shard holding global index <paramref name="globalIndex"/>, or null when beyond the log.</summary>
    public RekorShard? ByGlobalIndex(long globalIndex)
    {
        if (globalIndex < 0) return null;
        for (var i = All.Count - 1; i >= 0; i--)
        {
            var s = All[i];
            if (globalIndex >= s.Offset) return globalIndex - s.Offset < (long)s.Log.Size ? s : null;
        }
        return null;
    }
}
