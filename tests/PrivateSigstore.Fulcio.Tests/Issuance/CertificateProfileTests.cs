using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Ct;
using PrivateSigstore.Fulcio.Issuance;
using PrivateSigstore.Keys;
using PublicKey = System.Security.Cryptography.X509Certificates.PublicKey;

namespace PrivateSigstore.Fulcio.Tests.Issuance;

public sealed class CertificateProfileTests : IDisposable
{
    private static readonly Principal Alice = new(
        "alice@example.com",
        new SubjectAltName(SanKind.Email, "alice@example.com"),
        new SigstoreExtensions { Issuer = "https://issuer.example", TokenSubject = "alice-sub" });

    private readonly TestCa _ca = new();

    public void Dispose() => _ca.Dispose();

    private static PublicKey KeyOf(InMemorySigningKey key) => PublicKey.CreateFromSubjectPublicKeyInfo(key.SubjectPublicKeyInfo, out _);

    [Theory]
    [InlineData(SigningAlgorithm.EcdsaP256Sha256)]
    [InlineData(SigningAlgorithm.EcdsaP384Sha384)]
    [InlineData(SigningAlgorithm.EcdsaP521Sha512)]
    [InlineData(SigningAlgorithm.RsaPkcs1v15Sha256)]
    [InlineData(SigningAlgorithm.Ed25519)]
    public void Leaf_follows_the_fulcio_profile_and_chains(SigningAlgorithm clientAlgorithm)
    {
        using var client = InMemorySigningKey.Generate(clientAlgorithm);
        using var leaf = _ca.Issue(KeyOf(client), Alice);

        // The certificate key equals the requested key.
        Assert.Equal(client.SubjectPublicKeyInfo, leaf.PublicKey.ExportSubjectPublicKeyInfo());

        Assert.Equal(3, leaf.Version);
        Assert.Empty(leaf.SubjectName.RawData.Skip(2));
        Assert.Equal(_ca.Intermediate.SubjectName.RawData, leaf.IssuerName.RawData);
        Assert.Equal(TimeSpan.FromMinutes(10), leaf.NotAfter - leaf.NotBefore);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero), new DateTimeOffset(leaf.NotBefore.ToUniversalTime()));

        var serial = leaf.SerialNumberBytes.ToArray();
        Assert.InRange(serial.Length, 1, 20);
        Assert.Equal(0, leaf.GetSerialNumber()[^1] & 0x80); // little-endian: the last byte is the most significant

        var ku = Assert.IsType<X509KeyUsageExtension>(leaf.Extensions["2.5.29.15"]);
        Assert.True(ku.Critical);
        Assert.Equal(X509KeyUsageFlags.DigitalSignature, ku.KeyUsages);
        var eku = Assert.IsType<X509EnhancedKeyUsageExtension>(leaf.Extensions["2.5.29.37"]);
        Assert.False(eku.Critical);
        Assert.Equal(["1.3.6.1.5.5.7.3.3"], eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value));
        Assert.Null(leaf.Extensions["2.5.29.19"]);
        var aki = Assert.IsType<X509AuthorityKeyIdentifierExtension>(leaf.Extensions["2.5.29.35"]);
        var issuerSki = Assert.IsType<X509SubjectKeyIdentifierExtension>(_ca.Intermediate.Extensions["2.5.29.14"]);
        Assert.Equal(Convert.FromHexString(issuerSki.SubjectKeyIdentifier!), aki.KeyIdentifier!.Value.ToArray());
        Assert.Single(leaf.Extensions.Cast<X509Extension>(), e => e.Oid!.Value == SigstoreOids.SubjectAltName);

        // Extension order: KU, EKU, SKI, AKI, SAN, then 1.1, 1.8, 1.24.
        Assert.Equal(
            ["2.5.29.15", "2.5.29.37", "2.5.29.14", "2.5.29.35", "2.5.29.17", SigstoreOids.Issuer, SigstoreOids.IssuerV2, SigstoreOids.TokenSubject],
            leaf.Extensions.Cast<X509Extension>().Select(e => e.Oid!.Value));

        // Signed by the intermediate with ecdsa-with-SHA256 (its P-256 key).
        Assert.Equal("1.2.840.10045.4.3.2", leaf.SignatureAlgorithm.Value);
        _ca.Validate(leaf);
    }

    [Theory]
    [InlineData(SigningAlgorithm.EcdsaP384Sha384, SigningAlgorithm.RsaPkcs1v15Sha256, "1.2.840.113549.1.1.11")]
    [InlineData(SigningAlgorithm.RsaPkcs1v15Sha256, SigningAlgorithm.EcdsaP384Sha384, "1.2.840.10045.4.3.3")]
    [InlineData(SigningAlgorithm.EcdsaP521Sha512, SigningAlgorithm.EcdsaP521Sha512, "1.2.840.10045.4.3.4")]
    [InlineData(SigningAlgorithm.Ed25519, SigningAlgorithm.Ed25519, "1.3.101.112")]
    public void Signature_algorithm_follows_the_issuer_key(SigningAlgorithm root, SigningAlgorithm intermediate, string signatureOid)
    {
        using var ca = new TestCa(root, intermediate);
        using var client = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
        using var leaf = ca.Issue(KeyOf(client), Alice);
        Assert.Equal(signatureOid, leaf.SignatureAlgorithm.Value);
        ca.Validate(leaf);
    }

    [Fact]
    public void Ca_certificates_follow_the_specification()
    {
        var root = _ca.Root;
        Assert.Equal("CN=Test Root, O=PrivateSigstore Tests", root.Subject);
        Assert.Equal(root.Subject, root.Issuer);
        var rootKu = Assert.IsType<X509KeyUsageExtension>(root.Extensions["2.5.29.15"]);
        Assert.True(rootKu.Critical);
        Assert.Equal(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, rootKu.KeyUsages);
        var rootBc = Assert.IsType<X509BasicConstraintsExtension>(root.Extensions["2.5.29.19"]);
        Assert.True(rootBc.Critical && rootBc.CertificateAuthority);
        Assert.NotNull(root.Extensions["2.5.29.14"]);

        var intermediate = _ca.Intermediate;
        var bc = Assert.IsType<X509BasicConstraintsExtension>(intermediate.Extensions["2.5.29.19"]);
        Assert.True(bc.Critical && bc.CertificateAuthority && bc.HasPathLengthConstraint);
        Assert.Equal(0, bc.PathLengthConstraint);
        var eku = Assert.IsType<X509EnhancedKeyUsageExtension>(intermediate.Extensions["2.5.29.37"]);
        Assert.Equal(["1.3.6.1.5.5.7.3.3"], eku.EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value));
        var aki = Assert.IsType<X509AuthorityKeyIdentifierExtension>(intermediate.Extensions["2.5.29.35"]);
        Assert.Equal(Convert.FromHexString(((X509SubjectKeyIdentifierExtension)root.Extensions["2.5.29.14"]!).SubjectKeyIdentifier!), aki.KeyIdentifier!.Value.ToArray());
        Assert.Equal("1.2.840.10045.4.3.3", intermediate.SignatureAlgorithm.Value); // signed by the P-384 root
    }

    [Fact]
    public void Given_serial_is_used_and_invalid_serials_are_refused()
    {
        using var client = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
        byte[] serial = [0x01, 0x02, 0x03];
        using var leaf = _ca.Issue(KeyOf(client), Alice, serial);
        Assert.Equal(serial, leaf.SerialNumberBytes.ToArray());

        Assert.Throws<ArgumentException>(() => _ca.Issue(KeyOf(client), Alice, [0x80]));
        Assert.Throws<ArgumentException>(() => _ca.Issue(KeyOf(client), Alice, new byte[21]));
        Assert.Throws<ArgumentException>(() => _ca.Issue(KeyOf(client), Alice, [0x00]));

        var fresh = CertificateProfile.NewSerial();
        Assert.Equal(20, fresh.Length);
        Assert.Equal(0x40, fresh[0] & 0xC0);
    }

    [Fact]
    public void Precertificate_and_final_certificate_share_their_tbs()
    {
        using var client = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
        var serial = CertificateProfile.NewSerial();
        using var precert = CertificateProfile.BuildPrecertificate(KeyOf(client), Alice, _ca.Intermediate, _ca.IntermediateKey, TestCa.Now, null, serial);

        var poison = precert.Extensions[SigstoreOids.CtPoison]!;
        Assert.True(poison.Critical);
        Assert.Equal([0x05, 0x00], poison.RawData);
        Assert.True(Precertificate.HasPoison(precert.RawData));

        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteOctetString([0x00, 0x04, 0x00, 0x02, 0xAB, 0xCD]);
        var sctList = new X509Extension(SigstoreOids.SctList, writer.Encode(), critical: false);
        using var final = CertificateProfile.BuildFinal(KeyOf(client), Alice, _ca.Intermediate, _ca.IntermediateKey, TestCa.Now, null, serial, sctList);

        Assert.False(Precertificate.HasPoison(final.RawData));
        Assert.Equal(serial, final.SerialNumberBytes.ToArray());
        Assert.Equal(precert.NotBefore, final.NotBefore);
        Assert.Equal(precert.NotAfter, final.NotAfter);
        Assert.Equal(
            Convert.ToHexString(Precertificate.RemoveExtension(Precertificate.ExtractTbs(precert.RawData), SigstoreOids.CtPoison)),
            Convert.ToHexString(Precertificate.GetTbsWithoutSctList(final.RawData)));
        _ca.Validate(final);
    }

    [Fact]
    public void Final_certificate_from_the_precertificate_tbs_equals_the_built_one_and_verifies()
    {
        using var client = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
        var serial = CertificateProfile.NewSerial();
        using var precert = CertificateProfile.BuildPrecertificate(KeyOf(client), Alice, _ca.Intermediate, _ca.IntermediateKey, TestCa.Now, null, serial);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteOctetString([0x00, 0x04, 0x00, 0x02, 0xAB, 0xCD]);
        var sctList = new X509Extension(SigstoreOids.SctList, writer.Encode(), critical: false);

        byte[] surgery = CertificateProfile.FinalFromPrecertificate(precert.RawData, sctList, _ca.IntermediateKey);
        using var built = CertificateProfile.BuildFinal(KeyOf(client), Alice, _ca.Intermediate, _ca.IntermediateKey, TestCa.Now, null, serial, sctList);

        // Byte-identical TBS to the certificate built from scratch (ECDSA signatures differ, the signed bytes do not).
        Assert.Equal(Convert.ToHexString(Precertificate.ExtractTbs(built.RawData)), Convert.ToHexString(Precertificate.ExtractTbs(surgery)));
        Assert.True(PrivateSigstore.Fulcio.Ca.CertificateSignature.IsSignedBy(surgery, _ca.Intermediate.PublicKey));
        using var final = X509CertificateLoader.LoadCertificate(surgery);
        Assert.False(Precertificate.HasPoison(surgery));
        Assert.Equal(sctList.RawData, final.Extensions[SigstoreOids.SctList]!.RawData);
        _ca.Validate(final);
        Assert.Throws<ArgumentException>(() => CertificateProfile.FinalFromPrecertificate(precert.RawData, new X509Extension(SigstoreOids.SctList, sctList.RawData, critical: true), _ca.IntermediateKey));
    }
}
