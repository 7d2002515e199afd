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
/// database), and every service gets ready on PostgreSQL with the CA key in SoftHSM2.
/// </summary>
public sealed class ComposeStackTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static void RequireTools()
    {
        RequiredTool.Command("softhsm2-util", "softhsm2");
        RequiredTool.Command("openssl", "openssl");
        RequiredTool.Require(File.Exists("/usr/lib/softhsm/libsofthsm2.so") ? null : "the SoftHSM2 module is not installed (apt-get install -y softhsm2)");
    }

    [Fact]
    public async Task Every_compose_service_starts_from_its_compose_configuration_and_gets_ready()
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
                var process = deployment.Start(service);
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
