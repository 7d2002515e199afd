using System.Globalization;
using System.Security.Cryptography;

namespace PrivateSigstore.Rekor.Tests.V2;

/// <summary>
/// An independent C2SP tlog-tiles reader, sharing no code with the log engine or Core: it fetches the checkpoint and the
/// level-0 tiles and entry bundles (over HTTP or from exported files), encodes tile paths itself, and recomputes the
/// RFC 6962 root with plain SHA-256.
/// </summary>
internal sealed class TilesReader(Func<string, Task<byte[]?>> fetch)
{
    public static TilesReader Over(HttpClient http) => new(async path =>
    {
        using var response = await http.GetAsync("/api/v2/" + path);
        return response.IsSuccessStatusCode ? await response.Content.ReadAsByteArrayAsync() : null;
    });

    public static TilesReader FromDirectory(string directory) => new(path =>
    {
        var file = Path.Combine(directory, path);
        return Task.FromResult(File.Exists(file) ? File.ReadAllBytes(file) : null);
    });

    public async Task<(string Origin, ulong Size, byte[] Root, string Note)> CheckpointAsync()
    {
        var note = System.Text.Encoding.UTF8.GetString(await fetch("checkpoint") ?? throw new InvalidOperationException("no checkpoint"));
        var lines = note.Split('\n');
        return (lines[0], ulong.Parse(lines[1], CultureInfo.InvariantCulture), Convert.FromBase64String(lines[2]), note);
    }

    /// <summary>tlog-tiles N: zero-padded 3-digit groups, all but the last prefixed with x.</summary>
    public static string EncodeIndex(ulong n)
    {
        var digits = n.ToString(CultureInfo.InvariantCulture);
        digits = digits.PadLeft((digits.Length + 2) / 3 * 3, '0');
        var groups = Enumerable.Range(0, digits.Length / 3).Select(i => digits.Substring(i * 3, 3)).ToArray();
        for (var i = 0; i < groups.Length - 1; i++) groups[i] = "x" + groups[i];
        return string.Join('/', groups);
    }

    public static string TilePath(int level, ulong index, int width) =>
        $"tile/{level}/{EncodeIndex(index)}" + (width == 256 ? "" : $".p/{width}");

    public static string BundlePath(ulong index, int width) =>
        "tile/entries/" + EncodeIndex(index) + (width == 256 ? "" : $".p/{width}");

    /// <summary>The leaf hashes of a tree of <paramref name="size"/> from its level-0 tiles.</summary>
    public async Task<List<byte[]>> LeafHashesAsync(ulong size)
    {
        var hashes = new List<byte[]>();
        for (ulong n = 0; n * 256 < size; n++)
        {
            var width = (int)Math.Min(256, size - (n * 256));
            var tile = await fetch(TilePath(0, n, width)) ?? throw new InvalidOperationException($"missing tile {TilePath(0, n, width)}");
            if (tile.Length != width * 32) throw new InvalidOperationException($"tile {TilePath(0, n, width)} is {tile.Length} bytes");
            for (var i = 0; i < width; i++) hashes.Add(tile.AsSpan(i * 32, 32).ToArray());
        }
        return hashes;
    }

    /// <summary>The entries of a tree of <paramref name="size"/> from its entry bundles (uint16 big-endian length ‖ entry).</summary>
    public async Task<List<byte[]>> EntriesAsync(ulong size)
    {
        var entries = new List<byte[]>();
        for (ulong n = 0; n * 256 < size; n++)
        {
            var width = (int)Math.Min(256, size - (n * 256));
            var bundle = await fetch(BundlePath(n, width)) ?? throw new InvalidOperationException($"missing bundle {BundlePath(n, width)}");
            var at = 0;
            for (var i = 0; i < width; i++)
            {
                var length = (bundle[at] << 8) | bundle[at + 1];
                entries.Add(bundle.AsSpan(at + 2, length).ToArray());
                at += 2 + length;
            }
            if (at != bundle.Length) throw new InvalidOperationException($"bundle {n} has {bundle.Length - at} trailing bytes");
        }
        return entries;
    }

    public static byte[] LeafHash(byte[] entry) => SHA256.HashData([0, .. entry]);

    /// <summary>RFC 6962 MTH over leaf hashes (k = largest power of two below n).</summary>
    public static byte[] Root(IReadOnlyList<byte[]> leaves) => leaves.Count == 0 ? SHA256.HashData([]) : Mth(leaves, 0, leaves.Count);

    private static byte[] Mth(IReadOnlyList<byte[]> leaves, int start, int n)
    {
        if (n == 1) return leaves[start];
        var k = 1;
        while (k * 2 < n) k *= 2;
        return SHA256.HashData([1, .. Mth(leaves, start, k), .. Mth(leaves, start + k, n - k)]);
    }
}
