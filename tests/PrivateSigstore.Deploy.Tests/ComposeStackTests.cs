using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Deploy.Tests;

/// <summary>
/// docker-compose.yml's configuration really starts: the postgres service's role bootstrap, keys-init's script and each
/// service's image command run as plain processes with the compose environment (host names → 127.0.0.1, volumes →
/// temporary directories, PostgreSQL → a test database), every service gets ready on PostgreSQL as its own role in its
/// own schema, serves HTTPS with a certificate from the internal CA, reaches the others over HTTPS trusting only that CA
/// (SSL_CERT_FILE), and a workload token from Identity buys a certificate from Fulcio with an SCT from the CT log; the
/// CA's online token holds the intermediate but not the root.
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
        // keys-init first (it issues PostgreSQL's certificate), then postgres with TLS on, as docker-compose.yml orders them.
        using var deployment = new LocalDeployment(ComposeFile.Load(Repository.File("docker-compose.yml")), "");
        await deployment.InitializeKeysAsync(Ct);
        // keys-init is idempotent: a second run keeps the token, chain and keys.
        var chain = await File.ReadAllTextAsync(Path.Combine(deployment.Volume("ca-public"), "ca-chain.pem"), Ct);
        await deployment.InitializeKeysAsync(Ct);
        Assert.Equal(chain, await File.ReadAllTextAsync(Path.Combine(deployment.Volume("ca-public"), "ca-chain.pem"), Ct));
        await using var server = await TlsPostgresServer.StartAsync(deployment, Path.Combine(deployment.Volume("ca-public"), "internal-ca.pem"), Ct);
        await using var db = await TestDatabase.CreateAsync(server.ConnectionString, Ct);
        deployment.UseDatabase(db.ConnectionString);
        await deployment.BootstrapDatabaseAsync(Ct);
        await deployment.BootstrapDatabaseAsync(Ct); // idempotent
        await AssertPlainTcpIsRefusedAsync(deployment, Ct);

        // The root key is in the root token only, on a volume no running service mounts; the online token Fulcio mounts
        // holds the intermediate only.
        var services = deployment.Compose.ApplicationServices();
        Assert.Equal(["ctlog", "fulcio", "identity", "rekor", "rekor-v2", "tsa"], services.Select(s => s.Name).Order(StringComparer.Ordinal));
        Assert.All(services, s => Assert.DoesNotContain(s.Mounts, m => m.Source is "softhsm-root-tokens" or "internal-ca"));
        Assert.True(TokenHolds(deployment.Volume("softhsm-tokens"), "privatesigstore-intermediate"), "the intermediate is not in the online token");
        Assert.False(TokenHolds(deployment.Volume("softhsm-tokens"), "privatesigstore-root"), "the root key is in the token Fulcio mounts");
        Assert.True(TokenHolds(deployment.Volume("softhsm-root-tokens"), "privatesigstore-root"), "the root is not in the root token");
        Assert.False(TokenHolds(deployment.Volume("softhsm-root-tokens"), "privatesigstore-intermediate"));

        var internalCa = Path.Combine(deployment.Volume("ca-public"), "internal-ca.pem");
        var running = new List<ServiceProcess>();
        using var http = LocalDeployment.CreateHttpClient(internalCa);
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

            // Every service answers over HTTPS with a server certificate from the internal CA naming it, and not over HTTP.
            foreach (var process in running)
            {
                Assert.Equal("https", process.BaseUrl.Scheme);
                var presented = await ServerCertificateAsync(process.BaseUrl, internalCa);
                var names = presented.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames().ToList();
                Assert.Contains(process.Name, names);
                using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
                await Assert.ThrowsAnyAsync<HttpRequestException>(() => plain.GetAsync(new UriBuilder(process.BaseUrl) { Scheme = "http" }.Uri, Ct));
            }

            // Rekor v2 serves its signed checkpoint (origin from the compose file) over HTTPS.
            var rekorV2 = running.Single(p => p.Name == "rekor-v2");
            var checkpoint = await http.GetStringAsync(new Uri(rekorV2.BaseUrl, "/api/v2/checkpoint"), Ct);
            Assert.StartsWith(deployment.Compose.Services["rekor-v2"].Environment["RekorV2__Origin"] + "\n", checkpoint, StringComparison.Ordinal);

            // The TSA answers an RFC 3161 request over HTTPS with a token OpenSSL verifies against the root keys-init wrote
            // for the trusted root (ca-public/tsa-chain.root.pem), signed by the key keys-init made.
            await AssertTimestampVerifiesAsync(http, running.Single(p => p.Name == "tsa").BaseUrl, deployment.Volume("ca-public"), deployment.Root, Ct);

            // The services connected as their own roles, and each role's tables (EF's migration history included) are in
            // its own schema: none in public, and no role reads another's schema or creates objects in public.
            await AssertLeastPrivilegeAsync(deployment, db, Ct);

            // The image's HEALTHCHECK script answers from each running service over TLS, checking the certificate against
            // the internal CA (and fails for a path that is not 200).
            foreach (var process in running)
            {
                var env = new Dictionary<string, string>
                {
                    ["PSIG_HEALTH_PORT"] = process.BaseUrl.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["ASPNETCORE_URLS"] = "https://0.0.0.0:1",
                    ["SSL_CERT_FILE"] = internalCa,
                };
                var (ok, okOutput) = await RequiredTool.RunAsync("bash", [Repository.File("deploy", "docker", "healthcheck.sh"), "/healthz"], deployment.Root, env, Ct);
                Assert.True(ok == 0, $"healthcheck.sh /healthz failed for {process.Name}: {okOutput}");
                var (missing, _) = await RequiredTool.RunAsync("bash", [Repository.File("deploy", "docker", "healthcheck.sh"), "/no-such-path"], deployment.Root, env, Ct);
                Assert.Equal(1, missing);
                var (untrusted, _) = await RequiredTool.RunAsync("bash", [Repository.File("deploy", "docker", "healthcheck.sh"), "/healthz"], deployment.Root,
                    new Dictionary<string, string>(env) { ["SSL_CERT_FILE"] = Path.Combine(deployment.Volume("ca-public"), "ca-chain.root.pem") }, Ct);
                Assert.Equal(1, untrusted);
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
            var trust = new Dictionary<string, string> { ["SSL_CERT_FILE"] = internalCa };
            await PsigAsync(work, trust, "trusted-root", "--rekor-url", rekor.BaseUrl.AbsoluteUri, "--fulcio-url", fulcio.BaseUrl.AbsoluteUri,
                "--ctlog-public-key", Path.Combine(deployment.Volume("ca-public"), "ctlog-public.pem"), "--out", trustedRoot);
            var blob = Path.Combine(work, "release.tar");
            await File.WriteAllTextAsync(blob, "release artifact", Ct);
            await PsigAsync(work, new Dictionary<string, string>(trust) { ["PSIG_OIDC_CLIENT_SECRET"] = secret }, "sign-blob", blob, "--bundle", blob + ".sigstore.json",
                "--oidc-issuer", identity.BaseUrl.AbsoluteUri, "--oidc-client-id", "release-builder", "--fulcio-url", fulcio.BaseUrl.AbsoluteUri, "--rekor-url", rekor.BaseUrl.AbsoluteUri);
            string[] verify = ["verify-blob", blob, "--bundle", blob + ".sigstore.json", "--certificate-identity", "builder@example.com",
                "--certificate-oidc-issuer", identity.BaseUrl.AbsoluteUri, "--trusted-root", trustedRoot];
            await PsigAsync(work, trust, verify);
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
    /// <summary>
    /// Whether any object file under a SoftHSM2 token directory carries <paramref name="label"/>: SoftHSM2's file store
    /// keeps an object's public attributes (CKA_LABEL among them) in clear, so the label of every key and certificate the
    /// ceremony stored in a token is found in that token's files and in no other token's.
    /// </summary>
    private static bool TokenHolds(string tokenDirectory, string label)
    {
        var needle = System.Text.Encoding.UTF8.GetBytes(label);
        return Directory.EnumerateFiles(tokenDirectory, "*.object", SearchOption.AllDirectories)
            .Any(f => File.ReadAllBytes(f).AsSpan().IndexOf(needle) >= 0);
    }

    /// <summary>The certificate a TLS server presents for the name localhost, which must chain to <paramref name="caFile"/> alone.</summary>
    private static async Task<X509Certificate2> ServerCertificateAsync(Uri url, string caFile)
    {
        var ca = X509CertificateLoader.LoadCertificateFromFile(caFile);
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(url.Host, url.Port, Ct);
        await using var ssl = new System.Net.Security.SslStream(tcp.GetStream(), false);
        await ssl.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                CustomTrustStore = { ca },
                RevocationMode = X509RevocationMode.NoCheck,
            },
        }, Ct);
        return X509CertificateLoader.LoadCertificate(ssl.RemoteCertificate!.GetRawCertData());
    }

    /// <summary>PostgreSQL speaks TLS only: a service role with the right password but without TLS is refused by pg_hba.</summary>
    /// <summary>
    /// Asks the TSA at <paramref name="tsa"/> for a timestamp (an <c>openssl ts -query</c> request) and verifies the reply
    /// with <c>openssl ts -verify</c> against <c>tsa-chain.root.pem</c> and <c>tsa-chain.pem</c> in <paramref name="publicDirectory"/>.
    /// </summary>
    internal static async Task AssertTimestampVerifiesAsync(HttpClient http, Uri tsa, string publicDirectory, string work, CancellationToken ct)
    {
        var dir = Directory.CreateTempSubdirectory("psig-tsa-").FullName;
        var data = Path.Combine(dir, "artifact");
        await File.WriteAllTextAsync(data, "timestamped by the deployment test\n", ct);
        var (q, qOut) = await RequiredTool.RunAsync("openssl", ["ts", "-query", "-data", data, "-sha256", "-cert", "-out", Path.Combine(dir, "request.tsq")], work, null, ct);
        Assert.True(q == 0, qOut);
        using var content = new ByteArrayContent(await File.ReadAllBytesAsync(Path.Combine(dir, "request.tsq"), ct));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/timestamp-query");
        using var response = await http.PostAsync(new Uri(tsa, "/api/v1/timestamp"), content, ct);
        Assert.True(response.IsSuccessStatusCode, $"TSA: HTTP {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
        await File.WriteAllBytesAsync(Path.Combine(dir, "reply.tsr"), await response.Content.ReadAsByteArrayAsync(ct), ct);
        var (v, vOut) = await RequiredTool.RunAsync("openssl", ["ts", "-verify", "-in", Path.Combine(dir, "reply.tsr"), "-data", data,
            "-CAfile", Path.Combine(publicDirectory, "tsa-chain.root.pem"), "-untrusted", Path.Combine(publicDirectory, "tsa-chain.pem")], work, null, ct);
        Assert.True(v == 0 && vOut.Contains("Verification: OK", StringComparison.Ordinal), vOut);
        Directory.Delete(dir, recursive: true);
    }

    internal static async Task AssertPlainTcpIsRefusedAsync(LocalDeployment deployment, CancellationToken ct)
    {
        foreach (var service in deployment.Compose.ApplicationServices())
        {
            foreach (var (_, value) in service.Environment.Where(e => e.Key.EndsWith("__PostgresConnectionString", StringComparison.Ordinal)))
            {
                var mapped = new Npgsql.NpgsqlConnectionStringBuilder(deployment.MapConnectionString(service, value)) { Pooling = false };
                Assert.Equal(Npgsql.SslMode.VerifyFull, mapped.SslMode);
                await using (var tls = new Npgsql.NpgsqlConnection(mapped.ConnectionString))
                {
                    await tls.OpenAsync(ct); // its own connection string: TLS, the server certificate verified, SCRAM
                }

                mapped.SslMode = Npgsql.SslMode.Disable;
                await using var plain = new Npgsql.NpgsqlConnection(mapped.ConnectionString);
                var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => plain.OpenAsync(ct));
                Assert.Equal("28000", refused.SqlState); // invalid_authorization_specification: pg_hba "hostnossl ... reject"
            }
        }
    }

    /// <summary>Each service role owns exactly its schema's tables; nothing is in public; roles are confined.</summary>
    internal static async Task AssertLeastPrivilegeAsync(LocalDeployment deployment, TestDatabase db, CancellationToken ct)
    {
        var roles = deployment.Compose.Services.Values
            .SelectMany(s => s.Environment.Where(e => e.Key.EndsWith("__PostgresConnectionString", StringComparison.Ordinal))
                .Select(e => new Npgsql.NpgsqlConnectionStringBuilder(e.Value)))
            .ToList();
        Assert.Equal(roles.Count, roles.Select(r => r.Username).Distinct().Count());
        await using var admin = new Npgsql.NpgsqlConnection(db.ConnectionString);
        await admin.OpenAsync(ct);
        var tables = new List<(string Schema, string Table, string Owner)>();
        await using (var list = new Npgsql.NpgsqlCommand("SELECT schemaname, tablename, tableowner FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')", admin))
        await using (var reader = await list.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                tables.Add((reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            }
        }

        Assert.DoesNotContain(tables, t => t.Schema == "public");
        foreach (var role in roles)
        {
            var schema = role.SearchPath!;
            Assert.Equal(role.Username, schema); // the convention: role identity owns schema identity
            var own = tables.Where(t => t.Schema == schema).ToList();
            Assert.Contains(own, t => t.Table == "__EFMigrationsHistory");
            Assert.All(own, t => Assert.Equal(deployment.RolePrefix + role.Username, t.Owner));
        }

        foreach (var role in roles)
        {
            var other = roles.First(r => r.Username != role.Username);
            var otherTable = tables.First(t => t.Schema == other.SearchPath && t.Table != "__EFMigrationsHistory");
            var cs = new Npgsql.NpgsqlConnectionStringBuilder(db.ConnectionString) { Username = deployment.RolePrefix + role.Username, SearchPath = role.SearchPath, Pooling = false, Password = null };
            // The role's own password file, where its service reads it (compose: secret pgpass_<role>; Kubernetes: its item
            // of Secret privatesigstore-db).
            var passfile = deployment.Compose.Services.Values
                .SelectMany(s => s.Environment.Where(e => e.Key.EndsWith("__PostgresConnectionString", StringComparison.Ordinal))
                    .Select(e => new Npgsql.NpgsqlConnectionStringBuilder(deployment.MapConnectionString(s, e.Value))))
                .Where(m => m.Username == deployment.RolePrefix + role.Username).Select(m => m.Passfile).FirstOrDefault(File.Exists);
            if (passfile is not null)
            {
                cs.Passfile = passfile;
            }

            await using var conn = new Npgsql.NpgsqlConnection(cs.ConnectionString);
            await conn.OpenAsync(ct);
            await using (var read = new Npgsql.NpgsqlCommand($"SELECT count(*) FROM \"{otherTable.Schema}\".\"{otherTable.Table}\"", conn))
            {
                var denied = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => read.ExecuteScalarAsync(ct));
                Assert.Equal("42501", denied.SqlState); // insufficient_privilege
            }

            await using (var create = new Npgsql.NpgsqlCommand("CREATE TABLE public.psig_probe (x int)", conn))
            {
                var denied = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => create.ExecuteNonQueryAsync(ct));
                Assert.Equal("42501", denied.SqlState);
            }
        }
    }
}
