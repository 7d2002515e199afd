using CsCheck;
using PrivateSigstore.Core.Merkle;

namespace PrivateSigstore.Core.Tests.Merkle;

public sealed class TileLayoutTests
{
    [Fact]
    public void C2sp_worked_example_size_70000()
    {
        // tlog-tiles: "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial
        // level 0 tile of width 112, one full level 1 tile, one partial level 1 tile of width 17, and
        // one partial level 2 tile of width 1."
        List<TileId> tiles = [.. TileLayout.TilesForSize(70_000)];
        Assert.Equal(273, tiles.Count(t => t is { Level: 0, IsPartial: false }));
        Assert.Equal([new TileId(0, 273, 112)], tiles.Where(t => t is { Level: 0, IsPartial: true }));
        Assert.Equal([new TileId(1, 0, 256), new TileId(1, 1, 17)], tiles.Where(t => t.Level == 1));
        Assert.Equal([new TileId(2, 0, 1)], tiles.Where(t => t.Level == 2));
        Assert.Equal(277, tiles.Count);
        Assert.Equal(112, TileLayout.PartialWidth(0, 70_000));
        Assert.Equal(17, TileLayout.PartialWidth(1, 70_000));
        Assert.Equal(1, TileLayout.PartialWidth(2, 70_000));
        Assert.Equal(0, TileLayout.PartialWidth(3, 70_000));
        Assert.Equal(273UL, TileLayout.FullTileCount(0, 70_000));
        Assert.Equal("tile/0/273.p/112", tiles[273].Path);
        Assert.Equal("tile/2/000.p/1", tiles[^1].Path);

        IReadOnlyList<NodeId> covered = TileLayout.NodesCovered(0, 273, 70_000);
        Assert.Equal(112, covered.Count);
        Assert.Equal(new NodeId(0, 273 * 256), covered[0]);
        Assert.Equal(new NodeId(0, 69_999), covered[^1]);
        Assert.Equal(17, TileLayout.NodesCovered(1, 1, 70_000).Count);
        Assert.Equal(new NodeId(8, 256), TileLayout.NodesCovered(1, 1, 70_000)[0]);
        Assert.Equal(new NodeId(16, 0), TileLayout.NodesCovered(2, 0, 70_000).Single());
        Assert.Empty(TileLayout.NodesCovered(0, 274, 70_000));
    }

    [Fact]
    public void C2sp_example_size_256_is_one_full_tile_and_a_level_1_tile_of_width_1()
        => Assert.Equal([new TileId(0, 0, 256), new TileId(1, 0, 1)], TileLayout.TilesForSize(256));

    [Fact]
    public void Empty_tree_has_no_tiles()
        => Assert.Empty(TileLayout.TilesForSize(0));

    [Theory]
    [InlineData(0, 1234067UL, 256, "tile/0/x001/x234/067")]
    [InlineData(0, 1234067UL, 8, "tile/0/x001/x234/067.p/8")]
    [InlineData(0, 0UL, 256, "tile/0/000")]
    [InlineData(3, 1000UL, 255, "tile/3/x001/000.p/255")]
    [InlineData(63, 999UL, 1, "tile/63/999.p/1")]
    [InlineData(1, ulong.MaxValue, 256, "tile/1/x018/x446/x744/x073/x709/x551/615")]
    public void Tile_paths_are_formatted_and_parsed_canonically(int level, ulong index, int width, string path)
    {
        var tile = new TileId(level, index, width);
        Assert.Equal(path, tile.Path);
        Assert.Equal(tile, TileId.Parse(path));
    }

