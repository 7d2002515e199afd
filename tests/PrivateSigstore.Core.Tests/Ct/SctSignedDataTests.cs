using PrivateSigstore.Core.Ct;

namespace PrivateSigstore.Core.Tests.Ct;

public sealed class SctSignedDataTests
{
    private static readonly byte[] KeyHash = [.. Enumerable.Range(0xA0, 32).Select(i => (byte)i)];

    [Fact]
    public void ForPrecert_is_the_RFC_6962_digitally_signed_struct()
    {
        byte[] data = SctSignedData.ForPrecert(0x0000018A0B0C0D0E, KeyHash, [0x30, 0x03, 0x02, 0x01, 0x05], []);
        Assert.Equal(
            "00" + "00"                             // version v1, signature_type certificate_timestamp
            + "0000018a0b0c0d0e"                     // timestamp
            + "0001"                                 // precert_entry
            + Convert.ToHexStringLower(KeyHash)      // issuer_key_hash
            + "000005" + "3003020105"                // uint24 length + TBS
            + "0000",                                // no extensions
            Convert.ToHexStringLower(data));
    }

    [Fact]
    public void ForX509_is_the_RFC_6962_digitally_signed_struct()
    {
        byte[] data = SctSignedData.ForX509(1, [0x30, 0x00], [0xEE]);
        Assert.Equal("0000" + "0000000000000001" + "0000" + "000002" + "3000" + "0001ee", Convert.ToHexStringLower(data));
    }

    [Fact]
    public void Large_certificates_use_all_three_length_bytes()
    {
        byte[] cert = new byte[0x012345];
        byte[] data = SctSignedData.ForX509(0, cert, []);
        Assert.Equal("012345", Convert.ToHexStringLower(data[12..15]));
        Assert.Equal(2 + 8 + 2 + 3 + cert.Length + 2, data.Length);
    }

    [Fact]
    public void Bad_arguments_are_refused()
    {
        Assert.Throws<ArgumentException>(() => SctSignedData.ForPrecert(0, new byte[31], [0x30, 0x00], []));
        Assert.Throws<ArgumentException>(() => SctSignedData.ForPrecert(0, KeyHash, [], []));
        Assert.Throws<ArgumentException>(() => SctSignedData.ForX509(0, [], []));
        Assert.Throws<ArgumentException>(() => SctSignedData.ForX509(0, [0x30, 0x00], new byte[65536]));
        Assert.Throws<ArgumentException>(() => SctSignedData.ForX509(0, new byte[0x1000000], []));
    }
}
