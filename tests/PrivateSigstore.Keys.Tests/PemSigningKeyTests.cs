using System.Security.Cryptography;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys.Tests.TestSupport;

namespace PrivateSigstore.Keys.Tests;

public sealed class PemSigningKeyTests : IDisposable
{
    private const string Password = "correct-horse";
    private readonly string _directory = Directory.CreateTempSubdirectory("psig-pem-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<SigningAlgorithm> AllAlgorithms => [.. Enum.GetValues<SigningAlgorithm>()];

    [Theory]
    [MemberData(nameof(AllAlgorithms))]
    public void Load_or_create_creates_once_then_loads_the_same_key(SigningAlgorithm algorithm)
    {
        var path = Path.Combine(_directory, "nested", "dir", "key.pem");

        using var created = PemSigningKey.LoadOrCreate(path, algorithm, out var wasCreated);
        using var loaded = PemSigningKey.LoadOrCreate(path, algorithm, out var createdAgain);
        using var plainLoad = PemSigningKey.Load(path);

        Assert.True(wasCreated);
        Assert.False(createdAgain);
        Assert.Equal(created.SubjectPublicKeyInfo, loaded.SubjectPublicKeyInfo);
        Assert.Equal(created.SubjectPublicKeyInfo, plainLoad.SubjectPublicKeyInfo);
        Assert.Equal(algorithm, loaded.Algorithm);
        Assert.Contains(path, loaded.Description, StringComparison.Ordinal);
        var data = "round trip"u8.ToArray();
        Assert.True(Signatures.Verify(algorithm, created.SubjectPublicKeyInfo, data, loaded.Sign(data)));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
    }

    [Fact]
    public void Created_key_files_are_owner_read_write_only()
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Skip("Unix file modes");
            return;
        }

        var path = Path.Combine(_directory, "perm", "key.pem");

