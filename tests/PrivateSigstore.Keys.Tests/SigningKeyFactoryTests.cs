using Microsoft.Extensions.Logging;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys.Pkcs11;
using PrivateSigstore.Keys.Tests.TestSupport;

namespace PrivateSigstore.Keys.Tests;

public sealed class SigningKeyFactoryTests(SoftHsmFixture hsm) : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("psig-factory-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Auto_creates_a_development_key_once_reuses_it_and_warns_loudly()
    {
        var path = Path.Combine(_directory, "data", "rekor", "signing-key.pem");
        var firstLog = new CapturingLogger();
        var secondLog = new CapturingLogger();

        using var first = SigningKeyFactory.Create(new SigningKeyOptions(), path, firstLog);
        using var second = SigningKeyFactory.Create(new SigningKeyOptions { Provider = "auto" }, path, secondLog);

        Assert.True(File.Exists(path));
        Assert.Equal(first.SubjectPublicKeyInfo, second.SubjectPublicKeyInfo);
        Assert.False(first.IsHardwareBacked);
        Assert.Equal(SigningAlgorithm.EcdsaP256Sha256, first.Algorithm);
        foreach (var (log, state) in new[] { (firstLog, "created now"), (secondLog, "reused") })
        {
            var warning = Assert.Single(log.Entries, e => e.Level == LogLevel.Warning);
            Assert.Contains("USING A GENERATED DEVELOPMENT KEY", warning.Message, StringComparison.Ordinal);
            Assert.Contains("NOT HSM-BACKED", warning.Message, StringComparison.Ordinal);
            Assert.Contains(path, warning.Message, StringComparison.Ordinal);
            Assert.Contains(state, warning.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Auto_with_a_key_path_loads_that_file_without_the_development_warning()
    {
        var path = Path.Combine(_directory, "configured.pem");
        PemSigningKey.LoadOrCreate(path, SigningAlgorithm.EcdsaP256Sha256, out _).Dispose();
        var log = new CapturingLogger();

        using var key = SigningKeyFactory.Create(new SigningKeyOptions { KeyPath = path }, Path.Combine(_directory, "dev.pem"), log);

        Assert.Contains(path, key.Description, StringComparison.Ordinal);
        Assert.DoesNotContain(log.Entries, e => e.Level >= LogLevel.Warning);
        Assert.False(File.Exists(Path.Combine(_directory, "dev.pem")));
    }

    [Fact]
    public void Pem_file_with_generate_if_missing_writes_an_encrypted_key_when_a_password_is_set()
    {
        var path = Path.Combine(_directory, "generated.pem");
        var options = new SigningKeyOptions { Provider = "PemFile", KeyPath = path, KeyPassword = "pw", GenerateIfMissing = true, Algorithm = SigningAlgorithm.Ed25519 };

        using var created = SigningKeyFactory.Create(options, "unused.pem", new CapturingLogger());
        using var loaded = PemSigningKey.Load(path, "pw");

        Assert.StartsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.Equal(created.SubjectPublicKeyInfo, loaded.SubjectPublicKeyInfo);
    }

    [Fact]
    public void Pem_file_without_generate_if_missing_fails_when_the_file_is_missing()
    {
        var options = new SigningKeyOptions { Provider = "PemFile", KeyPath = Path.Combine(_directory, "absent.pem") };

        var error = Assert.Throws<KeyConfigurationException>(() => SigningKeyFactory.Create(options, "unused.pem", new CapturingLogger()));

        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void In_memory_keys_are_ephemeral_and_warned_about()
    {
        var log = new CapturingLogger();

        using var key = SigningKeyFactory.Create(new SigningKeyOptions { Provider = "InMemory", Algorithm = SigningAlgorithm.EcdsaP384Sha384 }, "unused.pem", log);

        Assert.Equal(SigningAlgorithm.EcdsaP384Sha384, key.Algorithm);
        Assert.Contains(log.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("NOT HSM-BACKED", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Kms", null, null, "unknown signing key Provider 'Kms'")]
    [InlineData("PemFile", null, null, "needs KeyPath")]
    [InlineData("PemFile", "k.pem", "label", "remove KeyLabel")]
    [InlineData("Pkcs11", null, null, "needs KeyLabel")]
    [InlineData("Pkcs11", "k.pem", "label", "remove KeyPath")]
    [InlineData("Auto", "k.pem", "label", "both KeyPath and KeyLabel")]
    [InlineData("InMemory", "k.pem", null, "remove KeyPath and KeyLabel")]
    public void Invalid_options_fail_closed_with_a_clear_message(string provider, string? keyPath, string? keyLabel, string expected)
    {
        var options = new SigningKeyOptions { Provider = provider, KeyPath = keyPath, KeyLabel = keyLabel };
        options.Pkcs11.TokenLabel = "t";

        var error = Assert.Throws<KeyConfigurationException>(() => SigningKeyFactory.Create(options, Path.Combine(_directory, "dev.pem"), new CapturingLogger()));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pkcs11_without_token_selection_or_with_undefined_algorithm_fails_closed()
    {
        var noToken = new SigningKeyOptions { Provider = "Pkcs11", KeyLabel = "k" };
        var badAlgorithm = new SigningKeyOptions { Algorithm = (SigningAlgorithm)99 };

        Assert.Contains("TokenLabel", Assert.Throws<KeyConfigurationException>(() => SigningKeyFactory.Create(noToken, "dev.pem", new CapturingLogger())).Message, StringComparison.Ordinal);
        Assert.Contains("Algorithm 99", Assert.Throws<KeyConfigurationException>(() => SigningKeyFactory.Create(badAlgorithm, "dev.pem", new CapturingLogger())).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_of_another_algorithm_than_configured_is_refused()
    {
        var path = Path.Combine(_directory, "p384.pem");
        PemSigningKey.LoadOrCreate(path, SigningAlgorithm.EcdsaP384Sha384, out _).Dispose();

        var error = Assert.Throws<KeyConfigurationException>(() =>
            SigningKeyFactory.Create(new SigningKeyOptions { Provider = "PemFile", KeyPath = path }, "unused.pem", new CapturingLogger()));

        Assert.Contains("set Algorithm", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Pkcs11_generates_only_when_asked_and_then_reuses_the_token_key()
    {
        hsm.Require();
        var label = $"factory-{Guid.NewGuid():N}";
        var options = new SigningKeyOptions { Provider = "Pkcs11", KeyLabel = label, Pkcs11 = hsm.Options() };

        var missing = Assert.Throws<KeyConfigurationException>(() => SigningKeyFactory.Create(options, "unused.pem", new CapturingLogger()));
        options.GenerateIfMissing = true;
        var generateLog = new CapturingLogger();
        using var generated = SigningKeyFactory.Create(options, "unused.pem", generateLog);
        options.GenerateIfMissing = false;
        using var reopened = SigningKeyFactory.Create(new SigningKeyOptions { KeyLabel = label, Pkcs11 = hsm.Options() }, "unused.pem", new CapturingLogger());

        Assert.Contains("GenerateIfMissing", missing.Message, StringComparison.Ordinal);
        Assert.True(generated.IsHardwareBacked);
        Assert.IsType<Pkcs11SigningKey>(reopened);
        Assert.Equal(generated.SubjectPublicKeyInfo, reopened.SubjectPublicKeyInfo);
        Assert.Contains(generateLog.Entries, e => e.Message.Contains("inside PKCS#11 token", StringComparison.Ordinal));
        Assert.Contains(generateLog.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("meant for tests", StringComparison.Ordinal));
        Assert.True(Signatures.Verify(SigningAlgorithm.EcdsaP256Sha256, reopened.SubjectPublicKeyInfo, [5], generated.Sign([5])));
    }
}
