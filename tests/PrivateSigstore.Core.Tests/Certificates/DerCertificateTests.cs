using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Core.Tests.Ct;

namespace PrivateSigstore.Core.Tests.Certificates;

/// <summary>DerCertificate reads the same fields the platform's X509Certificate2 does.</summary>
public sealed class DerCertificateTests
{
    [Fact]
    public void Fields_match_the_platform_parser()
    {
        using var pki = new TestPki();
        var der = pki.IssuePrecert();
        using var platform = X509CertificateLoader.LoadCertificate(der);
        var parsed = DerCertificate.Parse(der);
        Assert.Equal(platform.IssuerName.RawData, parsed.Issuer.ToArray());
        Assert.Equal(platform.SubjectName.RawData, parsed.Subject.ToArray());
        Assert.Equal(platform.PublicKey.ExportSubjectPublicKeyInfo(), parsed.SubjectPublicKeyInfo);
        Assert.Equal(platform.SignatureAlgorithm.Value, parsed.SignatureAlgorithm);
        Assert.Equal(PrivateSigstore.Core.Ct.Precertificate.ExtractTbs(der), parsed.Tbs.ToArray());
        Assert.Equal(platform.Extensions.Select(e => (e.Oid!.Value!, e.Critical, Convert.ToHexString(e.RawData))),
            parsed.Extensions.Select(e => (e.Oid, e.Critical, Convert.ToHexString(e.Value.Span))));
        Assert.True(parsed.Extension(SigstoreOids.CtPoison)!.Critical);
        Assert.Equal([SigstoreOids.CodeSigningEku], parsed.ExtendedKeyUsages());
        Assert.Null(parsed.IsCertificateAuthority());
        Assert.True(pki.CaKey.VerifyData(parsed.Tbs.Span, parsed.Signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }

    [Fact]
    public void Basic_constraints_of_a_CA_and_no_EKU()
    {
        using var pki = new TestPki();
        var parsed = DerCertificate.Parse(pki.Ca.RawData);
        Assert.True(parsed.IsCertificateAuthority());
        Assert.Null(parsed.ExtendedKeyUsages());
        Assert.Equal(parsed.Issuer.ToArray(), parsed.Subject.ToArray());
    }

    [Theory]
    [InlineData("")]
    [InlineData("3000")]
    [InlineData("300302010100")]
    [InlineData("3080020101 0000")]
    public void Malformed_input_is_a_wire_format_error(string hex) =>
        Assert.Throws<WireFormatException>(() => DerCertificate.Parse(Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal))));

    [Fact]
    public void Trailing_bytes_are_refused()
    {
        using var pki = new TestPki();
        Assert.Throws<WireFormatException>(() => DerCertificate.Parse([.. pki.IssuePrecert(), 0x00]));
    }
}
