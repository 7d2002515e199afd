using PrivateSigstore.Core.Ct;

namespace PrivateSigstore.Core.Tests.Ct;

public sealed class MerkleTreeLeafTests
{
    private static readonly byte[] KeyHash = [.. Enumerable.Range(0, 32).Select(i => (byte)(i * 7))];

    [Fact]
    public void Precert_leaf_layout()
    {
        var leaf = MerkleTreeLeaf.ForPrecert(0x0102030405060708, KeyHash, [0x30, 0x00], [0x01]);
        Assert.Equal(
            "00" + "00"                              // version v1, leaf_type timestamped_entry
            + "0102030405060708"                      // timestamp
            + "0001"                                  // precert_entry
            + Convert.ToHexStringLower(KeyHash)
            + "000002" + "3000"                       // uint24 TBS
            + "000101",                               // uint16 extensions
            Convert.ToHexStringLower(leaf.Serialize()));
    }

    [Fact]
    public void X509_leaf_layout()
    {
        var leaf = MerkleTreeLeaf.ForX509(9, [0x30, 0x01, 0x05], []);
        Assert.Equal("0000" + "0000000000000009" + "0000" + "000003" + "300105" + "0000", Convert.ToHexStringLower(leaf.Serialize()));
    }

    [Fact]
    public void For_v1_the_leaf_bytes_equal_the_SCT_signed_data()
    {
        // Both start version(0) followed by a zero type byte, then the same TimestampedEntry.
        Assert.Equal(SctSignedData.ForPrecert(5, KeyHash, [0x30, 0x00], []), MerkleTreeLeaf.ForPrecert(5, KeyHash, [0x30, 0x00], []).Serialize());
        Assert.Equal(SctSignedData.ForX509(5, [0x30, 0x00], [7]), MerkleTreeLeaf.ForX509(5, [0x30, 0x00], [7]).Serialize());
    }

    [Fact]
    public void Parse_round_trips_both_entry_types()
    {
        var precert = MerkleTreeLeaf.Parse(MerkleTreeLeaf.ForPrecert(77, KeyHash, [0x30, 0x00], [1, 2]).Serialize());
        Assert.Equal(77UL, precert.Timestamp);
        Assert.Equal(CtLogEntryType.Precert, precert.EntryType);
        Assert.Equal(KeyHash, precert.IssuerKeyHash);
        Assert.Equal([0x30, 0x00], precert.Certificate);
        Assert.Equal([1, 2], precert.Extensions);

        var x509 = MerkleTreeLeaf.Parse(MerkleTreeLeaf.ForX509(78, [0x30, 0x00], []).Serialize());
        Assert.Equal(CtLogEntryType.X509, x509.EntryType);
        Assert.Null(x509.IssuerKeyHash);
        Assert.Equal([0x30, 0x00], x509.Certificate);
        Assert.Empty(x509.Extensions);
    }

    [Theory]
    [InlineData("0100" + "0000000000000009" + "0000" + "000002" + "3000" + "0000")] // version 1
    [InlineData("0001" + "0000000000000009" + "0000" + "000002" + "3000" + "0000")] // leaf type 1
    [InlineData("0000" + "0000000000000009" + "0002" + "000002" + "3000" + "0000")] // entry type 2
    [InlineData("0000" + "0000000000000009" + "0000" + "000000" + "0000")] // empty certificate
    [InlineData("0000" + "0000000000000009" + "0000" + "000003" + "3000" + "0000")] // certificate length too long
    [InlineData("0000" + "0000000000000009" + "0000" + "000002" + "3000" + "0000" + "00")] // trailing byte
    [InlineData("0000" + "0000000000000009" + "0000" + "000002" + "3000" + "00")] // truncated extensions length
    [InlineData("0000" + "0000000000000009" + "0001" + "00")] // truncated issuer key hash
    [InlineData("")]
    public void Parse_rejects_malformed_leaves(string hex)
    {
        Assert.Throws<WireFormatException>(() => MerkleTreeLeaf.Parse(Convert.FromHexString(hex)));
    }

    [Fact]
    public void Parse_rejects_every_truncation()
    {
        byte[] full = MerkleTreeLeaf.ForPrecert(1, KeyHash, [0x30, 0x00], [1]).Serialize();
        for (int length = 0; length < full.Length; length++)
        {
            Assert.Throws<WireFormatException>(() => MerkleTreeLeaf.Parse(full.AsSpan(0, length)));
        }
    }

    [Fact]
    public void Serialize_refuses_inconsistent_leaves()
    {
        Assert.Throws<ArgumentException>(() => new MerkleTreeLeaf(1, CtLogEntryType.Precert, [0x30, 0x00], null, []).Serialize());
        Assert.Throws<ArgumentException>(() => new MerkleTreeLeaf(1, CtLogEntryType.X509, [0x30, 0x00], KeyHash, []).Serialize());
        Assert.Throws<ArgumentException>(() => MerkleTreeLeaf.ForPrecert(1, new byte[33], [0x30, 0x00], []).Serialize());
    }
}
