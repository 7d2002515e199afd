using System.Text.Json.Nodes;

namespace PrivateSigstore.Deploy.Tests;

/// <summary>
/// The systemd units' configuration really starts: each unit's ExecStart runs as a plain process with its Environment=
/// lines, systemd's specifiers expanded as systemd would (%S → /var/lib, %d → /run/credentials/&lt;unit&gt;), its
/// LoadCredential= files in that credentials directory, and /var/lib, /run/credentials and /etc/privatesigstore as
/// temporary directories; the CA's token comes from the documented ceremony. No site settings (EnvironmentFile=) are
/// given, so the logs and Identity run on SQLite in their StateDirectory.
/// </summary>
public sealed class SystemdConfigurationTests
{
    private static readonly string[] Units = ["identity", "ctlog", "fulcio", "rekor"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_unit_starts_from_its_own_settings_and_gets_ready()
    {
        var softhsm = RequiredTool.Command("softhsm2-util", "softhsm2");
        var openssl = RequiredTool.Command("openssl", "openssl");
        var units = Units.Select(name => Unit.Load(name)).ToList();
        using var deployment = new LocalDeployment(ComposeFile.Of(units.Select(u => u.Service)), "unused: the units name no database");
        string etc = deployment.Volume("etc");
        string credentials = Directory.CreateDirectory(Path.Combine(etc, "credentials")).FullName;

        // What the operator puts in /etc/privatesigstore (docs/operations.md, "systemd"): keys, PIN, SoftHSM2 config.
        foreach (var key in new[] { "rekor-key.pem", "ctlog-key.pem", "identity-key.pem" })
        {
            var (code, output) = await RequiredTool.RunAsync(openssl, ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", Path.Combine(credentials, key)], etc, null, Ct);
            Assert.True(code == 0, output);
        }

        var (pubCode, pubOutput) = await RequiredTool.RunAsync(openssl, ["pkey", "-in", Path.Combine(credentials, "ctlog-key.pem"), "-pubout", "-out", Path.Combine(etc, "ctlog-public.pem")], etc, null, Ct);
        Assert.True(pubCode == 0, pubOutput);
        await File.WriteAllTextAsync(Path.Combine(credentials, "fulcio-hsm-pin"), "4321-pin", Ct);
        await File.WriteAllTextAsync(Path.Combine(credentials, "pgpass"), "*:*:*:*:unused\n", Ct);
        var fulcio = units.Single(u => u.Name == "fulcio");
        await File.WriteAllTextAsync(Path.Combine(etc, "softhsm2.conf"), deployment.Map(fulcio.Service, await File.ReadAllTextAsync(Repository.File("deploy", "systemd", "softhsm2.conf"), Ct)), Ct);
        await File.WriteAllTextAsync(Path.Combine(etc, "fulcio-config.yaml"), deployment.Map(fulcio.Service,
            "OIDCIssuers:\n  http://127.0.0.1:5556/:\n    IssuerURL: http://127.0.0.1:5556/\n    ClientID: sigstore\n    Type: email\n"), Ct);

        // The ceremony as documented: token, then `ca ceremony` as the CA's user with the unit's SoftHSM2 configuration.
        var fulcioEnv = deployment.Environment(fulcio.Service);
        Directory.CreateDirectory(Path.Combine(deployment.Volume("state"), "privatesigstore", "fulcio", "tokens"));
        var (initCode, initOutput) = await RequiredTool.RunAsync(softhsm, ["--init-token", "--free", "--label", "fulcio", "--pin", "4321-pin", "--so-pin", "8765-so"], etc, fulcioEnv, Ct);
        Assert.True(initCode == 0, initOutput);
        var (ceremonyCode, ceremonyOutput) = await RequiredTool.RunAsync("dotnet",
            [Repository.ServiceDll("Fulcio"), "ca", "ceremony", "--token-label", "fulcio", "--pin-file", Path.Combine(credentials, "fulcio-hsm-pin"), "--out", Path.Combine(etc, "fulcio-chain.pem")],
            etc, fulcioEnv, Ct);
        Assert.True(ceremonyCode == 0, ceremonyOutput);
        File.Copy(Path.Combine(etc, "fulcio-chain.root.pem"), Path.Combine(etc, "fulcio-root.pem"));

        var running = new List<ServiceProcess>();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            foreach (var unit in units)
            {
                // LoadCredential=ID:PATH — systemd copies PATH to %d/ID before the service starts.
                foreach (var (id, source) in unit.Credentials)
                {
                    var target = deployment.Map(unit.Service, $"/run/credentials/privatesigstore-{unit.Name}.service/{id}");
                    Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                    File.Copy(deployment.Map(unit.Service, source), target);
                }

                var process = deployment.Start(unit.Service);
                running.Add(process);
                await process.WaitReadyAsync(http, Ct);
            }

            var ca = running.Single(p => p.Name == "fulcio");
            Assert.Contains("(hardware-backed: True)", ca.Output, StringComparison.Ordinal);
            var ctlog = running.Single(p => p.Name == "ctlog");
            var roots = JsonNode.Parse(await http.GetStringAsync(new Uri(ctlog.BaseUrl, "/test/ct/v1/get-roots"), Ct))!;
            Assert.Single(roots["certificates"]!.AsArray());
            Assert.True(File.Exists(Path.Combine(deployment.Volume("state"), "privatesigstore", "rekor", $"index.db")), "Rekor did not keep its data in its StateDirectory");
        }
        finally
        {
            foreach (var process in running)
            {
                await process.DisposeAsync();
            }
        }
    }

    /// <summary>One unit file read as systemd would for these settings.</summary>
    private sealed record Unit(string Name, ComposeService Service, IReadOnlyList<(string Id, string Source)> Credentials)
    {
        public static Unit Load(string name)
        {
            var lines = File.ReadAllLines(Repository.File("deploy", "systemd", $"privatesigstore-{name}.service"))
                .Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
            string Expand(string v) => v.Replace("%S", "/var/lib", StringComparison.Ordinal).Replace("%d", $"/run/credentials/privatesigstore-{name}.service", StringComparison.Ordinal);
            var env = new Dictionary<string, string>();
            foreach (var line in lines.Where(l => l.StartsWith("Environment=", StringComparison.Ordinal)))
            {
                foreach (var assignment in line["Environment=".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    var eq = assignment.IndexOf('=', StringComparison.Ordinal);
                    env[assignment[..eq]] = Expand(assignment[(eq + 1)..]);
                }
            }

            var credentials = lines.Where(l => l.StartsWith("LoadCredential=", StringComparison.Ordinal))
                .Select(l => l["LoadCredential=".Length..].Split(':', 2)).Select(p => (p[0], p[1])).ToList();
            var exec = lines.Single(l => l.StartsWith("ExecStart=", StringComparison.Ordinal))["ExecStart=".Length..].Split(' ');
            Assert.Equal("/usr/bin/dotnet", exec[0]);
            var imageService = Path.GetFileNameWithoutExtension(exec[1])["PrivateSigstore.".Length..];
            var port = int.Parse(env["ASPNETCORE_URLS"].Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture);
            (string, string)[] mounts = [("state", "/var/lib"), ("credentials-" + name, $"/run/credentials/privatesigstore-{name}.service"), ("etc", "/etc/privatesigstore")];
            return new Unit(name, new ComposeService(name, imageService, null, env, mounts, [], port, []), credentials);
        }
    }
}
