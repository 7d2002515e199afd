using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Tests.TestSupport;

namespace PrivateSigstore.Timestamp.Tests;

/// <summary>The key ceremony in a real SoftHSM2 token, and the authority signing with the key it made.</summary>
public sealed class CeremonyTests(SoftHsmFixture hsm)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static (int Exit, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = CeremonyCommand.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    private static string PinFile(string dir)
    {
        var path = Path.Combine(dir, "pin");
        File.WriteAllText(path, SoftHsmFixture.UserPin + "\n");
        return path;
    }

    [Fact]
    public async Task Ceremony_creates_the_keys_in_the_token_and_the_authority_signs_with_them()
    {
        hsm.Require();
        var dir = TsaHost.TempDirectory("ceremony");
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var chainPath = Path.Combine(dir, "tsa-chain.pem");
        var (exit, output, error) = Run("--token-label", SoftHsmFixture.TokenLabel, "--pin-file", PinFile(dir), "--out", chainPath,
            "--root-label", $"tsa-root-{suffix}", "--key-label", $"tsa-{suffix}", "--organization", "Example Corp");
        Assert.True(exit == 0, output + error);
        Assert.Contains("Timestamp__Key__KeyLabel=tsa-" + suffix, output, StringComparison.Ordinal);

        var chain = GoPem.DecodeCertificates(await File.ReadAllTextAsync(chainPath, Ct)).Select(X509CertificateLoader.LoadCertificate).ToArray();
        Assert.Equal(2, chain.Length);
        Assert.Equal("CN=Example Corp Timestamp Authority, O=Example Corp", chain[0].Subject);
        var eku = Assert.IsType<X509EnhancedKeyUsageExtension>(chain[0].Extensions["2.5.29.37"]);
        Assert.True(eku.Critical);
        Assert.Equal(chain[1].RawData, GoPem.DecodeCertificates(await File.ReadAllTextAsync(Path.Combine(dir, "tsa-chain.root.pem"), Ct)).Single());

        // The keys live in the token, non-extractable, with their certificates beside them.
        using (var token = hsm.OpenToken())
        {
            Assert.True(token.HasKey($"tsa-{suffix}"));
            Assert.True(token.HasKey($"tsa-root-{suffix}"));
            Assert.Equal(chain[0].RawData, token.FindCertificate($"tsa-{suffix}"));
        }

        var options = new TimestampOptions
        {
            DataDirectory = TsaHost.TempDirectory("hsm-data"),
            CertificateChainPath = chainPath,
            Key = new SigningKeyOptions
            {
                Provider = "Pkcs11",
                KeyLabel = $"tsa-{suffix}",
                Pkcs11 = new Pkcs11Options { ModulePath = SoftHsmFixture.ModulePath, TokenLabel = SoftHsmFixture.TokenLabel, PinFile = Path.Combine(dir, "pin") },
            },
        };
        await using var host = await TsaHost.StartAsync(options);
        var authority = (TimestampAuthority)host.Services.GetService(typeof(TimestampAuthority))!;
        Assert.True(authority.Credentials.Key.IsHardwareBacked);
        Assert.Empty(Directory.GetFiles(options.DataDirectory));

        foreach (var hash in new[] { "sha256", "sha384", "sha512" })
        {
            var request = Replies.Request(hash, "hsm"u8.ToArray(), true, 99);
            var (status, body, _) = await host.PostAsync(request.Encode(), "application/timestamp-query");
            Assert.Equal(HttpStatusCode.OK, status);
            Replies.Verify(request, body, chain);

            await File.WriteAllBytesAsync(Path.Combine(dir, "data.txt"), "hsm"u8.ToArray(), Ct);
            await File.WriteAllBytesAsync(Path.Combine(dir, "reply.tsr"), body, Ct);
            await File.WriteAllTextAsync(Path.Combine(dir, "leaf.pem"), GoPem.Encode("CERTIFICATE", chain[0].RawData), Ct);
            var (code, text) = Replies.OpenSsl(dir, "ts", "-verify", "-data", "data.txt", "-in", "reply.tsr", "-CAfile", "tsa-chain.root.pem", "-untrusted", "leaf.pem");
            Assert.True(code == 0 && text.Contains("Verification: OK", StringComparison.Ordinal), text);
        }

        // Never overwrites: a second ceremony to the same file is refused before touching the token.
        (exit, _, error) = Run("--token-label", SoftHsmFixture.TokenLabel, "--pin-file", Path.Combine(dir, "pin"), "--out", chainPath,
            "--root-label", $"other-root-{suffix}", "--key-label", $"other-{suffix}");
        Assert.Equal(2, exit);
        Assert.Contains("never overwrites", error, StringComparison.Ordinal);
        using (var token = hsm.OpenToken())
        {
            Assert.False(token.HasKey($"other-{suffix}"));
        }

        // Nor replaces a key: existing labels are refused, and nothing new is written.
        var second = Path.Combine(dir, "second.pem");
        (exit, _, error) = Run("--token-label", SoftHsmFixture.TokenLabel, "--pin-file", Path.Combine(dir, "pin"), "--out", second,
            "--root-label", $"tsa-root-{suffix}", "--key-label", $"fresh-{suffix}");
        Assert.Equal(1, exit);
        Assert.Contains("already holds a key", error, StringComparison.Ordinal);
        Assert.False(File.Exists(second));
    }

    [Theory]
    [InlineData("--pin", "1234")]
    [InlineData("--so-pin", "5678")]
    public void Ceremony_never_takes_a_PIN_on_the_command_line(string option, string value)
    {
        var (exit, _, error) = Run("--token-label", "x", option, value, "--out", "/tmp/never.pem");
        Assert.Equal(2, exit);
        Assert.Contains("never from the command line", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Ceremony_requires_a_PIN_source_and_rejects_unknown_options()
    {
        var (exit, _, error) = Run("--token-label", "x", "--out", Path.Combine(TsaHost.TempDirectory("nopin"), "c.pem"));
        Assert.Equal(2, exit);
        Assert.Contains("--pin-file or --pin-env is required", error, StringComparison.Ordinal);
        (exit, _, error) = Run("--token-label", "x", "--pin-env", "X", "--out", "c.pem", "--colour", "blue");
        Assert.Equal(2, exit);
        Assert.Contains("unknown option --colour", error, StringComparison.Ordinal);
    }
}

/// <summary>Start-up checks: options and chains are refused with a message naming what is wrong.</summary>
public sealed class StartupCheckTests
{
    [Fact]
    public void Options_are_validated_naming_the_setting()
    {
        Assert.Contains("Timestamp:CertificateChainPath is required", Assert.Throws<ArgumentException>(() =>
            new TimestampOptions { Key = new SigningKeyOptions { KeyPath = "/tmp/k.pem" } }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("Timestamp:DefaultPolicyOid", Assert.Throws<ArgumentException>(() =>
            new TimestampOptions { DefaultPolicyOid = "not.an.oid" }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("Timestamp:AcceptedPolicyOids", Assert.Throws<ArgumentException>(() =>
            new TimestampOptions { AcceptedPolicyOids = ["1.2.3", "x"] }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("Timestamp:MaxRequestBytes", Assert.Throws<ArgumentException>(() =>
            new TimestampOptions { MaxRequestBytes = 10 }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("Timestamp:AccuracyMilliseconds", Assert.Throws<ArgumentException>(() =>
            new TimestampOptions { AccuracyMilliseconds = -1 }.Validate()).Message, StringComparison.Ordinal);
    }

    private static (string KeyPath, string ChainPath) Write(string dir, ECDsa key, params X509Certificate2[] chain)
    {
        var keyPath = Path.Combine(dir, "key.pem");
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        var chainPath = Path.Combine(dir, "chain.pem");
        File.WriteAllText(chainPath, GoPem.EncodeCertificates(chain.Select(c => c.RawData)));
        return (keyPath, chainPath);
    }

    private static string StartFails(string keyPath, string chainPath)
    {
        var options = new TimestampOptions { DataDirectory = TsaHost.TempDirectory("bad"), CertificateChainPath = chainPath, Key = new SigningKeyOptions { KeyPath = keyPath } };
        var e = Assert.ThrowsAny<Exception>(() => TimestampApp.BuildAsync(options, ["--urls", "http://127.0.0.1:0"]).GetAwaiter().GetResult());
        return e.Message;
    }

    [Fact]
    public void Key_errors_name_the_Timestamp_Key_setting()
    {
        var dir = TsaHost.TempDirectory("keyerr");
        var chain = Path.Combine(dir, "chain.pem");
        File.WriteAllText(chain, "");
        var options = new TimestampOptions { DataDirectory = dir, CertificateChainPath = chain, Key = new SigningKeyOptions { Provider = "Pkcs11" } };
        var e = Assert.Throws<KeyConfigurationException>(() => TimestampApp.BuildAsync(options, ["--urls", "http://127.0.0.1:0"], cancellationToken: TestContext.Current.CancellationToken).GetAwaiter().GetResult());
        Assert.StartsWith("Timestamp:Key: Provider Pkcs11 needs KeyLabel", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Chain_that_does_not_certify_the_key_is_refused()
    {
        var dir = TsaHost.TempDirectory("mismatch");
        using var rootKey = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
        using var tsaKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = DateTimeOffset.UtcNow;
        using var root = TsaCertificates.CreateRoot(rootKey, "Root", "Test", now, now.AddYears(1));
        using var leaf = TsaCertificates.CreateLeaf(otherKey.ExportSubjectPublicKeyInfo(), "TSA", "Test", root, rootKey, now, now.AddDays(1));
        var (keyPath, chainPath) = Write(dir, tsaKey, leaf, root);
        Assert.Contains("does not certify the signing key", StartFails(keyPath, chainPath), StringComparison.Ordinal);
    }

    [Fact]
    public void Leaf_without_a_critical_timeStamping_EKU_is_refused()
    {
        var dir = TsaHost.TempDirectory("eku");
        using var rootKey = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
        using var tsaKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = DateTimeOffset.UtcNow;
        using var root = TsaCertificates.CreateRoot(rootKey, "Root", "Test", now, now.AddYears(1));
        var request = new CertificateRequest("CN=TSA", tsaKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(TsaCertificates.TimeStampingEku)], critical: false));
        using var leaf = request.Create(root.SubjectName, new SigningKeySignatureGenerator(rootKey), now, now.AddDays(1), [1, 2, 3]);
        var (keyPath, chainPath) = Write(dir, tsaKey, leaf, root);
        Assert.Contains("timeStamping, marked critical", StartFails(keyPath, chainPath), StringComparison.Ordinal);
    }

    [Fact]
    public void Leaf_alone_is_refused()
    {
        var dir = TsaHost.TempDirectory("alone");
        using var rootKey = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
        using var tsaKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var now = DateTimeOffset.UtcNow;
        using var root = TsaCertificates.CreateRoot(rootKey, "Root", "Test", now, now.AddYears(1));
        using var leaf = TsaCertificates.CreateLeaf(tsaKey.ExportSubjectPublicKeyInfo(), "TSA", "Test", root, rootKey, now, now.AddDays(1));
        var (keyPath, chainPath) = Write(dir, tsaKey, leaf);
        Assert.Contains("at least its root", StartFails(keyPath, chainPath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Development_chain_is_created_once_and_reused()
    {
        var dir = TsaHost.TempDirectory("dev");
        string first;
        await using (var host = await TsaHost.StartAsync(new TimestampOptions { DataDirectory = dir }))
        {
            first = await File.ReadAllTextAsync(Path.Combine(dir, "tsa-chain.pem"), TestContext.Current.CancellationToken);
        }
        await using (var host = await TsaHost.StartAsync(new TimestampOptions { DataDirectory = dir }))
        {
            Assert.Equal(first, await File.ReadAllTextAsync(Path.Combine(dir, "tsa-chain.pem"), TestContext.Current.CancellationToken));
            Assert.Equal(first, (await host.Http.GetStringAsync("/api/v1/timestamp/certchain", TestContext.Current.CancellationToken)).Replace("\r", "", StringComparison.Ordinal));
        }
    }
}
