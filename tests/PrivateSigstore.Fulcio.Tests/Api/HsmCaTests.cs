using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Fulcio.Ca;
using PrivateSigstore.Keys.Tests.TestSupport;

namespace PrivateSigstore.Fulcio.Tests.Api;

/// <summary>The key ceremony in SoftHSM2 and a CA whose root and intermediate keys never leave the token.</summary>
public sealed class HsmCaTests(SoftHsmFixture hsm)
{
    private static string NewDirectory() => Directory.CreateTempSubdirectory("psig-fulcio-hsm-").FullName;

    private static (int Exit, string Output, string Error) Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exit = CaCommands.Run(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    private static string PinFile(string dir)
    {
        var path = Path.Combine(dir, "pin");
        File.WriteAllText(path, SoftHsmFixture.UserPin);
        return path;
    }

    /// <summary>Issue 20, finding 9: a token is initialised with PINs from files, never from the command line.</summary>
    [Fact]
    public void Init_token_takes_the_pins_from_files_and_the_token_then_holds_a_ceremony()
    {
        hsm.Require();
        var dir = NewDirectory();
        var label = "ca-" + Guid.NewGuid().ToString("N")[..8];
        var pin = Path.Combine(dir, "ca.pin");
        var soPin = Path.Combine(dir, "ca.sopin");
        File.WriteAllText(pin, "ca-user-pin-0123\n");
        File.WriteAllText(soPin, "ca-so-pin-0123\n");

        // Without an SO PIN source, or with none for the user PIN: a usage error (a PIN is never an argument).
        Assert.Equal(2, Run("init-token", "--module", SoftHsmFixture.ModulePath, "--token-label", label, "--pin-file", pin).Exit);
        Assert.Equal(2, Run("init-token", "--module", SoftHsmFixture.ModulePath, "--token-label", label, "--so-pin-file", soPin).Exit);

        var (exit, output, error) = Run("init-token", "--module", SoftHsmFixture.ModulePath, "--token-label", label, "--pin-file", pin, "--so-pin-file", soPin);
        Assert.True(exit == 0, error);
        Assert.Contains(label, output, StringComparison.Ordinal);
        var again = Run("init-token", "--module", SoftHsmFixture.ModulePath, "--token-label", label, "--pin-file", pin, "--so-pin-file", soPin);
        Assert.Equal(1, again.Exit);
        Assert.Contains("already exists", again.Error, StringComparison.Ordinal);

        var ceremony = Run("ceremony", "--module", SoftHsmFixture.ModulePath, "--token-label", label, "--pin-file", pin, "--out", Path.Combine(dir, "chain.pem"));
        Assert.True(ceremony.Exit == 0, ceremony.Error);
        Assert.Equal(2, CertificateAuthority.ReadChain(Path.Combine(dir, "chain.pem")).Length);
    }

    [Fact]
    public async Task Ceremony_creates_keys_in_the_token_and_the_service_issues_with_them()
    {
        hsm.Require();
        var dir = NewDirectory();
        string suffix = Guid.NewGuid().ToString("N")[..8];
        string chainPath = Path.Combine(dir, "chain.pem");
        var (exit, output, error) = Run("ceremony", "--module", SoftHsmFixture.ModulePath, "--token-label", SoftHsmFixture.TokenLabel, "--pin-file", PinFile(dir),
            "--root-label", $"root-{suffix}", "--intermediate-label", $"int-{suffix}", "--organization", "Example Corp", "--out", chainPath);
        Assert.True(exit == 0, error);
        Assert.Contains("Fulcio__Key__KeyLabel=int-" + suffix, output, StringComparison.Ordinal);

        // The chain: intermediate (EKU codeSigning, path length 0) under a self-signed root; both keys are in the token.
        var chain = CertificateAuthority.ReadChain(chainPath);
        Assert.Equal(2, chain.Length);
        Assert.Equal("CN=Example Corp Intermediate CA, O=Example Corp", chain[0].Subject);
        Assert.Equal("CN=Example Corp Root CA, O=Example Corp", chain[1].Subject);
        Assert.Equal(0, Assert.IsType<X509BasicConstraintsExtension>(chain[0].Extensions["2.5.29.19"]).PathLengthConstraint);
        using (var token = hsm.OpenToken())
        {
            Assert.True(token.HasKey($"root-{suffix}"));
            Assert.True(token.HasKey($"int-{suffix}"));
            Assert.Equal(chain[0].RawData, token.FindCertificate($"int-{suffix}"));
            Assert.Equal(chain[1].RawData, token.FindCertificate($"root-{suffix}"));
        }

        // Never overwrites an existing chain, never takes a PIN from the command line.
        Assert.Equal(2, Run("ceremony", "--token-label", SoftHsmFixture.TokenLabel, "--pin-file", PinFile(dir), "--out", chainPath).Exit);
        Assert.Equal(2, Run("ceremony", "--token-label", SoftHsmFixture.TokenLabel, "--out", Path.Combine(dir, "x.pem")).Exit);

        await using var server = await FulcioTestServer.StartAsync(
            "--Fulcio:Key:Provider", "Pkcs11", "--Fulcio:Key:KeyLabel", $"int-{suffix}",
            "--Fulcio:Key:Pkcs11:ModulePath", SoftHsmFixture.ModulePath, "--Fulcio:Key:Pkcs11:TokenLabel", SoftHsmFixture.TokenLabel,
            "--Fulcio:Key:Pkcs11:PinFile", PinFile(dir), "--Fulcio:ChainPath", chainPath);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var issued = await server.IssueAsync(FulcioTestServer.PublicKeyRequest(key, "user-1",
            server.Token(server.Claims("email", "user-1", new { email = "alice@example.com", email_verified = true }))));
        Assert.Equal(chain.Select(c => c.RawData), issued[1..].Select(c => c.RawData));
        Assert.Equal(X509ChainStatusFlags.NoError, FulcioTestServer.ValidateCodeSigning(issued));
        Assert.True(CertificateSignature.IsSignedBy(issued[0].RawData, chain[0].PublicKey));
        // No key material was written next to the service: the development CA was not used.
        Assert.Empty(Directory.GetFiles(server.DataDirectory, "*key*.pem"));
    }

    [Fact]
    public void Import_chain_checks_the_chain_against_the_token_key()
    {
        hsm.Require();
        var dir = NewDirectory();
        string suffix = Guid.NewGuid().ToString("N")[..8];
        string chainPath = Path.Combine(dir, "chain.pem");
        Assert.Equal(0, Run("ceremony", "--module", SoftHsmFixture.ModulePath, "--token-label", SoftHsmFixture.TokenLabel, "--pin-file", PinFile(dir),
            "--root-label", $"root-{suffix}", "--intermediate-label", $"int-{suffix}", "--algorithm", "ecdsa-p384", "--root-algorithm", "ecdsa-p256", "--out", chainPath).Exit);

        string copy = Path.Combine(dir, "imported.pem");
        var (exit, output, error) = Run("import-chain", "--chain", chainPath, "--module", SoftHsmFixture.ModulePath, "--token-label", SoftHsmFixture.TokenLabel,
            "--key-label", $"int-{suffix}", "--pin-file", PinFile(dir), "--out", copy);
        Assert.True(exit == 0, error);
        Assert.Contains("matches", output, StringComparison.Ordinal);
        Assert.Equal(File.ReadAllText(chainPath), File.ReadAllText(copy));

        // The root's key is not the issuing key: importing the chain for it fails with a clear message.
        (exit, _, error) = Run("import-chain", "--chain", chainPath, "--module", SoftHsmFixture.ModulePath, "--token-label", SoftHsmFixture.TokenLabel,
            "--key-label", $"root-{suffix}", "--pin-file", PinFile(dir));
        Assert.Equal(1, exit);
        Assert.Contains("does not hold the public key", error, StringComparison.Ordinal);

        // A chain in the wrong order is refused.
        var chain = CertificateAuthority.ReadChain(chainPath);
        string reversed = Path.Combine(dir, "reversed.pem");
        CertificateAuthority.WriteChain(reversed, chain.Reverse());
        (exit, _, error) = Run("import-chain", "--chain", reversed, "--module", SoftHsmFixture.ModulePath, "--token-label", SoftHsmFixture.TokenLabel,
            "--key-label", $"root-{suffix}", "--pin-file", PinFile(dir));
        Assert.Equal(1, exit);
        Assert.Contains("CA chain is broken", error, StringComparison.Ordinal);
    }
}
