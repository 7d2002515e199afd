using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace PrivateSigstore.Deploy.Tests;

/// <summary>
/// The Kubernetes manifests' configuration really starts: the ceremony Job's script and each Deployment's image
/// entrypoint run as plain processes with the environment of their ConfigMaps and the files of their volumes (Secrets,
/// ConfigMaps and the CA's PVC as temporary directories, Service DNS names as loopback ports, PostgreSQL a test database).
/// </summary>
public sealed class KubernetesConfigurationTests
{
    private const string Namespace = "privatesigstore.svc";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_Deployment_starts_from_its_ConfigMap_and_volumes_and_gets_ready()
    {
        RequiredTool.Command("softhsm2-util", "softhsm2");
        var openssl = RequiredTool.Command("openssl", "openssl");
        var manifests = Manifests.Load(Repository.File("deploy", "kubernetes"));
        var services = manifests.Services();
        using var deployment = new LocalDeployment(ComposeFile.Of(services), "");
        var fulcio = services.Single(s => s.ImageService == "Fulcio" && s.Entrypoint is null);

        // What the operator creates before applying (deploy/kubernetes/examples/secrets.yaml): Secrets and key ConfigMaps.
        await File.WriteAllTextAsync(Path.Combine(deployment.Volume("secret-fulcio-hsm"), "pin"), "4321-pin", Ct);
        await File.WriteAllTextAsync(Path.Combine(deployment.Volume("secret-fulcio-hsm"), "so-pin"), "8765-so-pin", Ct);
        await File.WriteAllTextAsync(Path.Combine(deployment.Volume("secret-fulcio-root-hsm"), "pin"), "4321-root-pin", Ct);
        await File.WriteAllTextAsync(Path.Combine(deployment.Volume("secret-fulcio-root-hsm"), "so-pin"), "8765-root-so-pin", Ct);
        var db = deployment.Volume("secret-privatesigstore-db");
        await File.WriteAllTextAsync(Path.Combine(db, "admin-password"), "unused-admin", Ct);
        foreach (var role in new[] { "identity", "ctlog", "rekor", "rekor_v2" })
        {
            await File.WriteAllTextAsync(Path.Combine(db, $"db_password_{role}"), "pw-" + role, Ct);
            await File.WriteAllTextAsync(Path.Combine(db, $"pgpass-{role}"), $"*:*:*:{role}:pw-{role}\n", Ct);
        }

        // Internal TLS as examples/secrets.yaml makes it: init-keys.sh's TLS step only, then Secrets <service>-tls (PostgreSQL's
        // too) and ConfigMap internal-ca.
        var tls = deployment.Volume("internal-tls");
        var (tlsCode, tlsOutput) = await RequiredTool.RunAsync("bash", [Repository.File("deploy", "docker", "init-keys.sh")], deployment.Root, new Dictionary<string, string>
        {
            ["PSIG_CEREMONY"] = "false", ["PSIG_LOG_KEYS"] = "false", ["PSIG_CA_DIR"] = tls, ["PSIG_TLS_CA_DIR"] = Path.Combine(tls, "ca"), ["PSIG_TLS_DIR"] = tls,
            ["PSIG_TLS_SERVICES"] = "identity ctlog fulcio rekor rekor-v2 tsa postgres", ["PSIG_TLS_DOMAIN_SUFFIXES"] = ".privatesigstore.svc .privatesigstore.svc.cluster.local",
        }, Ct);
        Assert.True(tlsCode == 0, tlsOutput);
        foreach (var name in new[] { "identity", "ctlog", "fulcio", "rekor", "rekor-v2", "tsa", "postgres" })
        {
            File.Copy(Path.Combine(tls, name, "tls.crt"), Path.Combine(deployment.Volume($"secret-{name}-tls"), "tls.crt"));
            File.Copy(Path.Combine(tls, name, "tls.key"), Path.Combine(deployment.Volume($"secret-{name}-tls"), "tls.key"));
        }

        var internalCa = Path.Combine(deployment.Volume("cm-internal-ca"), "internal-ca.pem");
        File.Copy(Path.Combine(tls, "internal-ca.pem"), internalCa);

        // The TSA's key and chain as examples/secrets.yaml makes them (init-keys.sh step 5), as Secret tsa-key.
        var tsa = deployment.Volume("tsa-material");
        var (tsaCode, tsaOutput) = await RequiredTool.RunAsync("bash", [Repository.File("deploy", "docker", "init-keys.sh")], deployment.Root, new Dictionary<string, string>
        {
            ["PSIG_CEREMONY"] = "false", ["PSIG_LOG_KEYS"] = "false", ["PSIG_CA_DIR"] = tsa, ["PSIG_TSA_KEY_DIR"] = tsa, ["PSIG_TSA_ROOT_DIR"] = Path.Combine(tsa, "root"),
        }, Ct);
        Assert.True(tsaCode == 0, tsaOutput);
        File.Copy(Path.Combine(tsa, "tsa-key.pem"), Path.Combine(deployment.Volume("secret-tsa-key"), "key.pem"));
        File.Copy(Path.Combine(tsa, "tsa-chain.pem"), Path.Combine(deployment.Volume("secret-tsa-key"), "chain.pem"));

        // PostgreSQL as the StatefulSet runs it: its args (ssl=on, Secret postgres-tls, ConfigMap postgres-hba made from
        // deploy/postgres/pg_hba.conf), and the roles from ConfigMap postgres-init (deploy/postgres/init-roles.sh).
        File.Copy(Repository.File("deploy", "postgres", "pg_hba.conf"), Path.Combine(deployment.Volume("cm-postgres-hba"), "pg_hba.conf"));
        await File.WriteAllTextAsync(Path.Combine(deployment.Volume("cm-postgres-init"), "10-privatesigstore-roles.sh"),
            await File.ReadAllTextAsync(Repository.File("deploy", "postgres", "init-roles.sh"), Ct), Ct);
        manifests.Project(deployment);
        await using var server = await TlsPostgresServer.StartAsync(deployment, internalCa, Ct);
        await using var db0 = await TestDatabase.CreateAsync(server.ConnectionString, Ct);
        deployment.UseDatabase(db0.ConnectionString);
        await deployment.BootstrapDatabaseAsync(Ct, "postgres");
        await ComposeStackTests.AssertPlainTcpIsRefusedAsync(deployment, Ct);

        foreach (var key in new[] { "rekor-key", "ctlog-key", "identity-key" })
        {
            var (code, output) = await RequiredTool.RunAsync(openssl, ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", Path.Combine(deployment.Volume("secret-" + key), "key.pem")], deployment.Root, null, Ct);
            Assert.True(code == 0, output);
        }

        var (edCode, edOutput) = await RequiredTool.RunAsync(openssl, ["genpkey", "-algorithm", "ed25519", "-out", Path.Combine(deployment.Volume("secret-rekor-v2-key"), "key.pem")], deployment.Root, null, Ct);
        Assert.True(edCode == 0, edOutput);
        var (pubCode, pubOutput) = await RequiredTool.RunAsync(openssl, ["pkey", "-in", Path.Combine(deployment.Volume("secret-ctlog-key"), "key.pem"), "-pubout", "-out", Path.Combine(deployment.Volume("cm-ctlog-public"), "ctlog-public.pem")], deployment.Root, null, Ct);
        Assert.True(pubCode == 0, pubOutput);
        foreach (var (name, data) in manifests.ConfigMapFiles)
        {
            foreach (var (file, text) in data)
            {
                await File.WriteAllTextAsync(Path.Combine(deployment.Volume("cm-" + name), file), deployment.Map(fulcio, text), Ct);
            }
        }

        // The ceremony Job, then ConfigMap fulcio-root from the root it wrote.
        await deployment.InitializeKeysAsync(Ct, "fulcio-ceremony");
        var rootPem = Path.Combine(deployment.Volume("pvc-fulcio-hsm"), "ca", "ca-chain.root.pem");
        File.Copy(rootPem, Path.Combine(deployment.Volume("cm-fulcio-root"), "root.pem"));
        Assert.True(Directory.EnumerateFileSystemEntries(Path.Combine(deployment.Volume("pvc-fulcio-hsm"), "tokens")).Any(), "the token is not on the PVC");
        Assert.True(Directory.EnumerateFileSystemEntries(Path.Combine(deployment.Volume("pvc-fulcio-root-hsm"), "tokens")).Any(), "the root token is not on its PVC");
        Assert.DoesNotContain(fulcio.Mounts, m => m.Source == "pvc-fulcio-root-hsm");

        var running = new List<ServiceProcess>();
        using var http = LocalDeployment.CreateHttpClient(internalCa);
        try
        {
            foreach (var name in new[] { "identity", "ctlog", "fulcio", "rekor", "rekor-v2", "tsa" })
            {
                var process = deployment.Start(services.Single(s => s.Name == $"{name}.{Namespace}"));
                running.Add(process);
                await process.WaitReadyAsync(http, Ct);
            }

            Assert.All(running, p => Assert.Equal("https", p.BaseUrl.Scheme));
            await ComposeStackTests.AssertLeastPrivilegeAsync(deployment, db0, Ct);
            var ca = running.Single(p => p.Name.StartsWith("fulcio.", StringComparison.Ordinal));
            Assert.Contains("(hardware-backed: True)", ca.Output, StringComparison.Ordinal);
            var ctlog = running.Single(p => p.Name.StartsWith("ctlog.", StringComparison.Ordinal));
            var roots = JsonNode.Parse(await http.GetStringAsync(new Uri(ctlog.BaseUrl, "/test/ct/v1/get-roots"), Ct))!;
            Assert.Equal([Convert.ToBase64String(X509CertificateLoader.LoadCertificateFromFile(rootPem).RawData)], roots["certificates"]!.AsArray().Select(c => c!.GetValue<string>()));
            await ComposeStackTests.AssertTimestampVerifiesAsync(http, running.Single(p => p.Name.StartsWith("tsa.", StringComparison.Ordinal)).BaseUrl, tsa, deployment.Root, Ct);
        }
        finally
        {
            foreach (var process in running)
            {
                await process.DisposeAsync();
            }
        }
    }

    /// <summary>The manifests of deploy/kubernetes read with YamlDotNet.</summary>
    private sealed class Manifests
    {
        private readonly List<YamlMappingNode> _objects = [];

        /// <summary>ConfigMap name → file name → text, for the ConfigMaps mounted as files (not the *-env ones).</summary>
        public Dictionary<string, Dictionary<string, string>> ConfigMapFiles { get; } = [];

        private Dictionary<string, Dictionary<string, string>> Environments { get; } = [];

        public static Manifests Load(string directory)
        {
            var manifests = new Manifests();
            foreach (var file in Directory.GetFiles(directory, "*.yaml").Order(StringComparer.Ordinal))
            {
                var yaml = new YamlStream();
                yaml.Load(new StringReader(File.ReadAllText(file)));
                foreach (var doc in yaml.Documents)
                {
                    var o = (YamlMappingNode)doc.RootNode;
                    manifests._objects.Add(o);
                    if (Text(o["kind"]) == "ConfigMap")
                    {
                        var name = Text(o["metadata"]["name"]);
                        var data = ((YamlMappingNode)o["data"]).ToDictionary(kv => Text(kv.Key), kv => Text(kv.Value));
                        (name.EndsWith("-env", StringComparison.Ordinal) ? manifests.Environments : manifests.ConfigMapFiles)[name] = data;
                    }
                }
            }

            return manifests;
        }

        /// <summary>Each Deployment (named by its Service's DNS name) and the ceremony Job, as a service to run.</summary>
        public List<ComposeService> Services()
        {
            var services = new List<ComposeService>();
            foreach (var o in _objects.Where(o => Text(o["kind"]) is "Deployment" or "Job" or "StatefulSet"))
            {
                var name = Text(o["metadata"]["name"]);
                var pod = (YamlMappingNode)o["spec"]["template"]["spec"];
                var container = (YamlMappingNode)((YamlSequenceNode)pod["containers"])[0];
                var image = Text(container["image"]);
                if (!image.StartsWith("privatesigstore/", StringComparison.Ordinal) && !image.StartsWith("postgres:", StringComparison.Ordinal))
                {
                    continue;
                }

                var imageService = image.StartsWith("postgres:", StringComparison.Ordinal) ? null : image["privatesigstore/".Length..image.IndexOf(':', StringComparison.Ordinal)] switch
                {
                    "rekor" => "Rekor",
                    "ctlog" => "CtLog",
                    "fulcio" => "Fulcio",
                    "identity" => "Identity",
                    "timestamp" => "Timestamp",
                    var other => throw new InvalidOperationException($"unknown image {other}"),
                };
                var env = new Dictionary<string, string>();
                foreach (var from in Children(container, "envFrom"))
                {
                    foreach (var (k, v) in Environments[Text(from["configMapRef"]["name"])])
                    {
                        env[k] = v;
                    }
                }

                foreach (var e in Children(container, "env"))
                {
                    env[Text(e["name"])] = Text(e["value"]);
                }

                var volumes = Children(pod, "volumes").ToDictionary(v => Text(v["name"]), v => VolumeSource(name, v));
                var mounts = Children(container, "volumeMounts").Select(m => (volumes.GetValueOrDefault(Text(m["name"]), $"pvc-{name}-{Text(m["name"])}"), Text(m["mountPath"]))).ToList(); // unlisted: a volumeClaimTemplate
                var ports = Children(container, "ports").Select(p => int.Parse(Text(p["containerPort"]), System.Globalization.CultureInfo.InvariantCulture)).ToList();
                var entrypoint = container.Children.TryGetValue("command", out var command) ? ((YamlSequenceNode)command).Select(Text).ToList() : null;
                var arguments = container.Children.TryGetValue("args", out var args) ? ((YamlSequenceNode)args).Select(Text).ToList() : null;
                var serviceName = Text(o["kind"]) == "Deployment" ? $"{name}.{Namespace}" : name;
                if (imageService is null)
                {
                    ports.Clear(); // PostgreSQL is the test server, not a mapped port
                }

                services.Add(new ComposeService(serviceName, imageService, entrypoint, env, mounts, [], ports.Count > 0 ? ports[0] : null, [], Command: arguments));
            }

            return services;
        }

        /// <summary>
        /// Volumes that mount chosen items of a Secret or ConfigMap (<c>items: key → path</c>): volume → (the whole
        /// object's volume, key → path). <see cref="Project"/> fills them once the test has written the objects.
        /// </summary>
        private Dictionary<string, (string Source, List<(string Key, string Path)> Items)> Projections { get; } = [];

        /// <summary>Copies each item of a Secret or ConfigMap to the path its volume's <c>items</c> gives, as the kubelet does.</summary>
        public void Project(LocalDeployment deployment)
        {
            foreach (var (volume, (source, items)) in Projections)
            {
                foreach (var (key, path) in items)
                {
                    File.Copy(Path.Combine(deployment.Volume(source), key), Path.Combine(deployment.Volume(volume), path), overwrite: true);
                }
            }
        }

        private string VolumeSource(string workload, YamlMappingNode volume)
        {
            var c = volume.Children;
            foreach (var (kind, prefix, nameKey) in new[] { ("secret", "secret-", "secretName"), ("configMap", "cm-", "name") })
            {
                if (c.TryGetValue(kind, out var o) && ((YamlMappingNode)o).Children.TryGetValue("items", out var items))
                {
                    var projected = $"items-{workload}-{Text(volume["name"])}";
                    Projections[projected] = (prefix + Text(o[nameKey]), [.. ((YamlSequenceNode)items).Select(i => (Text(i["key"]), Text(i["path"])))]);
                    return projected;
                }
            }

            if (c.TryGetValue("secret", out var secret)) return "secret-" + Text(secret["secretName"]);
            if (c.TryGetValue("configMap", out var cm)) return "cm-" + Text(cm["name"]);
            if (c.TryGetValue("persistentVolumeClaim", out var pvc)) return "pvc-" + Text(pvc["claimName"]);
            return $"empty-{workload}-{Text(volume["name"])}";
        }

        private static IEnumerable<YamlMappingNode> Children(YamlMappingNode node, string key) =>
            node.Children.TryGetValue(key, out var list) ? ((YamlSequenceNode)list).Cast<YamlMappingNode>() : [];

        private static string Text(YamlNode node) => ((YamlScalarNode)node).Value ?? "";
    }
}
