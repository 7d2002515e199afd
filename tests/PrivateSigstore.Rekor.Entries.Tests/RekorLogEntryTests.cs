using PrivateSigstore.Rekor.Entries;

namespace PrivateSigstore.Rekor.Entries.Tests;

public sealed class RekorLogEntryTests
{
    private static readonly byte[] Leaf = Convert.FromHexString("83c4d5305de1248c4bc0f14c9fa50b20120bb04579f13a29151c2494d1d220cb");

    [Fact]
    public void Entry_id_is_sixteen_hex_digits_of_tree_id_then_the_leaf_hash()
    {
        // Public-good shard 2605736670972794746 = 0x24296fb24b8ad77a.
        Assert.Equal("24296fb24b8ad77a83c4d5305de1248c4bc0f14c9fa50b20120bb04579f13a29151c2494d1d220cb", RekorLogEntry.EntryId(2605736670972794746, Leaf));
        Assert.Equal("000000000000002a" + Convert.ToHexStringLower(Leaf), RekorLogEntry.EntryId(42, Leaf));
        Assert.Equal(new string('0', 16) + Convert.ToHexStringLower(Leaf), RekorLogEntry.EntryId(0, Leaf));
        Assert.Throws<ArgumentException>(() => RekorLogEntry.EntryId(1, Leaf.AsSpan(1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => RekorLogEntry.EntryId(-1, Leaf));
    }

    [Theory]
    [InlineData("83c4d5305de1248c4bc0f14c9fa50b20120bb04579f13a29151c2494d1d220cb", null)]
    [InlineData("83C4D5305DE1248C4BC0F14C9FA50B20120BB04579F13A29151C2494D1D220CB", null)]
    [InlineData("24296fb24b8ad77a83c4d5305de1248c4bc0f14c9fa50b20120bb04579f13a29151c2494d1d220cb", 2605736670972794746L)]
    [InlineData("24296FB24B8AD77A83c4d5305de1248c4bc0f14c9fa50b20120bb04579f13a29151c2494d1d220cb", 2605736670972794746L)]
    public void Parses_uuids_and_entry_ids_in_either_case(string id, long? tree)
    {
        Assert.True(RekorLogEntry.TryParseEntryId(id, out var treeId, out var leafHash));
        Assert.Equal(tree, treeId);
        Assert.Equal(Leaf, leafHash);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("83c4d5305de1248c4bc0f14c9fa50b20120bb04579f13a29151c2494d1d220c")]
    [InlineData("83c4d5305de1248c4bc0f14c9fa50b20120bb04579f13a29151c2494d1d220cbb")]
    [InlineData("g3c4d5305de1248c4bc0f14c9fa50b20120bb04579f13a29151c2494d1d220cb")]
    [InlineData("ffffffffffffffff83c4d5305de1248c4bc0f14c9fa50b20120bb04579f13a29151c2494d1d220cb")]
    [InlineData(" 83c4d5305de1248c4bc0f14c9fa50b20120bb04579f13a29151c2494d1d220c")]
    public void Rejects_anything_else(string? id)
    {
        Assert.False(RekorLogEntry.TryParseEntryId(id, out var treeId, out var leafHash));
        Assert.Null(treeId);
        Assert.Empty(leafHash);
    }
}
