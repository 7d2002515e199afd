using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Core.Ct;

namespace PrivateSigstore.Core.Tests.Ct;

public sealed class SctListTests
{
    private static readonly SignedCertificateTimestamp A = SignedCertificateTimestampTests.Sample();
    private static readonly SignedCertificateTimestamp B = SignedCertificateTimestampTests.Sample(signature: [1, 2, 3, 4, 5]);

    [Fact]
    public void Serialize_prefixes_the_list_and_each_SCT_with_uint16_lengths()
    {
        byte[] a = A.Serialize(); // 49 bytes
        byte[] b = B.Serialize(); // 52 bytes
        byte[] list = SctList.Serialize([A, B]);

        int total = 2 + a.Length + 2 + b.Length;
        Assert.Equal(2 + total, list.Length);
        Assert.Equal([(byte)(total >> 8), (byte)total], list[..2]);
        Assert.Equal([0, (byte)a.Length], list[2..4]);
        Assert.Equal(a, list[4..(4 + a.Length)]);
        Assert.Equal([0, (byte)b.Length], list[(4 + a.Length)..(6 + a.Length)]);
        Assert.Equal(b, list[(6 + a.Length)..]);
    }

    [Fact]
    public void Parse_round_trips()
    {
        var parsed = SctList.Parse(SctList.Serialize([A, B]));
        Assert.Equal([A.Serialize(), B.Serialize()], parsed.Select(s => s.Serialize()));
    }

    [Fact]
    public void Serialize_refuses_an_empty_list()
    {
        Assert.Throws<ArgumentException>(() => SctList.Serialize([]));
    }

    [Fact]
    public void Parse_rejects_a_total_length_that_does_not_match()
    {
        byte[] list = SctList.Serialize([A]);
        var tooLong = list.ToArray();
        tooLong[1]++;
        Assert.Throws<WireFormatException>(() => SctList.Parse(tooLong));

        var tooShort = list.ToArray();
        tooShort[1]--;
        Assert.Throws<WireFormatException>(() => SctList.Parse(tooShort));

        Assert.Throws<WireFormatException>(() => SctList.Parse([.. list, 0]));
        Assert.Throws<WireFormatException>(() => SctList.Parse(list.AsSpan(0, list.Length - 1)));
    }

    [Fact]
    public void Parse_rejects_a_per_SCT_length_that_does_not_match()
    {
        byte[] list = SctList.Serialize([A]);
        var bad = list.ToArray();
        bad[3]--; // the SCT is one byte longer than its prefix claims: a malformed SCT, then a 1-byte leftover
        Assert.Throws<WireFormatException>(() => SctList.Parse(bad));
        bad[3] += 2; // longer than the list
        Assert.Throws<WireFormatException>(() => SctList.Parse(bad));
    }

    [Theory]
    [InlineData("")]
    [InlineData("00")]
    [InlineData("0000")] // empty list: RFC 6962 sct_list <1..2^16-1>
    [InlineData("00020000")] // one zero-length SCT
    [InlineData("000100")] // a list of one dangling byte
    public void Parse_rejects_degenerate_lists(string hex)
    {
        Assert.Throws<WireFormatException>(() => SctList.Parse(Convert.FromHexString(hex)));
    }

    [Fact]
    public void ToExtension_is_a_non_critical_OCTET_STRING_around_the_TLS_list()
    {
        byte[] tls = SctList.Serialize([A, B]); // 107 bytes
        var ext = SctList.ToExtension([A, B]);
        Assert.Equal("1.3.6.1.4.1.11129.2.4.2", ext.Oid!.Value);
        Assert.False(ext.Critical);
        Assert.Equal([0x04, (byte)tls.Length, .. tls], ext.RawData);

        byte[] threeTls = SctList.Serialize([A, B, B]); // > 127 bytes: long-form length
        Assert.Equal([0x04, 0x81, (byte)threeTls.Length, .. threeTls], SctList.ToExtension([A, B, B]).RawData);

        var many = Enumerable.Repeat(A, 6).ToList(); // > 255 bytes
        byte[] manyTls = SctList.Serialize(many);
        Assert.Equal([0x04, 0x82, (byte)(manyTls.Length >> 8), (byte)manyTls.Length, .. manyTls], SctList.ToExtension(many).RawData);
    }

    [Fact]
    public void FromExtension_round_trips()
    {
        var scts = SctList.FromExtension(SctList.ToExtension([A, B]));
        Assert.Equal([A.Serialize(), B.Serialize()], scts.Select(s => s.Serialize()));
    }

    [Fact]
    public void FromExtension_rejects_wrong_wrapping()
    {
        byte[] tls = SctList.Serialize([A]);
        var good = SctList.ToExtension([A]);

        // Not wrapped at all.
        Assert.Throws<WireFormatException>(() => SctList.FromExtension(new X509Extension(SigstoreOids.SctList, tls, false)));
        // Wrapped twice.
        Assert.Throws<WireFormatException>(() => SctList.FromExtension(new X509Extension(SigstoreOids.SctList, [0x04, (byte)good.RawData.Length, .. good.RawData], false)));
        // Trailing byte after the OCTET STRING.
        Assert.Throws<WireFormatException>(() => SctList.FromExtension(new X509Extension(SigstoreOids.SctList, [.. good.RawData, 0x00], false)));
        // Constructed (BER) OCTET STRING.
        Assert.Throws<WireFormatException>(() => SctList.FromExtension(new X509Extension(SigstoreOids.SctList, [0x24, (byte)(good.RawData.Length), .. good.RawData], false)));
        // Non-minimal length.
        Assert.Throws<WireFormatException>(() => SctList.FromExtension(new X509Extension(SigstoreOids.SctList, [0x04, 0x81, (byte)tls.Length, .. tls], false)));
        // Wrong OID.
        Assert.Throws<WireFormatException>(() => SctList.FromExtension(new X509Extension(SigstoreOids.CtPoison, good.RawData, false)));
    }
}
