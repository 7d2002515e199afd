using System.Globalization;
using PrivateSigstore.Core;
using PrivateSigstore.Core.Merkle;

namespace PrivateSigstore.Client.Rekor;

/// <summary>
/// Computes proofs and reads entries of a tiled (C2SP tlog-tiles) log on the client, as Tessera's
/// <c>client.ProofBuilder</c> does: <see cref="ProofBuilder"/> names the nodes, <see cref="TileLayout"/> says which tile
/// holds each, and the tiles are fetched at the widths they have at <see cref="TreeSize"/> (the size of the newest
/// checkpoint the caller holds; a node complete in an older tree has the same hash in every later one). Tiles are
/// cached for the reader's life. A partial tile that is gone (the log grew) is read from the full tile.
/// </summary>
public sealed class TiledLogReader
{
    private readonly RekorV2Client _log;
    private readonly Dictionary<TileId, byte[]> _tiles = [];

    /// <summary>Reads <paramref name="log"/>'s tiles at the widths of a tree of <paramref name="treeSize"/> leaves.</summary>
    public TiledLogReader(RekorV2Client log, ulong treeSize)
    {
        _log = log ?? throw new ArgumentNullException(nameof(log));
        TreeSize = treeSize;
    }

    /// <summary>The tree size tiles are read at.</summary>
    public ulong TreeSize { get; }

    /// <summary>The inclusion proof of leaf <paramref name="index"/> in the tree of <paramref name="size"/> leaves (≤ <see cref="TreeSize"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index or size is out of range.</exception>
    /// <exception cref="ServiceClientException">A tile could not be read.</exception>
    public async Task<byte[][]> InclusionProofAsync(ulong index, ulong size, CancellationToken cancellationToken = default)
    {
        RequireSize(size);
        var nodes = ProofBuilder.Inclusion(index, size);
        var hashes = await NodeHashesAsync(nodes.Ids, cancellationToken).ConfigureAwait(false);
        return nodes.Rehash(hashes);
    }

    /// <summary>The consistency proof from the tree of <paramref name="size1"/> leaves to that of <paramref name="size2"/> (≤ <see cref="TreeSize"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The sizes are out of range (<paramref name="size1"/> must be 1..<paramref name="size2"/>).</exception>
    /// <exception cref="ServiceClientException">A tile could not be read.</exception>
    public async Task<byte[][]> ConsistencyProofAsync(ulong size1, ulong size2, CancellationToken cancellationToken = default)
    {
        RequireSize(size2);
        var nodes = ProofBuilder.Consistency(size1, size2);
        var hashes = await NodeHashesAsync(nodes.Ids, cancellationToken).ConfigureAwait(false);
        return nodes.Rehash(hashes);
    }

    /// <summary>The root hash of the tree of <paramref name="size"/> leaves (≤ <see cref="TreeSize"/>), from tiles.</summary>
    public async Task<byte[]> RootHashAsync(ulong size, CancellationToken cancellationToken = default)
    {
        RequireSize(size);
        if (size == 0)
        {
            return Rfc6962.EmptyRoot.ToArray();
        }
        // The perfect subtrees covering [0, size), largest first, hashed right to left.
        var nodes = new List<NodeId>();
        ulong begin = 0;
        for (int level = 63; level >= 0; level--)
        {
            if ((size & (1UL << level)) != 0)
            {
                nodes.Add(new NodeId(level, begin >> level));
                begin += 1UL << level;
            }
        }
        var hashes = await NodeHashesAsync(nodes, cancellationToken).ConfigureAwait(false);
        var root = hashes[^1];
        for (int i = hashes.Length - 2; i >= 0; i--)
        {
            root = Rfc6962.HashChildren(hashes[i], root);
        }
        return root;
    }

    /// <summary>Entry <paramref name="index"/> (the leaf's bytes, i.e. the canonical body) from its entry bundle.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> ≥ <see cref="TreeSize"/>.</exception>
    /// <exception cref="ServiceClientException">The bundle could not be read.</exception>
    public async Task<byte[]> GetEntryAsync(ulong index, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, TreeSize);
        var bundle = index / TileLayout.TileWidth;
        var width = TileLayout.WidthAt(0, bundle, TreeSize);
        IReadOnlyList<byte[]> entries;
        try
        {
            entries = await _log.GetEntryBundleAsync(bundle, width, cancellationToken).ConfigureAwait(false);
        }
        catch (ServiceClientException e) when (e.StatusCode == 404 && width < TileLayout.TileWidth)
        {
            entries = [.. (await _log.GetEntryBundleAsync(bundle, TileLayout.TileWidth, cancellationToken).ConfigureAwait(false)).Take(width)];
        }
        return entries[(int)(index % TileLayout.TileWidth)];
    }

    private void RequireSize(ulong size)
    {
        if (size > TreeSize)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, string.Create(CultureInfo.InvariantCulture, $"tree size {size} is beyond the checkpoint's {TreeSize}"));
        }
    }

    private async Task<byte[][]> NodeHashesAsync(IReadOnlyList<NodeId> ids, CancellationToken cancellationToken)
    {
        var hashes = new byte[ids.Count][];
        for (int i = 0; i < ids.Count; i++)
        {
            var (tile, address) = TileLayout.TileFor(ids[i], TreeSize);
            var contents = await TileAsync(tile, cancellationToken).ConfigureAwait(false);
            try
            {
                hashes[i] = TileLayout.NodeHash(contents, address);
            }
            catch (WireFormatException e)
            {
                throw new ServiceClientException($"tile {tile.Path}: {e.Message}", 0, e);
            }
        }
        return hashes;
    }

    private async Task<byte[]> TileAsync(TileId tile, CancellationToken cancellationToken)
    {
        if (_tiles.TryGetValue(tile, out var cached))
        {
            return cached;
        }
        byte[] contents;
        try
        {
            contents = await _log.GetTileAsync(tile, cancellationToken).ConfigureAwait(false);
        }
        catch (ServiceClientException e) when (e.StatusCode == 404 && tile.IsPartial)
        {
            // The tile filled up since the checkpoint: its first Width hashes are the same.
            var full = await _log.GetTileAsync(tile with { Width = TileId.FullWidth }, cancellationToken).ConfigureAwait(false);
            contents = full[..tile.ByteLength];
        }
        _tiles[tile] = contents;
        return contents;
    }
}
