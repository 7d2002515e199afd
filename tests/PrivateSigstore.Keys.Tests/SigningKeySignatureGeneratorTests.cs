using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Crypto;

namespace PrivateSigstore.Keys.Tests;

public sealed class SigningKeySignatureGeneratorTests
{
    [Theory]
    [InlineData(SigningAlgorithm.EcdsaP256Sha256, "SHA256", "1.2.840.10045.4.3.2", "300a06082a8648ce3d040302")]
    [InlineData(SigningAlgorithm.EcdsaP384Sha384, "SHA384", "1.2.840.10045.4.3.3", "300a06082a8648ce3d040303")]
    [InlineData(SigningAlgorithm.EcdsaP521Sha512, "SHA512", "1.2.840.10045.4.3.4", "300a06082a8648ce3d040304")]
    [InlineData(SigningAlgorithm.RsaPkcs1v15Sha256, "SHA256", "1.2.840.113549.1.1.11", "300d06092a864886f70d01010b0500")]
    public void Self_signed_certificates_validate_and_name_the_right_algorithm(SigningAlgorithm algorithm, string hash, string oid, string algorithmIdentifierHex)
    {
        using var key = InMemorySigningKey.Generate(algorithm);
        var generator = new SigningKeySignatureGenerator(key);
        var hashName = new HashAlgorithmName(hash);
        var request = new CertificateRequest(new X500DistinguishedName("CN=test"), generator.PublicKey, hashName);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));

        using var certificate = request.Create(request.SubjectName, generator, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1), [1]);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;

        Assert.Equal(algorithmIdentifierHex, Convert.ToHexStringLower(generator.GetSignatureAlgorithmIdentifier(hashName)));
        Assert.Equal(oid, certificate.SignatureAlgorithm.Value);
        Assert.Equal(key.SubjectPublicKeyInfo, certificate.PublicKey.ExportSubjectPublicKeyInfo());
        Assert.True(chain.Build(certificate), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
    }

    [Fact]
    public void Ed25519_uses_the_rfc8410_identifier_whatever_the_hash()
    {
        using var key = InMemorySigningKey.Generate(SigningAlgorithm.Ed25519);
        var generator = new SigningKeySignatureGenerator(key);
        var request = new CertificateRequest(new X500DistinguishedName("CN=ed"), generator.PublicKey, HashAlgorithmName.SHA512);

        using var certificate = request.Create(request.SubjectName, generator, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1), [1]);

        Assert.Equal("300506032b6570", Convert.ToHexStringLower(generator.GetSignatureAlgorithmIdentifier(HashAlgorithmName.SHA256)));
        Assert.Equal("1.3.101.112", certificate.SignatureAlgorithm.Value);
    }

    [Fact]
    public void A_hash_other_than_the_keys_is_refused()
    {
        using var key = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
        var generator = new SigningKeySignatureGenerator(key);

        var error = Assert.Throws<ArgumentException>(() => generator.SignData([1], HashAlgorithmName.SHA384));

        Assert.Contains("SHA256", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => generator.GetSignatureAlgorithmIdentifier(HashAlgorithmName.SHA512));
    }
}
