using System.Security.Cryptography;
using PrivateSigstore.Core.Ct;

namespace PrivateSigstore.Core.Tests.Ct;

/// <summary>The RFC 6962 structs of the CT log API: DigitallySigned, TreeHeadSignature, extra_data.</summary>
public sealed class CtApiStructTests
{
    [Fact]
    public void DigitallySigned_is_hash_signature_and_uint16_length()
    {
        var ds = new DigitallySigned(4, 3, [0x30, 0x01, 0xFF]);
        Assert.Equal("0403" + "0003" + "3001ff", Convert.ToHexStringLower(ds.Serialize()));
        var parsed = DigitallySigned.Parse(ds.Serialize());
        Assert.Equal((4, 3), (parsed.HashAlgorithm, parsed.SignatureAlgorithm));
        Assert.Equal(ds.Signature, parsed.Signature);
    }

    [Theory]
    [InlineData("04")]
    [InlineData("0403")]
    [InlineData("04030002ff")]
    [InlineData("04030001ff00")]
    [InlineData("04030000")]
    public void DigitallySigned_rejects_truncation_trailing_bytes_and_empty_signatures(string hex) =>
        Assert.Throws<WireFormatException>(() => DigitallySigned.Parse(Convert.FromHexString(hex)));

    [Fact]
    public void TreeHeadSignature_is_the_RFC_6962_struct()
    {
        var root = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var data = TreeHeadSignature.SignedData(0x0000018A0B0C0D0E, 7, root);
        Assert.Equal(
            "00" + "01"                     // version v1, signature_type tree_hash
            + "0000018a0b0c0d0e"            // timestamp
            + "0000000000000007"            // tree_size
            + Convert.ToHexStringLower(root),
            Convert.ToHexStringLower(data));
        Assert.Throws<ArgumentException>(() => TreeHeadSignature.SignedData(1, 1, new byte[31]));
    }

    [Fact]
    public void X509_extra_data_is_a_uint24_list_of_uint24_certificates()
    {
        byte[][] chain = [[0x30, 0x00], [0x30, 0x01, 0x00]];
        var data = CtExtraData.ForX509(chain);
        Assert.Equal("00000b" + "000002" + "3000" + "000003" + "300100", Convert.ToHexStringLower(data));
        Assert.Equal(chain, CtExtraData.ParseX509(data));
        Assert.Equal("000000", Convert.ToHexStringLower(CtExtraData.ForX509([])));
    }

    [Fact]
    public void Precert_extra_data_is_the_precertificate_then_its_chain()
    {
        var data = CtExtraData.ForPrecert([0x30, 0x00], [[0x30, 0x01, 0x00]]);
        Assert.Equal("000002" + "3000" + "000006" + "000003" + "300100", Convert.ToHexStringLower(data));
        var (precert, chain) = CtExtraData.ParsePrecert(data);
        Assert.Equal([0x30, 0x00], precert);
        Assert.Equal([[0x30, 0x01, 0x00]], chain);
    }

    [Theory]
    [InlineData("00000b00000230000000033001")]
    [InlineData("00000500000230000000033001")]
    [InlineData("00000000")]
    [InlineData("000003000000")]
    public void Extra_data_rejects_malformed_lists(string hex) =>
        Assert.Throws<WireFormatException>(() => CtExtraData.ParseX509(Convert.FromHexString(hex)));

    [Fact]
    public void Extra_data_rejects_empty_certificates() =>
        Assert.Throws<ArgumentException>(() => CtExtraData.ForX509([[]]));

    [Fact]
    public void X509_and_precert_SCTs_verify_only_over_their_own_entry()
    {
        using var log = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] cert = [0x30, 0x03, 0x02, 0x01, 0x07];
        var issuer = log.ExportSubjectPublicKeyInfo();
        var x509 = Sct(log, 5, SctSignedData.ForX509(5, cert, []));
        Assert.True(SctVerification.VerifyX509(cert, x509, log));
        Assert.False(SctVerification.VerifyX509([0x30, 0x03, 0x02, 0x01, 0x08], x509, log));
        Assert.False(SctVerification.VerifyPrecert(cert, issuer, x509, log));

        var precert = Sct(log, 6, SctSignedData.ForPrecert(6, SHA256.HashData(issuer), cert, []));
        Assert.True(SctVerification.VerifyPrecert(cert, issuer, precert, log));
        Assert.False(SctVerification.VerifyPrecert(cert, [.. issuer, 0], precert, log));
        Assert.False(SctVerification.VerifyX509(cert, precert, log));
        Assert.False(SctVerification.VerifyPrecert(cert, issuer, precert with { Timestamp = 7 }, log));
        Assert.False(SctVerification.VerifyPrecert(cert, issuer, precert with { HashAlgorithm = 5 }, log));
    }

    private static SignedCertificateTimestamp Sct(ECDsa key, ulong timestamp, byte[] signed) =>
        new(SignedCertificateTimestamp.V1, SHA256.HashData(key.ExportSubjectPublicKeyInfo()), timestamp, [], SignedCertificateTimestamp.HashSha256,
            SignedCertificateTimestamp.SignatureEcdsa, key.SignData(signed, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
}
