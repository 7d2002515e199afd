using System.Net;
using System.Security.Cryptography;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Keys;
using PrivateSigstore.Rekor.V2;

namespace PrivateSigstore.Rekor.Research;

/// <summary>One view of the research log: its tree and the checkpoint signed for it.</summary>
internal sealed record ResearchView(ViewTree Tree, string Checkpoint);

/// <summary>
/// The research log: the honest Rekor v2 log (which acknowledges every upload as usual) and the fault plan that decides
/// what each client is shown. Views other than the honest one are built in memory from the honest leaves and signed with
/// the log's own key, so they look exactly like the log's own checkpoints.
/// </summary>
internal sealed class ResearchLog : IDisposable
{
    private const int ReadChunk = 1024;
    private readonly RekorV2Log _rekor;
    private readonly SigningKeyNoteSigner _signer;
    private readonly Ed25519NoteSigner _impostor;
    private readonly SemaphoreSlim _read = new(1, 1);
    private readonly List<byte[]> _honest = [];
    private readonly Dictionary<(long Version, bool Forked, ulong Size), ResearchView> _views = [];
    private readonly Lock _gate = new();
    private FaultPlan _plan = FaultPlan.Honest;

    public ResearchLog(RekorV2Log rekor)
    {
        _rekor = rekor;
        _signer = new SigningKeyNoteSigner(rekor.Log.Origin, rekor.Key);
        // wrong-key: the log's name, another key (the key hash differs, so verifiers of the log's key refuse it).
        _impostor = new Ed25519NoteSigner(rekor.Log.Origin, RandomNumberGenerator.GetBytes(32));
    }

    /// <summary>The marked checkpoint origin.</summary>
    public string Origin => _rekor.Log.Origin;

    /// <summary>The log's checkpoint key and origin, as a trust root lists them.</summary>
    public RekorV2TrustInfo Trust => _rekor.Trust;

    /// <summary>The honest log's published size (every acknowledged entry).</summary>
    public ulong HonestSize => _rekor.Log.LatestCheckpoint.Size;

    /// <summary>The current plan (one snapshot per request).</summary>
    public FaultPlan Plan
    {
        get
        {
            lock (_gate) return _plan;
        }
    }

    /// <summary>Replaces the plan with <paramref name="change"/>'s result (numbered) and returns it.</summary>
    public FaultPlan Change(Func<FaultPlan, FaultPlan> change)
    {
        lock (_gate)
        {
            _plan = change(_plan) with { Version = _plan.Version + 1 };
            return _plan;
        }
    }

    /// <summary>Whether the fork is shown to this request (by its client address or its X-Research-Client header).</summary>
    public static bool IsForked(HttpContext http, FaultPlan plan)
    {
        if (plan.Fork is not { } fork) return false;
        if (fork.Addresses.Contains("*")) return true;
        if (http.Connection.RemoteIpAddress is { } remote)
        {
            var address = remote.IsIPv4MappedToIPv6 ? remote.MapToIPv4() : remote;
            foreach (var a in fork.Addresses)
            {
                if (IPAddress.TryParse(a, out var chosen) && chosen.Equals(address)) return true;
            }
        }
        return http.Request.Headers.TryGetValue(ResearchLogApp.ClientHeader, out var values)
            && values.Any(v => v is not null && fork.Clients.Contains(v));
    }

    /// <summary>The view <paramref name="plan"/> gives a forked or an unforked client now.</summary>
    public async Task<ResearchView> ViewAsync(FaultPlan plan, bool forked, CancellationToken ct)
    {
        var checkpoint = _rekor.Log.LatestCheckpoint;
        var honestSize = checkpoint.Size;
        lock (_gate)
        {
            if (_views.TryGetValue((plan.Version, forked, honestSize), out var cached)) return cached;
        }
        var leaves = await HonestLeavesAsync(plan.HoldAt is { } hold ? Math.Min(hold, honestSize) : honestSize, ct).ConfigureAwait(false);
        foreach (var (index, leaf) in plan.Rewrites)
        {
            if (index < (ulong)leaves.Count) leaves[(int)index] = leaf;
        }
        foreach (var index in plan.Drops.Reverse())
        {
            if (index < (ulong)leaves.Count) leaves.RemoveAt((int)index);
        }
        if (forked && plan.Fork is { } fork)
        {
            for (var i = fork.At; i < (ulong)leaves.Count; i++) leaves[(int)i] = FaultPlan.ForkedLeaf(i);
        }
        if (plan.BadCheckpoint is { Mode: "smaller" } smaller)
        {
            leaves.RemoveRange(leaves.Count - (int)Math.Min(smaller.By, (ulong)leaves.Count), (int)Math.Min(smaller.By, (ulong)leaves.Count));
        }
        var tree = new ViewTree(leaves);
        var note = plan.BadCheckpoint switch
        {
            { Mode: "random-root" } bad => SignedCheckpoint.Sign(new Checkpoint(Origin, tree.Size, bad.Root), _signer).Serialize(),
            { Mode: "wrong-key" } => SignedCheckpoint.Sign(new Checkpoint(Origin, tree.Size, tree.Root), _impostor).Serialize(),
            _ when plan.ServedIsHonest && !forked => checkpoint.SignedNote,
            _ => SignedCheckpoint.Sign(new Checkpoint(Origin, tree.Size, tree.Root), _signer).Serialize(),
        };
        var view = new ResearchView(tree, note);
        lock (_gate)
        {
            if (_views.Count >= 16) _views.Clear();
            _views[(plan.Version, forked, honestSize)] = view;
        }
        return view;
    }

    public void Dispose() => _read.Dispose();

    /// <summary>A copy of the honest leaves [0, <paramref name="size"/>), read from the store once and kept.</summary>
    private async Task<List<byte[]>> HonestLeavesAsync(ulong size, CancellationToken ct)
    {
        await _read.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            while ((ulong)_honest.Count < size)
            {
                var entries = await _rekor.Log.GetEntriesAsync((ulong)_honest.Count, (int)Math.Min(ReadChunk, size - (ulong)_honest.Count), ct).ConfigureAwait(false);
                if (entries.Count == 0) throw new InvalidOperationException($"the log has no entry {_honest.Count} below its size {size}");
                foreach (var e in entries) _honest.Add(e.Leaf.ToArray());
            }
            return _honest.GetRange(0, (int)size);
        }
        finally
        {
            _read.Release();
        }
    }
}