        using var key = PemSigningKey.LoadOrCreate(path, SigningAlgorithm.EcdsaP256Sha256, out _);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
    }

    [Fact]
    public void Load_or_create_refuses_an_existing_key_of_another_algorithm()
    {
        var path = Path.Combine(_directory, "p384.pem");
        PemSigningKey.LoadOrCreate(path, SigningAlgorithm.EcdsaP384Sha384, out _).Dispose();

        var error = Assert.Throws<KeyConfigurationException>(() => PemSigningKey.LoadOrCreate(path, SigningAlgorithm.EcdsaP256Sha256, out _));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("EcdsaP384Sha384", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Concurrent_creators_end_with_one_key()
    {
        var path = Path.Combine(_directory, "race", "key.pem");
        var keys = new ISigningKey[8];
        var created = new bool[8];

        Parallel.For(0, keys.Length, i => keys[i] = PemSigningKey.LoadOrCreate(path, SigningAlgorithm.EcdsaP256Sha256, out created[i]));

        Assert.Contains(true, created);
        Assert.Single(keys.Select(k => Convert.ToBase64String(k.SubjectPublicKeyInfo)).Distinct());
        foreach (var key in keys)
        {
            key.Dispose();
        }
    }

    [Fact]
    public void Sec1_and_pkcs1_and_pkcs8_files_load()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP521);
        using var rsa = RSA.Create(2048);
        var cases = new (string Pem, SigningAlgorithm Algorithm, byte[] Spki)[]
        {
            (ecdsa.ExportECPrivateKeyPem(), SigningAlgorithm.EcdsaP521Sha512, ecdsa.ExportSubjectPublicKeyInfo()),
            (ecdsa.ExportPkcs8PrivateKeyPem(), SigningAlgorithm.EcdsaP521Sha512, ecdsa.ExportSubjectPublicKeyInfo()),
            (rsa.ExportRSAPrivateKeyPem(), SigningAlgorithm.RsaPkcs1v15Sha256, rsa.ExportSubjectPublicKeyInfo()),
            (rsa.ExportPkcs8PrivateKeyPem(), SigningAlgorithm.RsaPkcs1v15Sha256, rsa.ExportSubjectPublicKeyInfo()),
        };

        foreach (var (pem, algorithm, spki) in cases)
        {
            var path = Write("key.pem", pem);
            using var key = PemSigningKey.Load(path);
            Assert.Equal(algorithm, key.Algorithm);
            Assert.Equal(spki, key.SubjectPublicKeyInfo);
            Assert.True(Signatures.Verify(algorithm, spki, [7], key.Sign([7])));
        }
    }

    [Fact]
    public void Openssl_ec_key_with_parameters_block_loads()
    {
        using var key = PemSigningKey.Load(TestData("ec-with-params.pem"));

        Assert.Equal(SigningAlgorithm.EcdsaP256Sha256, key.Algorithm);
        Assert.Equal(PublicKeyFromPem("ec-with-params.pub.pem"), key.SubjectPublicKeyInfo);
    }

    [Fact]
    public void Openssl_ed25519_keys_load_plain_and_encrypted()
    {
        var expected = PublicKeyFromPem("ed25519.pub.pem");

        using var plain = PemSigningKey.Load(TestData("ed25519.pem"));
        using var encrypted = PemSigningKey.Load(TestData("ed25519-encrypted.pem"), Password);

        Assert.Equal(SigningAlgorithm.Ed25519, plain.Algorithm);
        Assert.Equal(expected, plain.SubjectPublicKeyInfo);
        Assert.Equal(expected, encrypted.SubjectPublicKeyInfo);
        Assert.True(Signatures.Verify(SigningAlgorithm.Ed25519, expected, [1], encrypted.Sign([1])));
    }

    [Fact]
    public void Openssl_pbes2_with_default_sha1_prf_and_aes128_loads()
    {
        using var key = PemSigningKey.Load(TestData("ec-aes128-sha1.pem"), Password);

        Assert.Equal(PublicKeyFromPem("ec-with-params.pub.pem"), key.SubjectPublicKeyInfo);
    }

    [Fact]
    public void Dotnet_encrypted_pkcs8_loads_with_the_password()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var pem = ecdsa.ExportEncryptedPkcs8PrivateKeyPem(Password, new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000));
        var path = Write("encrypted.pem", pem);

        using var key = PemSigningKey.Load(path, Password);

        Assert.Equal(ecdsa.ExportSubjectPublicKeyInfo(), key.SubjectPublicKeyInfo);
    }

    [Fact]
    public void Legacy_pbes1_encrypted_pkcs8_loads_through_the_dotnet_fallback()
    {
        using var rsa = RSA.Create(2048);
        var pem = rsa.ExportEncryptedPkcs8PrivateKeyPem(Password, new PbeParameters(PbeEncryptionAlgorithm.TripleDes3KeyPkcs12, HashAlgorithmName.SHA1, 1000));
        var path = Write("pbes1.pem", pem);

        using var key = PemSigningKey.Load(path, Password);

        Assert.Equal(rsa.ExportSubjectPublicKeyInfo(), key.SubjectPublicKeyInfo);
        var error = Assert.Throws<KeyConfigurationException>(() => PemSigningKey.Load(path, "wrong"));
        Assert.Contains("wrong password", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encrypted_files_we_write_are_standard_pkcs8()
    {
        var path = Path.Combine(_directory, "written-encrypted.pem");
        using var key = PemSigningKey.LoadOrCreate(path, SigningAlgorithm.EcdsaP256Sha256, Password, out var created);

        using var dotnet = ECDsa.Create();
        dotnet.ImportFromEncryptedPem(File.ReadAllText(path), Password);

        Assert.True(created);
        Assert.StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.Equal(key.SubjectPublicKeyInfo, dotnet.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void Wrong_password_is_a_clear_error_naming_the_file()
    {
        var error = Assert.Throws<KeyConfigurationException>(() => PemSigningKey.Load(TestData("ed25519-encrypted.pem"), "not-the-password"));

        Assert.Contains("wrong password", error.Message, StringComparison.Ordinal);
        Assert.Contains("ed25519-encrypted.pem", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-password", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_password_for_an_encrypted_file_is_a_clear_error()
    {
        var error = Assert.Throws<KeyConfigurationException>(() => PemSigningKey.Load(TestData("ed25519-encrypted.pem")));

        Assert.Contains("encrypted", error.Message, StringComparison.Ordinal);
        Assert.Contains("no password", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_file_and_directory_are_clear_errors()
    {
        var missing = Path.Combine(_directory, "nope.pem");

        var error = Assert.Throws<KeyConfigurationException>(() => PemSigningKey.Load(missing));
        var directoryError = Assert.Throws<KeyConfigurationException>(() => PemSigningKey.Load(_directory));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
        Assert.Contains("is a directory", directoryError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Garbage_and_wrong_pem_types_are_clear_errors()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var cases = new (string Content, string Expected)[]
        {
            ("this is not a key", "not a PEM file"),
            (ecdsa.ExportSubjectPublicKeyInfoPem(), "holds no private key (found: PUBLIC KEY)"),
            ("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "holds no private key (found: CERTIFICATE)"),
            (ecdsa.ExportPkcs8PrivateKeyPem() + "\n" + ecdsa.ExportECPrivateKeyPem(), "more than one private key"),
            ("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", "not valid PKCS#8"),
            ("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n", "malformed"),
            ("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n", "legacy OpenSSL PEM encryption"),
        };

        foreach (var (content, expected) in cases)
        {
            var path = Write("bad.pem", content);
            var error = Assert.Throws<KeyConfigurationException>(() => PemSigningKey.Load(path));
            Assert.Contains(expected, error.Message, StringComparison.Ordinal);
            Assert.Contains(path, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Unsupported_curves_and_small_rsa_keys_are_refused()
    {
        using var secp256k1 = ECDsa.Create(ECCurve.CreateFromFriendlyName("secp256k1"));
        using var rsa1024 = RSA.Create(1024);

        foreach (var pem in new[] { secp256k1.ExportPkcs8PrivateKeyPem(), rsa1024.ExportPkcs8PrivateKeyPem() })
        {
            var path = Write("weak.pem", pem);
            var error = Assert.Throws<KeyConfigurationException>(() => PemSigningKey.Load(path));
            Assert.Contains("unsupported key", error.Message, StringComparison.Ordinal);
        }
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static string TestData(string name) => Path.Combine(AppContext.BaseDirectory, "testdata", name);

    private static byte[] PublicKeyFromPem(string name)
    {
        var pem = PemEncoding.Find(File.ReadAllText(TestData(name)));
        return Convert.FromBase64String(File.ReadAllText(TestData(name))[pem.Base64Data]);
    }
}
