using PrivateSigstore.Core.Ct;

namespace PrivateSigstore.Core.Tests.Ct;

public sealed class SignedCertificateTimestampTests
{
    internal static readonly byte[] LogId = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    internal static SignedCertificateTimestamp Sample(byte[]? signature = null, byte[]? extensions = null) =>
        new(0, LogId, 0x0102030405060708, extensions ?? [], 4, 3, signature ?? [0xAA, 0xBB]);

    private const string SampleHex =
        "00"                                                                   // version v1
        + "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"  // log id
        + "0102030405060708"                                                   // timestamp
        + "0000"                                                               // no extensions
        + "04" + "03"                                                          // sha256, ecdsa
        + "0002aabb";                                                          // signature

    [Fact]
    public void Serialize_is_the_RFC_6962_TLS_layout()
    {
        Assert.Equal(SampleHex, Convert.ToHexStringLower(Sample().Serialize()));
    }

    [Fact]
    public void Serialize_writes_extensions_with_a_uint16_length()
    {
        string hex = Convert.ToHexStringLower(Sample(extensions: [0x11, 0x22, 0x33]).Serialize());
        Assert.Contains("0102030405060708" + "0003112233" + "0403", hex, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_round_trips()
    {
        var parsed = SignedCertificateTimestamp.Parse(Convert.FromHexString(SampleHex));
        Assert.Equal(0, parsed.Version);
        Assert.Equal(LogId, parsed.LogId);
        Assert.Equal(0x0102030405060708UL, parsed.Timestamp);
        Assert.Empty(parsed.Extensions);
        Assert.Equal(4, parsed.HashAlgorithm);
        Assert.Equal(3, parsed.SignatureAlgorithm);
        Assert.Equal([0xAA, 0xBB], parsed.Signature);
        Assert.Equal(SampleHex, Convert.ToHexStringLower(parsed.Serialize()));

        var withExtensions = Sample(extensions: [1, 2, 3], signature: new byte[300]);
        Assert.Equal(withExtensions.Serialize(), SignedCertificateTimestamp.Parse(withExtensions.Serialize()).Serialize());
    }

    [Fact]
    public void Parse_rejects_every_truncation()
    {
        byte[] full = Convert.FromHexString(SampleHex);
        for (int length = 0; length < full.Length; length++)
        {
            Assert.Throws<WireFormatException>(() => SignedCertificateTimestamp.Parse(full.AsSpan(0, length)));
        }
    }

    [Fact]
    public void Parse_rejects_trailing_bytes()
    {
        Assert.Throws<WireFormatException>(() => SignedCertificateTimestamp.Parse(Convert.FromHexString(SampleHex + "00")));
    }

    [Theory]
    [InlineData("0001")] // one extension byte claimed: the fields after it no longer line up
    [InlineData("0009")] // more extension bytes than remain
    [InlineData("ffff")]
    public void Parse_rejects_bad_extension_lengths(string extensionLength)
    {
        byte[] bad = Convert.FromHexString(SampleHex);
        Convert.FromHexString(extensionLength).CopyTo(bad, 41); // version(1) + log id(32) + timestamp(8)
        Assert.Throws<WireFormatException>(() => SignedCertificateTimestamp.Parse(bad));
    }

    [Fact]
    public void Parse_rejects_a_signature_length_larger_than_the_data()
    {
        byte[] bad = Convert.FromHexString(SampleHex);
        bad[^3] = 0x03; // signature length 2 -> 3
        Assert.Throws<WireFormatException>(() => SignedCertificateTimestamp.Parse(bad));
        bad[^3] = 0x01; // signature length 2 -> 1: one trailing byte
        Assert.Throws<WireFormatException>(() => SignedCertificateTimestamp.Parse(bad));
    }

    [Fact]
    public void Serialize_refuses_fields_that_do_not_fit()
    {
        Assert.Throws<InvalidOperationException>(() => (Sample() with { LogId = new byte[31] }).Serialize());
        Assert.Throws<InvalidOperationException>(() => Sample(signature: new byte[65536]).Serialize());
        Assert.Throws<InvalidOperationException>(() => Sample(extensions: new byte[65536]).Serialize());
    }
}
