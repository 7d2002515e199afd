using System.Formats.Asn1;
using PrivateSigstore.Core.Ct;
using PrivateSigstore.Core.Der;

using PrivateSigstore.Core.Tests.Ct;

namespace PrivateSigstore.Core.Tests.Der;

public sealed class StrictDerTests
{
    [Fact]
    public void Real_certificates_are_strict_DER()
    {
        StrictDer.Validate(CtTestData.LeafOf(CtTestData.PublicGoodBundle));
        StrictDer.Validate(CtTestData.LeafOf(CtTestData.OtherNameBundle));
    }

    [Theory]
    [InlineData("3003" + "240100")] // constructed OCTET STRING
    [InlineData("3002" + "1000")] // primitive SEQUENCE
    [InlineData("3003" + "1f1f00")] // high-tag-number form
    [InlineData("3002" + "0000")] // end-of-contents
    public void Tag_rule_violations_are_WireFormatExceptions(string hex)
    {
        Assert.Throws<WireFormatException>(() => StrictDer.Validate(Convert.FromHexString(hex)));
    }

    [Theory]
    [InlineData("3005" + "3081020500")] // nested non-minimal length
    [InlineData("3080" + "0500" + "0000")] // indefinite length
    [InlineData("3003" + "0500")] // outer length too long
    [InlineData("30020500" + "00")] // trailing byte
    public void Encoding_violations_are_rejected(string hex)
    {
        var e = Record.Exception(() => StrictDer.Validate(Convert.FromHexString(hex)));
        Assert.True(e is AsnContentException or WireFormatException, e?.GetType().Name ?? "no exception");
    }

    [Fact]
    public void Nesting_is_bounded()
    {
        byte[] der = [0x05, 0x00];
        for (int i = 0; i < 40; i++)
        {
            der = [0x30, (byte)der.Length, .. der];
        }

        Assert.Throws<WireFormatException>(() => StrictDer.Validate(der));
    }

    [Fact]
    public void Precertificate_surgery_rejects_BER_anywhere_in_the_certificate()
    {
        // A TBS whose subject holds a constructed PrintableString: fine for AsnReader at the top level, not DER.
        byte[] tbs = Convert.FromHexString("3011" + "a003020102" + "020101" + "3007" + "3305" + "130361" + "6263");
        var e = Assert.Throws<WireFormatException>(() => Precertificate.RemoveExtension(tbs, "1.2.3"));
        Assert.Contains("constructed bit", e.Reason, StringComparison.Ordinal);
    }
}
