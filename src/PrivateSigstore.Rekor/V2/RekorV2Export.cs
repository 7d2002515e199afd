using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Log;

namespace PrivateSigstore.Rekor.V2;

/// <summary>What one export wrote.</summary>
/// <param name="TreeSize">The size of the exported checkpoint.</param>
/// <param name="TilesWritten">Tiles written (full tiles already present are skipped).</param>
/// <param name="BundlesWritten">Entry bundles written (full bundles already present are skipped).</param>
public sealed record RekorV2ExportResult(ulong TreeSize, int TilesWritten, int BundlesWritten);

/// <summary>
/// Writes the log as static C2SP tlog-tiles files — <c>checkpoint</c>, <c>tile/&lt;L&gt;/&lt;N&gt;[.p/&lt;W&gt;]</c>,
/// <c>tile/entries/&lt;N&gt;[.p/&lt;W&gt;]</c> — the tree a web server serves at the log's <c>/api/v2</c> prefix. Full tiles
/// and bundles never change, so a repeated export writes only what is new; every file is written to a temporary name
/// and renamed, and the checkpoint last, so a reader never sees a checkpoint whose tiles are missing.
/// </summary>
internal static class RekorV2Export
{
    public static async Task<RekorV2ExportResult> ExportAsync(TransparencyLog log, string directory, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(log);
        Directory.CreateDirectory(directory);
        var checkpoint = log.LatestCheckpoint;
        var size = checkpoint.Size;
        int tiles = 0, bundles = 0;
        for (var level = 0; level <= TileId.MaxLevel && TileLayout.HashCountAtLevel(level, size) > 0; level++)
        {
            var fullTiles = TileLayout.FullTileCount(level, size);
            for (ulong i = 0; i < fullTiles; i++)
            {
                var id = new TileId(level, i, TileLayout.TileWidth);
                if (Exists(directory, id.Path, id.ByteLength)) continue;
                await WriteAsync(directory, id.Path, await log.GetTileAsync(level, i, TileLayout.TileWidth, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
                tiles++;
            }
            var partial = TileLayout.PartialWidth(level, size);
            if (partial > 0)
            {
                var id = new TileId(level, fullTiles, partial);
                await WriteAsync(directory, id.Path, await log.GetTileAsync(level, fullTiles, partial, ct).ConfigureAwait(false), ct).ConfigureAwait(false);
                tiles++;
            }
        }
        var fullBundles = size / TileLayout.TileWidth;
        for (ulong i = 0; i < fullBundles; i++)
        {
            var path = TileId.EntriesPath(i, TileLayout.TileWidth);
            if (File.Exists(Path.Combine(directory, path))) continue;
            await WriteAsync(directory, path, (await RekorV2Endpoints.ReadEntryBundleAsync(log, i, TileLayout.TileWidth, ct).ConfigureAwait(false))!, ct).ConfigureAwait(false);
            bundles++;
        }
        var rest = (int)(size % TileLayout.TileWidth);
        if (rest > 0)
        {
            await WriteAsync(directory, TileId.EntriesPath(fullBundles, rest), (await RekorV2Endpoints.ReadEntryBundleAsync(log, fullBundles, rest, ct).ConfigureAwait(false))!, ct).ConfigureAwait(false);
            bundles++;
        }
        await WriteAsync(directory, "checkpoint", System.Text.Encoding.UTF8.GetBytes(checkpoint.SignedNote), ct).ConfigureAwait(false);
        return new RekorV2ExportResult(size, tiles, bundles);
    }

    private static bool Exists(string directory, string path, int length)
    {
        var file = new FileInfo(Path.Combine(directory, path));
        return file.Exists && file.Length == length;
    }

    private static async Task WriteAsync(string directory, string path, byte[] data, CancellationToken ct)
    {
        var target = Path.Combine(directory, path);
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        var temp = target + ".tmp-" + Environment.ProcessId;
        await File.WriteAllBytesAsync(temp, data, ct).ConfigureAwait(false);
        File.Move(temp, target, overwrite: true);
    }
}