    [Fact]
    public void Entry_bundle_paths()
    {
        Assert.Equal("tile/entries/x001/x234/067", TileId.EntriesPath(1234067, 256));
        Assert.Equal("tile/entries/x019/669.p/3", TileId.EntriesPath(19669, 3));
        Assert.Equal((19669UL, 3), TileId.ParseEntriesPath("tile/entries/x019/669.p/3"));
        Assert.Equal((0UL, 256), TileId.ParseEntriesPath("tile/entries/000"));
        Assert.Throws<ArgumentOutOfRangeException>(() => TileId.EntriesPath(1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => TileId.EntriesPath(1, 257));
        Assert.Throws<WireFormatException>(() => TileId.ParseEntriesPath("tile/0/000"));
        Assert.Throws<WireFormatException>(() => TileId.ParseEntriesPath("tile/entries/0001"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("tile")]
    [InlineData("tile/")]
    [InlineData("tile/0")]
    [InlineData("tile/0/")]
    [InlineData("/tile/0/000")]
    [InlineData("tile/0/1234")]
    [InlineData("tile/0/12")]
    [InlineData("tile/0/x1/234")]
    [InlineData("tile/0/x001/234/")]
    [InlineData("tile/0/001/234")]
    [InlineData("tile/0/x001/x234")]
    [InlineData("tile/0/x000/067")]
    [InlineData("tile/00/000")]
    [InlineData("tile/01/000")]
    [InlineData("tile/64/000")]
    [InlineData("tile/-1/000")]
    [InlineData("tile/+1/000")]
    [InlineData("tile/a/000")]
    [InlineData("tile/0/abc")]
    [InlineData("tile/0/0a1")]
    [InlineData("tile/0/٠٠٠")]
    [InlineData("tile/0/000.p/0")]
    [InlineData("tile/0/000.p/256")]
    [InlineData("tile/0/000.p/08")]
    [InlineData("tile/0/000.p/")]
    [InlineData("tile/0/000.p/1 ")]
    [InlineData("tile/0/000.p/1/2")]
    [InlineData("tile/0/000.p")]
    [InlineData("tile/0/000.x/1")]
    [InlineData("tile/0/x018/x446/x744/x073/x709/x551/616")]
    [InlineData("tile/0/x001/x018/x446/x744/x073/x709/x551/615")]
    [InlineData("tile/entries/000")]
    [InlineData("tile/0/000 ")]
    public void Malformed_tile_paths_are_wire_format_errors(string path)
    {
        Assert.Throws<WireFormatException>(() => TileId.Parse(path));
        Assert.False(TileId.TryParse(path, out _));
    }

    [Fact]
    public void Any_tile_round_trips_and_random_text_never_escapes_as_another_exception()
    {
        Gen.Select(Gen.Int[0, 63], Gen.ULong, Gen.Int[1, 256]).Sample((level, index, width) =>
        {
            var tile = new TileId(level, index, width);
            Assert.Equal(tile, TileId.Parse(tile.Path));
        }, iter: 2000);

        Gen.String[Gen.Char["tile/x0123456789.p"], 0, 30].Sample(text =>
        {
            try
            {
                TileId tile = TileId.Parse(text);
                Assert.Equal(text, tile.Path);
            }
            catch (WireFormatException)
            {
            }
        }, iter: 5000);
    }

    [Fact]
    public void Tile_ids_validate_level_and_width()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TileId(64, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TileId(-1, 0, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TileId(0, 0, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new TileId(0, 0, 257));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NodeId(64, 0));
    }

    [Fact]
    public void Nodes_are_located_in_their_tiles()
    {
        Assert.Equal(new TileNodeAddress(0, 4, 0, 210), TileLayout.Locate(new NodeId(0, 1234)));
        Assert.Equal(new TileNodeAddress(1, 0, 0, 5), TileLayout.Locate(new NodeId(8, 5)));
        Assert.Equal(new TileNodeAddress(0, 3, 3, 4), TileLayout.Locate(new NodeId(3, 100)));
        Assert.Equal(new TileNodeAddress(7, 0, 7, 0), TileLayout.Locate(new NodeId(63, 0)));

        (TileId tile, TileNodeAddress address) = TileLayout.TileFor(new NodeId(3, 100), 70_000);
        Assert.Equal(new TileId(0, 3, 256), tile);
        Assert.Equal(32, address.FirstStoredHash);
        Assert.Equal(8, address.StoredHashCount);
        Assert.Equal(new TileId(0, 273, 112), TileLayout.TileFor(new NodeId(4, 273 * 16), 70_000).Tile);
        Assert.Throws<ArgumentOutOfRangeException>(() => TileLayout.TileFor(new NodeId(4, (273 * 16) + 7), 70_000));
    }

    [Fact]
    public void Node_hashes_are_recomputed_from_tile_contents()
    {
        byte[] tile = TestTrees.Flat(TestTrees.LeafHashes.Take(256));
        byte[] partial = TestTrees.Flat(TestTrees.LeafHashes.Skip(256).Take(100));
        foreach (NodeId id in new[] { new NodeId(0, 17), new NodeId(3, 5), new NodeId(7, 1), new NodeId(5, 10), new NodeId(2, 88) })
        {
            TileNodeAddress address = TileLayout.Locate(id);
            byte[] contents = address.TileIndex == 0 ? tile : partial;
            Assert.Equal(TestTrees.ReferenceNode(id), TileLayout.NodeHash(contents, address));
        }

        Assert.Throws<WireFormatException>(() => TileLayout.NodeHash(partial, TileLayout.Locate(new NodeId(7, 1))));
        Assert.Throws<WireFormatException>(() => TileLayout.NodeHash(tile.AsSpan(0, tile.Length - 1), TileLayout.Locate(new NodeId(0, 1))));
        Assert.Throws<WireFormatException>(() => TileLayout.NodeHash([.. tile, .. tile], TileLayout.Locate(new NodeId(0, 1))));
    }

    [Fact]
    public void Changed_tiles_are_exactly_those_new_or_wider_after_growth()
    {
        Gen.Select(Gen.ULong[0, 300_000], Gen.ULong[0, 300_000]).Sample((a, b) =>
        {
            ulong oldSize = Math.Min(a, b);
            ulong newSize = Math.Max(a, b);
            var want = TileLayout.TilesForSize(newSize)
                .Where(t => TileLayout.WidthAt(t.Level, t.Index, oldSize) != t.Width)
                .ToList();
            Assert.Equal(want, TileLayout.TilesChanged(oldSize, newSize));
        }, iter: 200);
        Assert.Throws<ArgumentOutOfRangeException>(() => TileLayout.TilesChanged(2, 1));
    }

    [Fact]
    public void Tiles_hold_the_nodes_a_compact_range_visitor_reports()
    {
        // Writing visited level-8L nodes into tiles yields exactly the tiles TilesForSize lists.
        var stored = new Dictionary<(int, ulong), int>();
        var range = CompactRange.Empty();
        range.AppendMany(TestTrees.Flat(TestTrees.LeafHashes.Take(4321)), (id, _) =>
        {
            if (id.Level % 8 == 0)
            {
                TileNodeAddress at = TileLayout.Locate(id);
                stored[(at.TileLevel, at.TileIndex)] = Math.Max(stored.GetValueOrDefault((at.TileLevel, at.TileIndex)), at.IndexInTile + 1);
            }
        });
        Assert.Equal(TileLayout.TilesForSize(4321).Select(t => ((t.Level, t.Index), t.Width)), stored.OrderBy(kv => kv.Key).Select(kv => (kv.Key, kv.Value)));
    }
}
