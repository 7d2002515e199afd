using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Deploy.Tests;

/// <summary>
/// docker-compose.yml's configuration really starts: keys-init's script and each service's image command run as plain
/// processes with the compose environment (host names → 127.0.0.1, volumes → temporary directories, PostgreSQL → a test
/// database), every service gets ready on PostgreSQL with the CA key in SoftHSM2, and a workload token from Identity
/// buys a certificate from Fulcio with an SCT from the CT log.
/// </summary>
public sealed class ComposeStackTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Runs psig from its build output; fails the test unless it exits 0.</summary>
    private static async Task PsigAsync(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] arguments)
    {
        var psig = Repository.File("src", "PrivateSigstore.Cli", "bin", Repository.Configuration, "net10.0", "psig.dll");
        var (code, output) = await RequiredTool.RunAsync("dotnet", [psig, .. arguments], workingDirectory, environment, Ct);
        Assert.True(code == 0, $"psig {arguments[0]} failed ({code}):\n{output}");
    }

    private static void RequireTools()
    {
        RequiredTool.Command("softhsm2-util", "softhsm2");
        RequiredTool.Command("openssl", "openssl");
        RequiredTool.Require(File.Exists("/usr/lib/softhsm/libsofthsm2.so") ? null : "the SoftHSM2 module is not installed (apt-get install -y softhsm2)");
    }

    [Fact]
    public async Task Every_compose_service_starts_from_its_compose_configuration_gets_ready_and_issues_a_logged_certificate()
    {
        RequireTools();
        await using var db = await TestDatabase.CreateAsync(Ct);
        using var deployment = new LocalDeployment(ComposeFile.Load(Repository.File("docker-compose.yml")), db.ConnectionString);
        await deployment.InitializeKeysAsync(Ct);
        // keys-init is idempotent: a second run keeps the token, chain and keys.
        var chain = await File.ReadAllTextAsync(Path.Combine(deployment.Volume("ca-public"), "ca-chain.pem"), Ct);
        await deployment.InitializeKeysAsync(Ct);
        Assert.Equal(chain, await File.ReadAllTextAsync(Path.Combine(deployment.Volume("ca-public"), "ca-chain.pem"), Ct));

        var services = deployment.Compose.ApplicationServices();
        Assert.Equal(["ctlog", "fulcio", "identity", "rekor"], services.Select(s => s.Name).Order(StringComparer.Ordinal));
        var running = new List<ServiceProcess>();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            foreach (var service in services)
            {
                // Rekor's checkpoint name must occur in the trusted root's tlog URL (sigstore clients check it): what an
                // operator sets through PSIG_REKOR_HOSTNAME, here the loopback address the test reaches it at.
                var process = service.Name == "rekor"
                    ? deployment.Start(service, new Dictionary<string, string> { ["Rekor__Hostname"] = $"127.0.0.1:{deployment.Port("rekor")}" })
                    : deployment.Start(service);
                running.Add(process);
                await process.WaitReadyAsync(http, Ct);
            }

            // The image's HEALTHCHECK script answers from each running service (and fails for a path that is not 200).
            foreach (var process in running)
            {
                var env = new Dictionary<string, string> { ["PSIG_HEALTH_PORT"] = process.BaseUrl.Port.ToString(System.Globalization.CultureInfo.InvariantCulture) };
                var (ok, okOutput) = await RequiredTool.RunAsync("bash", [Repository.File("deploy", "docker", "healthcheck.sh"), "/healthz"], deployment.Root, env, Ct);
                Assert.True(ok == 0, $"healthcheck.sh /healthz failed for {process.Name}: {okOutput}");
                var (missing, _) = await RequiredTool.RunAsync("bash", [Repository.File("deploy", "docker", "healthcheck.sh"), "/no-such-path"], deployment.Root, env, Ct);
                Assert.Equal(1, missing);
            }

            // Fulcio serves the chain from the ceremony; its key is in the token (no development CA), and the CT log
            // trusts exactly that root.
            var fulcio = running.Single(p => p.Name == "fulcio");
            Assert.DoesNotContain("DEVELOPMENT", fulcio.Output, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("(hardware-backed: True)", fulcio.Output, StringComparison.Ordinal);
            var root = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(deployment.Volume("ca-public"), "ca-chain.root.pem"));
            var bundle = JsonNode.Parse(await http.GetStringAsync(new Uri(fulcio.BaseUrl, "/api/v2/trustBundle"), Ct))!;
            var served = bundle["chains"]![0]!["certificates"]!.AsArray().Select(c => c!.GetValue<string>()).ToList();
            Assert.Contains(root.ExportCertificatePem().Replace("\r", "", StringComparison.Ordinal).Trim(), served.Select(s => s.Trim()));
            var ctlog = running.Single(p => p.Name == "ctlog");
            var roots = JsonNode.Parse(await http.GetStringAsync(new Uri(ctlog.BaseUrl, "/test/ct/v1/get-roots"), Ct))!;
            Assert.Equal([Convert.ToBase64String(root.RawData)], roots["certificates"]!.AsArray().Select(c => c!.GetValue<string>()));

            // Identity's discovery names the issuer the CA trusts (the mapped fulcio-config.yaml).
            var identity = running.Single(p => p.Name == "identity");
            var discovery = JsonNode.Parse(await http.GetStringAsync(new Uri(identity.BaseUrl, "/.well-known/openid-configuration"), Ct))!;
            Assert.Equal(identity.BaseUrl.AbsoluteUri, discovery["issuer"]!.GetValue<string>());

            // End to end through the compose wiring: a workload registered with Identity's admin command (as
            // `docker-compose exec identity … admin clients add` runs it) gets a token, Fulcio accepts it and issues a
            // certificate with an SCT from the CT log, which Fulcio checked with the log's public key.
            var admin = deployment.Environment(deployment.Compose.Services["identity"]);
            var (addCode, added) = await RequiredTool.RunAsync("dotnet",
                [Repository.ServiceDll("Identity"), "admin", "clients", "add", "release-builder", "--subject", "https://ci.example.com/release", "--email", "builder@example.com", "--email-verified"],
                Path.Combine(deployment.Root, "work"), admin, Ct);
            Assert.True(addCode == 0, added);
            var secret = added.Split('\n').Single(l => l.StartsWith("client secret (shown once): ", StringComparison.Ordinal))["client secret (shown once): ".Length..].Trim();
            using var tokenResponse = await http.PostAsync(new Uri(identity.BaseUrl, "/connect/token"), new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["grant_type"] = "client_credentials", ["client_id"] = "release-builder", ["client_secret"] = secret, ["scope"] = "openid email",
            }), Ct);
            var tokenText = await tokenResponse.Content.ReadAsStringAsync(Ct);
            Assert.True(tokenResponse.IsSuccessStatusCode, tokenText);
            var idToken = JsonNode.Parse(tokenText)!["id_token"]!.GetValue<string>();
            using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new JsonObject
            {
                ["credentials"] = new JsonObject { ["oidcIdentityToken"] = idToken },
                ["publicKeyRequest"] = new JsonObject
                {
                    ["publicKey"] = new JsonObject { ["algorithm"] = "ECDSA", ["content"] = signer.ExportSubjectPublicKeyInfoPem() },
                    ["proofOfPossession"] = Convert.ToBase64String(signer.SignData(Encoding.UTF8.GetBytes("builder@example.com"), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence)),
                },
            };
            using var certResponse = await http.PostAsync(new Uri(fulcio.BaseUrl, "/api/v2/signingCert"), new StringContent(request.ToJsonString(), Encoding.UTF8, "application/json"), Ct);
            var certText = await certResponse.Content.ReadAsStringAsync(Ct);
            Assert.True(certResponse.StatusCode == HttpStatusCode.OK, $"{(int)certResponse.StatusCode} {certText}\n{fulcio.Output}");
            var issued = JsonNode.Parse(certText)!["signedCertificateEmbeddedSct"]!["chain"]!["certificates"]!.AsArray().Select(c => X509Certificate2.CreateFromPem(c!.GetValue<string>())).ToList();
            var leaf = issued[0];
            Assert.Contains(leaf.Extensions.Cast<X509Extension>(), e => e.Oid!.Value == "1.3.6.1.4.1.11129.2.4.2"); // embedded SCT list
            Assert.Equal("builder@example.com", leaf.GetNameInfo(X509NameType.EmailName, forIssuer: false));
            Assert.Equal(root.RawData, issued[^1].RawData);
            var sth = JsonNode.Parse(await http.GetStringAsync(new Uri(ctlog.BaseUrl, "/test/ct/v1/get-sth"), Ct))!;
            Assert.Equal(1, sth["tree_size"]!.GetValue<long>());

            // And with the unchanged client: psig builds the trusted root from the running services, signs a blob keylessly
            // as the workload, and verifies it against that root (a changed blob does not verify).
            var rekor = running.Single(p => p.Name == "rekor");
            var work = Directory.CreateDirectory(Path.Combine(deployment.Root, "client")).FullName;
            var trustedRoot = Path.Combine(work, "trusted_root.json");
            await PsigAsync(work, null, "trusted-root", "--rekor-url", rekor.BaseUrl.AbsoluteUri, "--fulcio-url", fulcio.BaseUrl.AbsoluteUri,
                "--ctlog-public-key", Path.Combine(deployment.Volume("ca-public"), "ctlog-public.pem"), "--out", trustedRoot);
            var blob = Path.Combine(work, "release.tar");
            await File.WriteAllTextAsync(blob, "release artifact", Ct);
            await PsigAsync(work, new Dictionary<string, string> { ["PSIG_OIDC_CLIENT_SECRET"] = secret }, "sign-blob", blob, "--bundle", blob + ".sigstore.json",
                "--oidc-issuer", identity.BaseUrl.AbsoluteUri, "--oidc-client-id", "release-builder", "--fulcio-url", fulcio.BaseUrl.AbsoluteUri, "--rekor-url", rekor.BaseUrl.AbsoluteUri);
            string[] verify = ["verify-blob", blob, "--bundle", blob + ".sigstore.json", "--certificate-identity", "builder@example.com",
                "--certificate-oidc-issuer", identity.BaseUrl.AbsoluteUri, "--trusted-root", trustedRoot];
            await PsigAsync(work, null, verify);
            await File.WriteAllTextAsync(blob, "release artifact, changed", Ct);
            var (changed, changedOutput) = await RequiredTool.RunAsync("dotnet", [Repository.File("src", "PrivateSigstore.Cli", "bin", Repository.Configuration, "net10.0", "psig.dll"), .. verify], work, null, Ct);
            Assert.True(changed == 1, $"a changed blob verified ({changed}): {changedOutput}");
        }
        finally
        {
            foreach (var process in running)
            {
                await process.DisposeAsync();
            }
        }
    }
}
