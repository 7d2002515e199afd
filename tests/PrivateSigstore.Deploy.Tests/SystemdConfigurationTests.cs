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
    private static readonly string[] Units = ["identity", "ctlog", "fulcio", "rekor", "rekor-v2", "tsa"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_unit_starts_from_its_own_settings_and_gets_ready()
    {
        RequiredTool.Command("softhsm2-util", "softhsm2");
        RequiredTool.Command("openssl", "openssl");
        var units = Units.Select(name => Unit.Load(name)).ToList();
        using var deployment = new LocalDeployment(ComposeFile.Of(units.Select(u => u.Service)), "unused: the units name no database");
        string etc = deployment.Volume("etc");
        string credentials = Path.Combine(etc, "credentials");

        // What the operator runs (docs/operations.md, "systemd"): the SoftHSM2 configuration, then the documented
        // privatesigstore-keys.sh as root: tokens (root in its own directory), ceremony, log keys, internal TLS CA and the
        // units' certificates, PINs and database passwords in /etc/privatesigstore/credentials.
        var fulcio = units.Single(u => u.Name == "fulcio");
        await File.WriteAllTextAsync(Path.Combine(etc, "softhsm2.conf"), deployment.Map(fulcio.Service, await File.ReadAllTextAsync(Repository.File("deploy", "systemd", "softhsm2.conf"), Ct)), Ct);
        await File.WriteAllTextAsync(Path.Combine(etc, "fulcio-config.yaml"), deployment.Map(fulcio.Service,
            "OIDCIssuers:\n  https://127.0.0.1:5556/:\n    IssuerURL: https://127.0.0.1:5556/\n    ClientID: sigstore\n    Type: email\n"), Ct);
        var rootTokens = Path.Combine(deployment.Volume("offline"), "root-tokens");
        var keysEnv = new Dictionary<string, string>
        {
            ["PSIG_ETC"] = etc,
            ["PSIG_FULCIO_DLL"] = Repository.ServiceDll("Fulcio"),
            ["PSIG_TOKEN_OWNER"] = "", // the test is the CA's user
            ["PSIG_HSM_ROOT_TOKEN_DIR"] = rootTokens,
            ["SOFTHSM2_CONF"] = Path.Combine(etc, "softhsm2.conf"),
        };
        foreach (var run in new[] { 1, 2 }) // idempotent
        {
            var (keysCode, keysOutput) = await RequiredTool.RunAsync("bash", [Repository.File("deploy", "systemd", "privatesigstore-keys.sh")], etc, keysEnv, Ct);
            Assert.True(keysCode == 0, $"privatesigstore-keys.sh (run {run}) failed:\n{keysOutput}");
        }

        Assert.True(Directory.EnumerateFileSystemEntries(rootTokens).Any(), "no root token");
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(credentials));
        }
        Assert.StartsWith("*:*:*:rekor:", await File.ReadAllTextAsync(Path.Combine(credentials, "pgpass-rekor"), Ct), StringComparison.Ordinal);
        var internalCa = Path.Combine(etc, "ca", "internal-ca.pem");
        // PostgreSQL's server certificate from the internal CA, for ssl=on with deploy/postgres/pg_hba.conf.
        var pgCert = Path.Combine(credentials, "tls", "postgres", "tls.crt");
        Assert.True(File.Exists(pgCert) && File.Exists(Path.Combine(credentials, "tls", "postgres", "tls.key")), "no PostgreSQL TLS certificate");
        var (verifyCode, verifyOutput) = await RequiredTool.RunAsync("openssl", ["verify", "-CAfile", internalCa, "-verify_hostname", "localhost", pgCert], etc, null, Ct);
        Assert.True(verifyCode == 0, verifyOutput);
        foreach (var unit in new[] { "rekor", "rekor-v2" })
        {
            Assert.Contains("SSL Mode=VerifyFull;Root Certificate=/etc/privatesigstore/ca/internal-ca.pem",
                await File.ReadAllTextAsync(Repository.File("deploy", "systemd", $"privatesigstore-{unit}.service"), Ct), StringComparison.Ordinal);
        }


        var running = new List<ServiceProcess>();
        using var http = LocalDeployment.CreateHttpClient(internalCa);
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

            // Every unit serves HTTPS on loopback with its certificate from the internal CA; the CA reaches the CT log
            // over HTTPS (its readiness needs the log) and issuers only over HTTPS.
            Assert.All(running, p => Assert.Equal("https", p.BaseUrl.Scheme));
            Assert.Equal("false", fulcio.Service.Environment["Fulcio__AllowHttpIssuers"]);
            Assert.StartsWith("https://127.0.0.1:", fulcio.Service.Environment["Fulcio__CtLog__Url"], StringComparison.Ordinal);
            var ca = running.Single(p => p.Name == "fulcio");
            Assert.Contains("(hardware-backed: True)", ca.Output, StringComparison.Ordinal);
            var ctlog = running.Single(p => p.Name == "ctlog");
            var roots = JsonNode.Parse(await http.GetStringAsync(new Uri(ctlog.BaseUrl, "/test/ct/v1/get-roots"), Ct))!;
            Assert.Single(roots["certificates"]!.AsArray());
            Assert.True(File.Exists(Path.Combine(deployment.Volume("state"), "privatesigstore", "rekor", $"index.db")), "Rekor did not keep its data in its StateDirectory");
            Assert.True(File.Exists(Path.Combine(deployment.Volume("state"), "privatesigstore", "rekor-v2", "rekor-v2.db")), "Rekor v2 did not keep its log in its StateDirectory");
            // The TSA signs with the key the script made (a credential); its chain and root are public in /etc/privatesigstore/ca.
            await ComposeStackTests.AssertTimestampVerifiesAsync(http, running.Single(p => p.Name == "tsa").BaseUrl, Path.Combine(etc, "ca"), etc, Ct);

            // PostgreSQL over TLS as docs/operations.md ("systemd") sets it up: the server with the certificate the keys
            // script issued, the documented postgresql.conf lines and deploy/postgres/pg_hba.conf; the database and the
            // roles (init-roles.sh with the script's password files); then Rekor restarted with the site settings its unit
            // file documents, pointed at that server: it connects over TLS (VerifyFull, SCRAM, its pgpass credential).
            await using var server = await TlsPostgresServer.StartAsync(pgCert, Path.Combine(credentials, "tls", "postgres", "tls.key"),
                Repository.File("deploy", "postgres", "pg_hba.conf"), await DocumentedPostgresSettingsAsync(), internalCa, Ct);
            await using (var admin = new Npgsql.NpgsqlConnection(server.ConnectionString))
            {
                await admin.OpenAsync(Ct);
                await using var create = new Npgsql.NpgsqlCommand("CREATE DATABASE privatesigstore", admin);
                await create.ExecuteNonQueryAsync(Ct);
            }

            var superuser = new Npgsql.NpgsqlConnectionStringBuilder(server.ConnectionString);
            var (rolesCode, rolesOutput) = await RequiredTool.RunAsync("bash", [Repository.File("deploy", "postgres", "init-roles.sh")], etc, new Dictionary<string, string>
            {
                ["PGHOST"] = "localhost", ["PGPORT"] = superuser.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), ["PGPASSWORD"] = superuser.Password!,
                ["PGSSLMODE"] = "verify-full", ["PGSSLROOTCERT"] = internalCa,
                ["POSTGRES_DB"] = "privatesigstore", ["PSIG_DB_PASSWORD_DIR"] = Path.Combine(credentials, "db"), ["PSIG_DB_SERVICES"] = "identity ctlog rekor rekor_v2",
            }, Ct);
            Assert.True(rolesCode == 0, $"init-roles.sh failed:\n{rolesOutput}");

            var rekorUnit = units.Single(u => u.Name == "rekor");
            var unitText = await File.ReadAllTextAsync(Repository.File("deploy", "systemd", "privatesigstore-rekor.service"), Ct);
            var documented = System.Text.RegularExpressions.Regex.Match(unitText, @"Rekor__PostgresConnectionString=(Host=…;[^)]+)").Groups[1].Value;
            Assert.NotEmpty(documented);
            var connectionString = deployment.Map(rekorUnit.Service, documented.Replace("Host=…", $"Host=localhost;Port={superuser.Port}", StringComparison.Ordinal));
            var sqliteRekor = running.Single(p => p.Name == "rekor");
            await sqliteRekor.DisposeAsync();
            running.Remove(sqliteRekor);
            var pgRekor = deployment.Start(rekorUnit.Service, new Dictionary<string, string> { ["Rekor__Storage"] = "Postgres", ["Rekor__PostgresConnectionString"] = connectionString });
            running.Add(pgRekor);
            await pgRekor.WaitReadyAsync(http, Ct);
            await using (var admin = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = "privatesigstore" }.ConnectionString))
            {
                await admin.OpenAsync(Ct);
                await using var tables = new Npgsql.NpgsqlCommand("SELECT count(*) FROM pg_tables WHERE schemaname = 'rekor' AND tableowner = 'rekor'", admin);
                Assert.True((long)(await tables.ExecuteScalarAsync(Ct))! > 1, "Rekor made no tables in its schema");
                await using var ssl = new Npgsql.NpgsqlCommand("SELECT count(*) FROM pg_stat_ssl JOIN pg_stat_activity USING (pid) WHERE usename = 'rekor' AND ssl", admin);
                Assert.True((long)(await ssl.ExecuteScalarAsync(Ct))! >= 1, "Rekor's connections are not TLS");
            }
        }
        finally
        {
            foreach (var process in running)
            {
                await process.DisposeAsync();
            }
        }
    }

    /// <summary>The postgresql.conf lines docs/operations.md appends for the systemd set-up, as <c>name=value</c>.</summary>
    private static async Task<List<string>> DocumentedPostgresSettingsAsync()
    {
        var docs = await File.ReadAllLinesAsync(Repository.File("docs", "operations.md"), Ct);
        var start = Array.FindIndex(docs, l => l.StartsWith("cat >> /etc/postgresql/15/main/postgresql.conf <<'CONF'", StringComparison.Ordinal));
        Assert.True(start >= 0, "docs/operations.md no longer shows the postgresql.conf lines");
        var settings = docs.Skip(start + 1).TakeWhile(l => l != "CONF")
            .Select(l => l.Split('=', 2)).Select(p => $"{p[0].Trim()}={p[1].Trim().Trim('\'')}").ToList();
        Assert.Contains("ssl=on", settings);
        return settings;
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
            return new Unit(name, new ComposeService(name, imageService, null, env, mounts, [], port, [], Command: exec[2..]), credentials);
        }
    }
}
