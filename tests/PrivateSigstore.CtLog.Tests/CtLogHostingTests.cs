using System.Net;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Ct;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Tests.TestSupport;

namespace PrivateSigstore.CtLog.Tests;

/// <summary>Hosting variants: the log key in an HSM, and roots handed over in process (as the Stack does).</summary>
public sealed class CtLogHostingTests(SoftHsmFixture hsm)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Log_key_in_SoftHSM_signs_SCTs_and_tree_heads()
    {
        hsm.Require();
        byte[] spki;
        using (var token = hsm.OpenToken())
        {
            using var key = token.HasKey("ct-log") ? token.GetKey("ct-log") : token.GenerateKey("ct-log", SigningAlgorithm.EcdsaP256Sha256);
            spki = key.SubjectPublicKeyInfo;
        }
        using var ca = new TestCa();
        var dir = Path.Combine(Path.GetTempPath(), "psig-ctlog-hsm", Guid.NewGuid().ToString("N"));
        var port = CtLogHost.FreePort();
        var app = await CtLogApp.BuildAsync([
            "--urls", $"http://127.0.0.1:{port}", "--CtLog:DataDirectory", dir, "--CtLog:RootsPem", ca.RootPem,
            "--CtLog:Key:Provider", "Pkcs11", "--CtLog:Key:KeyLabel", "ct-log",
            "--CtLog:Key:Pkcs11:ModulePath", SoftHsmFixture.ModulePath, "--CtLog:Key:Pkcs11:TokenLabel", SoftHsmFixture.TokenLabel,
            "--CtLog:Key:Pkcs11:Pin", SoftHsmFixture.UserPin, "--Logging:LogLevel:Default", "Warning"], cancellationToken: Ct);
        await app.StartAsync(Ct);
        try
        {
            using var http = new HttpClient();
            using var client = new Fulcio.Ct.CtLogClient(http, new Uri($"http://127.0.0.1:{port}"), spki);
            var (precert, serial, request) = ca.Precert();
            var sct = await client.AddPreChainAsync(ca.Chain(precert), Ct);
            using var logKey = ECDsa.Create();
            logKey.ImportSubjectPublicKeyInfo(spki, out _);
            Assert.True(SctVerification.VerifyEmbedded(ca.Finalize(request, serial, sct), ca.Intermediate.PublicKey.ExportSubjectPublicKeyInfo(), sct, logKey));
            Assert.False(File.Exists(Path.Combine(dir, "ctlog-key.pem")), "no development key may be created when PKCS#11 is configured");
        }
        finally
        {
            await app.StopAsync(Ct);
            await app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Roots_and_settings_can_be_passed_in_process_through_the_configure_hook()
    {
        using var ca = new TestCa();
        var dir = Path.Combine(Path.GetTempPath(), "psig-ctlog-hook", Guid.NewGuid().ToString("N"));
        var port = CtLogHost.FreePort();
        var app = await CtLogApp.BuildAsync(["--Logging:LogLevel:Default", "Warning"], b => b.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = $"http://127.0.0.1:{port}",
            ["CtLog:DataDirectory"] = dir,
            ["CtLog:RootsPem"] = ca.RootPem,
            ["CtLog:Prefix"] = "stack",
        }), Ct);
        await app.StartAsync(Ct);
        try
        {
            using var http = new HttpClient();
            using var client = new Fulcio.Ct.CtLogClient(http, new Uri($"http://127.0.0.1:{port}/stack"));
            var sct = await client.AddChainAsync(ca.Chain(ca.Leaf()), Ct);
            Assert.Equal(SignedCertificateTimestamp.V1, sct.Version);
            using var response = await http.GetAsync($"http://127.0.0.1:{port}/stack/ct/v1/get-roots", Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        finally
        {
            await app.StopAsync(Ct);
            await app.DisposeAsync();
        }
    }
}
