using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Core.Tests.Ct;

namespace PrivateSigstore.Core.Tests.Certificates;

public sealed class OtherNameSanTests
{
    // sigstore/sigstore pkg/cryptoutils/sans_test.go TestMarshalAndUnmarshalOtherNameSAN (see testdata/ct/README.md).
    private const string FooExampleCom = "3021a01f060a2b0601040183bf300107a0110c0f666f6f216578616d706c652e636f6d";

    private static X509Extension San(string hex) => new(SigstoreOids.SubjectAltName, Convert.FromHexString(hex), true);

    [Fact]
    public void Encode_matches_sigstore_MarshalOtherNameSAN_byte_for_byte()
    {
        Assert.Equal(FooExampleCom, Convert.ToHexStringLower(OtherNameSan.Encode("foo!example.com")));
    }

    [Fact]
    public void ToExtension_is_a_critical_SAN()
    {
        var ext = OtherNameSan.ToExtension("foo!example.com");
        Assert.Equal("2.5.29.17", ext.Oid!.Value);
        Assert.True(ext.Critical);
        Assert.Equal(FooExampleCom, Convert.ToHexStringLower(ext.RawData));
    }

    [Theory]
    [InlineData("foo!example.com")]
    [InlineData("")]
    [InlineData("ünïcødé!☃.example")]
    public void Decode_round_trips(string username)
    {
        Assert.Equal(username, OtherNameSan.Decode([OtherNameSan.ToExtension(username)]));
    }

    [Fact]
    public void Encode_rejects_a_lone_surrogate()
    {
        Assert.Throws<ArgumentException>(() => OtherNameSan.Encode("a\ud800"));
    }

    [Theory]
    [InlineData("")] // empty value
    [InlineData(FooExampleCom + "30")] // trailing data after the SAN
    [InlineData("b021a01f060a2b0601040183bf300107a0110c0f666f6f216578616d706c652e636f6d")] // non-universal class
    [InlineData("1021a01f060a2b0601040183bf300107a0110c0f666f6f216578616d706c652e636f6d")] // not constructed
    [InlineData("1221a01f060a2b0601040183bf300107a0110c0f666f6f216578616d706c652e636f6d")] // not a SEQUENCE
    [InlineData("3021a11f060a2b0601040183bf300108a0110c0f666f6f216578616d706c652e636f6d")] // no otherName (malformed [1])
    [InlineData("3021a01f060a2b0601040183bf300108a1110c0f666f6f216578616d706c652e636f6d")] // invalid OtherName ([1] not [0])
    [InlineData("3021a01f060a2b0601040183bf300108a0110c0f666f6f216578616d706c652e636f6d")] // wrong type-id (.8)
    [InlineData("3042a01f060a2b0601040183bf300107a0110c0f666f6f216578616d706c652e636f6da01f060a2b0601040183bf300107a0110c0f666f6f216578616d706c652e636f6d")] // two otherNames
    [InlineData("3021a01f060a2b0601040183bf300107a011130f666f6f216578616d706c652e636f6d")] // PrintableString value
    [InlineData("3023a021060a2b0601040183bf300107a0110c0f666f6f216578616d706c652e636f6d0500")] // extra field in OtherName
    [InlineData("3000")] // empty GeneralNames
    public void Decode_rejects_malformed_SANs(string hex)
    {
        Assert.Throws<WireFormatException>(() => OtherNameSan.Decode([San(hex)]));
    }

    [Fact]
    public void Decode_without_a_SAN_fails()
    {
        Assert.Throws<WireFormatException>(() => OtherNameSan.Decode([new X509BasicConstraintsExtension(false, false, 0, false)]));
        Assert.Throws<WireFormatException>(() => OtherNameSan.Decode([SubjectAltNames.ForEmail("a@example.com")]));
    }

    [Fact]
    public void Decode_reads_a_real_Fulcio_leaf_with_an_otherName()
    {
        using var cert = X509CertificateLoader.LoadCertificate(CtTestData.LeafOf(CtTestData.OtherNameBundle));
        Assert.Equal("foo!oidc.local", OtherNameSan.Decode(cert.Extensions));
    }
}
