using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Core.Tests.Ct;

namespace PrivateSigstore.Core.Tests.Certificates;

public sealed class SubjectAltNamesTests
{
    [Fact]
    public void ForEmail_is_one_critical_rfc822Name()
    {
        var ext = SubjectAltNames.ForEmail("a@b.example");
        Assert.Equal("2.5.29.17", ext.Oid!.Value);
        Assert.True(ext.Critical);
        // SEQUENCE(13) { [1] IA5String(11) "a@b.example" }
        Assert.Equal("300d810b6140622e6578616d706c65", Convert.ToHexStringLower(ext.RawData));
    }

    [Fact]
    public void ForUri_is_one_critical_URI_written_verbatim()
    {
        var ext = SubjectAltNames.ForUri("https://x.example/a b");
        Assert.True(ext.Critical);
        // SEQUENCE(23) { [6] IA5String(21) ... } — no percent-encoding of the space.
        Assert.Equal("301786156874747073" + "3a2f2f782e6578616d706c652f612062", Convert.ToHexStringLower(ext.RawData));
    }

    [Fact]
    public void ForUsername_is_the_otherName_SAN()
    {
        Assert.Equal(OtherNameSan.Encode("u!x"), SubjectAltNames.ForUsername("u!x").RawData);
        Assert.True(SubjectAltNames.ForUsername("u!x").Critical);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ü@example.com")]
    public void Builders_reject_non_IA5_values(string value)
    {
        Assert.ThrowsAny<ArgumentException>(() => SubjectAltNames.ForEmail(value));
        Assert.ThrowsAny<ArgumentException>(() => SubjectAltNames.ForUri(value));
    }

    [Fact]
    public void Read_round_trips_each_builder()
    {
        Assert.Equal(["a@b.example"], SubjectAltNames.Read([SubjectAltNames.ForEmail("a@b.example")]).Emails);
        Assert.Equal(["https://ci.example/wf@refs/heads/main"], SubjectAltNames.Read([SubjectAltNames.ForUri("https://ci.example/wf@refs/heads/main")]).Uris);
        Assert.Equal(["u!x"], SubjectAltNames.Read([SubjectAltNames.ForUsername("u!x")]).Usernames);
    }

    [Fact]
    public void Read_collects_emails_and_URIs_and_skips_DNS_IP_and_foreign_otherNames_written_by_dotnet()
    {
        var builder = new SubjectAlternativeNameBuilder();
        builder.AddDnsName("host.example");
        builder.AddEmailAddress("one@example.com");
        builder.AddIpAddress(IPAddress.Loopback);
        builder.AddUri(new Uri("https://example.com/x"));
        builder.AddUserPrincipalName("upn@example.com"); // otherName with the Microsoft UPN type-id
        builder.AddEmailAddress("two@example.com");
        var san = builder.Build(critical: true);

        var read = SubjectAltNames.Read([san]);
        Assert.Equal(["one@example.com", "two@example.com"], read.Emails);
        Assert.Equal(["https://example.com/x"], read.Uris);
        Assert.Empty(read.Usernames);

        // UnmarshalOtherNameSAN semantics: a foreign otherName is an error there.
        Assert.Throws<WireFormatException>(() => OtherNameSan.Decode([san]));
    }

    [Fact]
    public void Read_of_a_certificate_built_with_the_SAN()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName(""), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(SubjectAltNames.ForEmail("signer@example.com"));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(10));

        Assert.Equal("signer@example.com", cert.GetNameInfo(X509NameType.EmailName, forIssuer: false));
        Assert.Equal(["signer@example.com"], SubjectAltNames.Read(cert).Emails);
    }

    [Fact]
    public void Read_of_real_Fulcio_leaves()
    {
        using var github = X509CertificateLoader.LoadCertificate(CtTestData.LeafOf(CtTestData.PublicGoodBundle));
        var names = SubjectAltNames.Read(github);
        Assert.Equal(["https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main"], names.Uris);
        Assert.Empty(names.Emails);
        Assert.Empty(names.Usernames);

        using var other = X509CertificateLoader.LoadCertificate(CtTestData.LeafOf(CtTestData.OtherNameBundle));
        Assert.Equal(["foo!oidc.local"], SubjectAltNames.Read(other).Usernames);
    }

    [Fact]
    public void Read_without_a_SAN_is_empty()
    {
        var read = SubjectAltNames.Read([new X509BasicConstraintsExtension(false, false, 0, false)]);
        Assert.Empty(read.Emails);
        Assert.Empty(read.Uris);
        Assert.Empty(read.Usernames);
    }

    [Theory]
    [InlineData("3000")] // no names
    [InlineData("300d810b6140622e6578616d706c6500")] // trailing byte
    [InlineData("300da10b6140622e6578616d706c65")] // constructed [1]
    [InlineData("300d810bc340622e6578616d706c65")] // non-ASCII in IA5String
    [InlineData("300d0c0b6140622e6578616d706c65")] // universal UTF8String is no GeneralName
    [InlineData("30818d810b6140622e6578616d706c65")] // non-minimal / wrong length
    public void Read_rejects_malformed_SANs(string hex)
    {
        var ext = new X509Extension(SigstoreOids.SubjectAltName, Convert.FromHexString(hex), true);
        Assert.Throws<WireFormatException>(() => SubjectAltNames.Read([ext]));
    }

    [Fact]
    public void Read_rejects_two_SAN_extensions()
    {
        Assert.Throws<WireFormatException>(() =>
            SubjectAltNames.Read([SubjectAltNames.ForEmail("a@example.com"), SubjectAltNames.ForUri("https://example.com")]));
    }
}
