using PrivateSigstore.Core.Bundle;
using PrivateSigstore.Core.ProtoJson;

namespace PrivateSigstore.Core.Trust;

/// <summary>
/// Keeps a trusted root's history across key rotations, as Sigstore's published roots do: a rotated-out key (log key,
/// CA chain, TSA chain) stays listed with <c>validFor.end</c> set to the rotation time, so that bundles made before the
/// rotation keep verifying, and its successor is listed from the rotation time on.
/// </summary>
public static class TrustedRootHistory
{
    /// <summary>
    /// Merges the freshly built <paramref name="current"/> root into the <paramref name="previous"/> one:
    /// <list type="number">
    /// <item>an entry in both (a log matched by its log ID, else its public key; an authority by its chain's bytes) is
    /// written as <paramref name="current"/> has it (e.g. a new base URL) but keeps its previous <c>validFor.start</c>, and
    /// its previous <c>validFor.end</c> if it had one;</item>
    /// <item>an entry only in <paramref name="previous"/> (rotated out) is kept unchanged, with <c>validFor.end</c> =
    /// <paramref name="now"/> if it had no end;</item>
    /// <item>an entry only in <paramref name="current"/> (new) keeps the start <paramref name="current"/> gives it, or
    /// starts at <paramref name="now"/> when it gives none;</item>
    /// <item>previous entries stay in their order, new ones follow in <paramref name="current"/>'s order, so merging an
    /// unchanged root returns an equal one (and serializes to the same bytes).</item>
    /// </list>
    /// <paramref name="now"/> is truncated to whole seconds: clients compare validity with second-precision times
    /// (integrated time, RFC 3161 genTime, certificate notBefore), and a start in the middle of a second would reject a
    /// bundle signed later in that second. The media type is <paramref name="current"/>'s.
    /// </summary>
    /// <param name="previous">The root clients were given so far; null when there is none (then <paramref name="current"/> is returned as is).</param>
    /// <param name="current">The root built from the keys in use now.</param>
    /// <param name="now">The rotation time: the end of rotated-out entries.</param>
    public static TrustedRoot Merge(TrustedRoot? previous, TrustedRoot current, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(current);
        if (previous is null)
        {
            return current;
        }

        var at = ProtoTimestamp.FromDateTimeOffset(DateTimeOffset.FromUnixTimeSeconds(now.ToUnixTimeSeconds()));
        return current with
        {
            Tlogs = MergeList(previous.Tlogs, current.Tlogs, SameLog, l => l.PublicKey?.ValidFor, (l, v) => l with { PublicKey = (l.PublicKey ?? new PublicKeyMaterial()) with { ValidFor = v } }, at),
            CertificateAuthorities = MergeList(previous.CertificateAuthorities, current.CertificateAuthorities, SameChain, a => a.ValidFor, (a, v) => a with { ValidFor = v }, at),
            Ctlogs = MergeList(previous.Ctlogs, current.Ctlogs, SameLog, l => l.PublicKey?.ValidFor, (l, v) => l with { PublicKey = (l.PublicKey ?? new PublicKeyMaterial()) with { ValidFor = v } }, at),
            TimestampAuthorities = MergeList(previous.TimestampAuthorities, current.TimestampAuthorities, SameChain, a => a.ValidFor, (a, v) => a with { ValidFor = v }, at),
        };
    }

    private static List<T> MergeList<T>(
        IReadOnlyList<T> previous, IReadOnlyList<T> current, Func<T, T, bool> same, Func<T, TimeRange?> validFor, Func<T, TimeRange, T> withValidFor, ProtoTimestamp now)
    {
        var merged = new List<T>(previous.Count + current.Count);
        var matched = new bool[current.Count];
        foreach (var old in previous)
        {
            int i = IndexOf(current, old, same, matched);
            var oldRange = validFor(old);
            if (i >= 0)
            {
                // (a) still in use: as built now (URLs may have moved), validity as first published.
                matched[i] = true;
                var fresh = current[i];
                var range = new TimeRange { Start = oldRange?.Start ?? validFor(fresh)?.Start ?? now, End = oldRange?.End ?? validFor(fresh)?.End };
                merged.Add(withValidFor(fresh, range));
            }
            else
            {
                // (b) rotated out: kept for the bundles it verified, ending now unless it already ended.
                merged.Add(oldRange?.End is not null ? old : withValidFor(old, new TimeRange { Start = oldRange?.Start ?? now, End = now }));
            }
        }

        for (int i = 0; i < current.Count; i++)
        {
            if (!matched[i])
            {
                // (c) new: from its given start, or from now.
                var range = validFor(current[i]);
                merged.Add(range?.Start is not null ? current[i] : withValidFor(current[i], new TimeRange { Start = now, End = range?.End }));
            }
        }

        return merged;
    }

    private static int IndexOf<T>(IReadOnlyList<T> list, T item, Func<T, T, bool> same, bool[] taken)
    {
        for (int i = 0; i < list.Count; i++)
        {
            if (!taken[i] && same(list[i], item))
            {
                return i;
            }
        }

        return -1;
    }

    // A log is its key: the log ID when both list one (for v2 logs it covers the checkpoint origin too), else the key bytes.
    private static bool SameLog(TransparencyLogInstance a, TransparencyLogInstance b) =>
        a.LogId is { KeyId.Length: > 0 } x && b.LogId is { KeyId.Length: > 0 } y
            ? x.KeyId.AsSpan().SequenceEqual(y.KeyId)
            : a.PublicKey?.RawBytes is { } ka && b.PublicKey?.RawBytes is { } kb && ka.AsSpan().SequenceEqual(kb);

    // An authority is its chain: the same certificates in the same order.
    private static bool SameChain(CertificateAuthority a, CertificateAuthority b)
    {
        var x = a.CertChain?.Certificates ?? [];
        var y = b.CertChain?.Certificates ?? [];
        if (x.Count == 0 || x.Count != y.Count)
        {
            return false;
        }

        for (int i = 0; i < x.Count; i++)
        {
            if (!x[i].RawBytes.AsSpan().SequenceEqual(y[i].RawBytes))
            {
                return false;
            }
        }

        return true;
    }
}
