using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace PrivateSigstore.Rekor.Research;

/// <summary>Show a forked view to chosen clients: from leaf <see cref="At"/> on, leaves of the fork's own.</summary>
/// <param name="Addresses">Client IP addresses shown the fork ("*": every client).</param>
/// <param name="Clients">Values of the <c>X-Research-Client</c> request header shown the fork.</param>
/// <param name="At">The first leaf that differs (the fork point).</param>
internal sealed record ForkFault(ImmutableArray<string> Addresses, ImmutableArray<string> Clients, ulong At);

/// <summary>A signed checkpoint that lies: <see cref="Mode"/> is random-root, smaller or wrong-key.</summary>
/// <param name="Mode">random-root: the view's size with a root that matches no tree; smaller: the view <see cref="By"/> entries back (going backwards); wrong-key: signed by another key under the log's name.</param>
/// <param name="By">For smaller: how many entries back.</param>
/// <param name="Root">For random-root: the made-up root (fixed while the fault lasts).</param>
internal sealed record BadCheckpointFault(string Mode, ulong By, byte[] Root);

/// <summary>
/// The research log's faults, replaced as a whole on every admin command (readers take one snapshot per request).
/// Faults combine: rewrites and drops change the tree every client sees, hold caps its size, fork changes the tree of the
/// chosen clients, and a bad checkpoint replaces the signed checkpoint of every view.
/// </summary>
internal sealed record FaultPlan
{
    /// <summary>The plan without faults: the honest log.</summary>
    public static readonly FaultPlan Honest = new();

    /// <summary>Increases on every change (view caches are keyed by it).</summary>
    public long Version { get; init; }

    /// <summary>The split view, if any.</summary>
    public ForkFault? Fork { get; init; }

    /// <summary>The served tree size is held here while entries are still acknowledged.</summary>
    public ulong? HoldAt { get; init; }

    /// <summary>Leaves replaced after the fact (history rewritten).</summary>
    public ImmutableSortedDictionary<ulong, byte[]> Rewrites { get; init; } = ImmutableSortedDictionary<ulong, byte[]>.Empty;

    /// <summary>Acknowledged leaves removed from the served tree.</summary>
    public ImmutableSortedSet<ulong> Drops { get; init; } = [];

    /// <summary>A lying checkpoint, if any.</summary>
    public BadCheckpointFault? BadCheckpoint { get; init; }

    /// <summary>Whether clients that are not forked see exactly the honest log.</summary>
    public bool ServedIsHonest => HoldAt is null && Rewrites.IsEmpty && Drops.IsEmpty && BadCheckpoint is null;

    /// <summary>The fault names, as the admin API uses them.</summary>
    public static readonly ImmutableArray<string> Names = ["fork", "hold", "rewrite", "drop", "bad-checkpoint"];

    /// <summary>The leaf a forked view shows at <paramref name="index"/>.</summary>
    public static byte[] ForkedLeaf(ulong index) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $$"""{"research":"forked entry","index":{{index}}}"""));

    /// <summary>The default replacement of a rewritten leaf.</summary>
    public static byte[] RewrittenLeaf(ulong index) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $$"""{"research":"rewritten entry","index":{{index}}}"""));

    /// <summary>The plan as the admin API shows it.</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject { ["version"] = Version };
        if (Fork is { } fork)
        {
            json["fork"] = new JsonObject
            {
                ["addresses"] = new JsonArray([.. fork.Addresses.Select(a => JsonValue.Create(a))]),
                ["clients"] = new JsonArray([.. fork.Clients.Select(c => JsonValue.Create(c))]),
                ["at"] = fork.At,
            };
        }
        if (HoldAt is { } hold) json["hold"] = new JsonObject { ["size"] = hold };
        if (!Rewrites.IsEmpty)
        {
            json["rewrite"] = new JsonArray([.. Rewrites.Select(r => new JsonObject { ["index"] = r.Key, ["entry"] = Convert.ToBase64String(r.Value) })]);
        }
        if (!Drops.IsEmpty) json["drop"] = new JsonArray([.. Drops.Select(d => JsonValue.Create(d))]);
        if (BadCheckpoint is { } bad)
        {
            json["bad-checkpoint"] = bad.Mode == "smaller"
                ? new JsonObject { ["mode"] = bad.Mode, ["by"] = bad.By }
                : new JsonObject { ["mode"] = bad.Mode };
        }
        return json;
    }
}
