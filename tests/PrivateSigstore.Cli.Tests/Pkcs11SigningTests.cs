using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Tests.TestSupport;

namespace PrivateSigstore.Cli.Tests;

/// <summary>psig signs with a key that lives in a PKCS#11 token (SoftHSM2) and the bundle verifies with its public key.</summary>
public sealed class Pkcs11SigningTests(RekorFixture rekor, SoftHsmFixture hsm) : IClassFixture<RekorFixture>, IClassFixture<SoftHsmFixture>
{
    [Fact]
    public async Task Sign_blob_with_a_pkcs11_key_verifies_with_its_public_key()
    {
        string publicKeyPem;
        using (var token = hsm.OpenToken())
        using (var key = token.GenerateKey("psig-signer", SigningAlgorithm.EcdsaP256Sha256))
        {
            publicKeyPem = GoPem.EncodePublicKey(key.SubjectPublicKeyInfo);
        }
        var publicKey = rekor.NewFile("hsm.pub", publicKeyPem);
        var artifact = rekor.NewFile("hsm.txt", "signed inside the token\n");
        Environment.SetEnvironmentVariable("PSIG_PKCS11_MODULE", SoftHsmFixture.ModulePath);
        Environment.SetEnvironmentVariable("PSIG_PKCS11_PIN", SoftHsmFixture.UserPin);

        var sign = await Psig.RunAsync("sign-blob", artifact, "--key", $"pkcs11:token={SoftHsmFixture.TokenLabel};object=psig-signer", "--rekor-url", rekor.Url);
        var missing = await Psig.RunAsync("sign-blob", artifact, "--key", $"pkcs11:token={SoftHsmFixture.TokenLabel};object=no-such-key", "--rekor-url", rekor.Url, "--bundle", artifact + ".x");

        Assert.True(sign.ExitCode == 0, sign.Error);
        var verify = await Psig.RunAsync("verify-blob", artifact, "--key", publicKey, "--trusted-root", rekor.TrustedRootPath);
        Assert.True(verify.ExitCode == 0, verify.Error);
        Assert.Equal(2, missing.ExitCode);
        Assert.DoesNotContain(SoftHsmFixture.UserPin, missing.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Generate_key_pair_in_a_pkcs11_token_writes_only_the_public_key_and_the_key_signs()
    {
        Environment.SetEnvironmentVariable("PSIG_PKCS11_MODULE", SoftHsmFixture.ModulePath);
        Environment.SetEnvironmentVariable("PSIG_PKCS11_PIN", SoftHsmFixture.UserPin);
        var prefix = Path.Combine(rekor.Directory, "hsm-generated");
        var uri = $"pkcs11:token={SoftHsmFixture.TokenLabel};object=psig-generated";

        var generated = await Psig.RunAsync("generate-key-pair", "--pkcs11", uri, "--output-key-prefix", prefix);

        Assert.True(generated.ExitCode == 0, generated.Error);
        Assert.Equal($"Generated an ECDSA P-256 key \"psig-generated\" inside the PKCS#11 token; sign with --key \"{uri}\"\nPublic key written to {prefix}.pub\n", generated.Error.ReplaceLineEndings("\n"));
        Assert.False(File.Exists(prefix + ".key"), "the private key stays in the token");
        var artifact = rekor.NewFile("hsm-generated.txt", "signed with a key generated in the token\n");
        var sign = await Psig.RunAsync("sign-blob", artifact, "--key", uri, "--rekor-url", rekor.Url);
        Assert.True(sign.ExitCode == 0, sign.Error);
        var verify = await Psig.RunAsync("verify-blob", artifact, "--key", prefix + ".pub", "--trusted-root", rekor.TrustedRootPath);
        Assert.True(verify.ExitCode == 0, verify.Error);
    }

    [Fact]
    public async Task Sign_model_with_a_pkcs11_key_verifies_with_its_public_key()
    {
        string publicKeyPem;
        using (var token = hsm.OpenToken())
        using (var key = token.GenerateKey("psig-model-signer", SigningAlgorithm.EcdsaP256Sha256))
        {
            publicKeyPem = GoPem.EncodePublicKey(key.SubjectPublicKeyInfo);
        }
        var publicKey = rekor.NewFile("hsm-model.pub", publicKeyPem);
        var model = Directory.CreateDirectory(Path.Combine(rekor.Directory, "hsm-model-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        File.WriteAllText(Path.Combine(model, "weights.bin"), "weights");
        var signature = Path.Combine(model, "model.sig");
        Environment.SetEnvironmentVariable("PSIG_PKCS11_MODULE", SoftHsmFixture.ModulePath);
        Environment.SetEnvironmentVariable("PSIG_PKCS11_PIN", SoftHsmFixture.UserPin);

        var sign = await Psig.RunAsync("sign-model", model, "--signature", signature, "--key", $"pkcs11:token={SoftHsmFixture.TokenLabel};object=psig-model-signer", "--rekor-url", rekor.Url);
        Assert.True(sign.ExitCode == 0, sign.Error);
        var verify = await Psig.RunAsync("verify-model", model, "--signature", signature, "--key", publicKey, "--trusted-root", rekor.TrustedRootPath);
        Assert.True(verify.ExitCode == 0, verify.Error);
    }
}
