using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Fulcio.Issuance;
using PrivateSigstore.Keys;

namespace PrivateSigstore.Fulcio.Tests.Issuance;

public sealed class ProofOfPossessionTests
{
    private static Principal EmailPrincipal() => PrincipalMapper.Map(new PrincipalRequest(IssuerType.Email, "https://issuer.example",
        JsonDocument.Parse("""{"sub":"subject-123","email":"alice@example.com","email_verified":true}""").RootElement.Clone()));

    private static Principal UsernamePrincipal() => PrincipalMapper.Map(new PrincipalRequest(IssuerType.Username, "https://issuer.example",
        JsonDocument.Parse("""{"sub":"alice","email":"alice@example.com"}""").RootElement.Clone())
    { SubjectDomain = "example.com" });

    private static byte[] Pem(InMemorySigningKey key) => Encoding.ASCII.GetBytes(PemEncoding.WriteString("PUBLIC KEY", key.SubjectPublicKeyInfo));

    [Theory]
    [InlineData(SigningAlgorithm.EcdsaP256Sha256)]
    [InlineData(SigningAlgorithm.EcdsaP384Sha384)]
    [InlineData(SigningAlgorithm.EcdsaP521Sha512)]
    [InlineData(SigningAlgorithm.RsaPkcs1v15Sha256)]
    [InlineData(SigningAlgorithm.Ed25519)]
    public void Signature_over_sub_or_email_is_accepted(SigningAlgorithm algorithm)
    {
        using var key = InMemorySigningKey.Generate(algorithm);
        var principal = EmailPrincipal();
        foreach (var value in new[] { "alice@example.com", "subject-123" })
        {
            var accepted = ProofOfPossession.VerifyChallenge(Pem(key), key.Sign(Encoding.UTF8.GetBytes(value)), principal);
            Assert.Equal(key.SubjectPublicKeyInfo, accepted.SubjectPublicKeyInfo);
            Assert.Equal(algorithm, ClientKeyPolicy.AlgorithmOf(accepted));
        }

        // DER content works too, and a non-email principal accepts sub (its Name) and email.
        ProofOfPossession.VerifyChallenge(key.SubjectPublicKeyInfo, key.Sign("alice"u8), UsernamePrincipal());
        ProofOfPossession.VerifyChallenge(key.SubjectPublicKeyInfo, key.Sign("alice@example.com"u8), UsernamePrincipal());
    }

    [Fact]
    public void Signature_over_anything_else_or_by_another_key_is_rejected()
    {
        using var key = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
        using var other = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
        var principal = EmailPrincipal();

        var e = Assert.Throws<IssuanceException>(() => ProofOfPossession.VerifyChallenge(Pem(key), key.Sign("bob@example.com"u8), principal));
        Assert.Equal(IssuanceError.InvalidSignature, e.Error);
        Assert.Equal("The signature supplied in the request could not be verified", e.Message);
        Assert.Throws<IssuanceException>(() => ProofOfPossession.VerifyChallenge(Pem(key), other.Sign("alice@example.com"u8), principal));

        // P1363 (r||s) instead of DER is not accepted.
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var raw = ecdsa.SignData("alice@example.com"u8.ToArray(), HashAlgorithmName.SHA256);
        var pem = Encoding.ASCII.GetBytes(ecdsa.ExportSubjectPublicKeyInfoPem());
        Assert.Throws<IssuanceException>(() => ProofOfPossession.VerifyChallenge(pem, raw, principal));
    }

    [Fact]
    public void Rsa_1024_and_p224_are_insecure()
    {
        using var rsa = RSA.Create(1024);
        var e = Assert.Throws<IssuanceException>(() => ProofOfPossession.VerifyChallenge(
            Encoding.ASCII.GetBytes(rsa.ExportSubjectPublicKeyInfoPem()), rsa.SignData("subject-123"u8.ToArray(), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), EmailPrincipal()));
        Assert.Equal(IssuanceError.InsecurePublicKey, e.Error);
        Assert.Equal("The public key supplied in the request is insecure", e.Message);

        using var p224 = ECDsa.Create(ECCurve.CreateFromValue("1.3.132.0.33"));
        e = Assert.Throws<IssuanceException>(() => ClientKeyPolicy.FromSubjectPublicKeyInfo(p224.ExportSubjectPublicKeyInfo()));
        Assert.Equal(IssuanceError.InsecurePublicKey, e.Error);
        Assert.Equal("The public key supplied in the request is insecure", e.Message);
        Assert.Contains("P-256, P-384, or P-521", e.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Garbage_key_is_unparseable()
    {
        var e = Assert.Throws<IssuanceException>(() => ClientKeyPolicy.Parse("not a key"u8));
        Assert.Equal(IssuanceError.InvalidPublicKey, e.Error);
        Assert.Equal("The public key supplied in the request could not be parsed", e.Message);
    }

    private static byte[] Csr(ECDsa key, HashAlgorithmName hash) =>
        Encoding.ASCII.GetBytes(new CertificateRequest(new X500DistinguishedName([0x30, 0x00]), key, hash).CreateSigningRequestPem());

    [Fact]
    public void Csr_with_a_good_signature_yields_its_key()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var key = ProofOfPossession.VerifyCsr(Csr(ecdsa, HashAlgorithmName.SHA384));
        Assert.Equal(ecdsa.ExportSubjectPublicKeyInfo(), key.SubjectPublicKeyInfo);

        using var rsa = RSA.Create(2048);
        var der = new CertificateRequest("CN=ignored", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSigningRequest();
        Assert.Equal(rsa.ExportSubjectPublicKeyInfo(), ProofOfPossession.VerifyCsr(der).SubjectPublicKeyInfo);
    }

    [Fact]
    public void Csr_with_a_bad_signature_is_rejected()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var der = new CertificateRequest(new X500DistinguishedName([0x30, 0x00]), ecdsa, HashAlgorithmName.SHA256).CreateSigningRequest();
        der[^5] ^= 0x01; // inside the signature
        var e = Assert.Throws<IssuanceException>(() => ProofOfPossession.VerifyCsr(der));
        Assert.Equal(IssuanceError.InvalidSignature, e.Error);
        Assert.Equal("The signature supplied in the request could not be verified", e.Message);

        var parse = Assert.Throws<IssuanceException>(() => ProofOfPossession.VerifyCsr("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n"u8));
        Assert.Equal(IssuanceError.InvalidCsr, parse.Error);
    }

    [Fact]
    public void Csr_with_a_disallowed_hash_is_rejected()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var e = Assert.Throws<IssuanceException>(() => ProofOfPossession.VerifyCsr(Csr(ecdsa, HashAlgorithmName.SHA384)));
        Assert.Equal(IssuanceError.SigningAlgorithmNotPermitted, e.Error);
    }

    [Fact]
    public void Issued_leaf_carries_the_proven_key()
    {
        using var ca = new TestCa();
        using var key = InMemorySigningKey.Generate(SigningAlgorithm.Ed25519);
        var principal = EmailPrincipal();
        var proven = ProofOfPossession.VerifyChallenge(Pem(key), key.Sign("subject-123"u8), principal);
        using var leaf = ca.Issue(ClientKeyPolicy.ToX509(proven), principal);
        Assert.Equal(key.SubjectPublicKeyInfo, leaf.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.Equal(["alice@example.com"], SubjectAltNames.Read(leaf).Emails);
        ca.Validate(leaf);
    }
}
