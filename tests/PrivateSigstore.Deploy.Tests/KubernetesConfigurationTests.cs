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
        await using var db = await TestDatabase.CreateAsync(Ct);
        using var deployment = new LocalDeployment(ComposeFile.Of(services), db.ConnectionString);
        var fulcio = services.Single(s => s.ImageService == "Fulcio" && s.Entrypoint is null);

        // What the operator creates before applying (deploy/kubernetes/examples/secrets.yaml): Secrets and key ConfigMaps.
        await File.WriteAllTextAsync(Path.Combine(deployment.Volume("secret-fulcio-hsm"), "pin"), "4321-pin", Ct);
        await File.WriteAllTextAsync(Path.Combine(deployment.Volume("secret-fulcio-hsm"), "so-pin"), "8765-so-pin", Ct);
        await File.WriteAllTextAsync(Path.Combine(deployment.Volume("secret-privatesigstore-db"), "pgpass"), "*:*:*:*:unused\n", Ct);
        foreach (var key in new[] { "rekor-key", "ctlog-key", "identity-key" })
        {
            var (code, output) = await RequiredTool.RunAsync(openssl, ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", Path.Combine(deployment.Volume("secret-" + key), "key.pem")], deployment.Root, null, Ct);
            Assert.True(code == 0, output);
        }

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

        var running = new List<ServiceProcess>();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        try
        {
            foreach (var name in new[] { "identity", "ctlog", "fulcio", "rekor" })
            {
                var process = deployment.Start(services.Single(s => s.Name == $"{name}.{Namespace}"));
                running.Add(process);
                await process.WaitReadyAsync(http, Ct);
            }

            var ca = running.Single(p => p.Name.StartsWith("fulcio.", StringComparison.Ordinal));
            Assert.Contains("(hardware-backed: True)", ca.Output, StringComparison.Ordinal);
            var ctlog = running.Single(p => p.Name.StartsWith("ctlog.", StringComparison.Ordinal));
            var roots = JsonNode.Parse(await http.GetStringAsync(new Uri(ctlog.BaseUrl, "/test/ct/v1/get-roots"), Ct))!;
            Assert.Equal([Convert.ToBase64String(X509CertificateLoader.LoadCertificateFromFile(rootPem).RawData)], roots["certificates"]!.AsArray().Select(c => c!.GetValue<string>()));
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
            foreach (var o in _objects.Where(o => Text(o["kind"]) is "Deployment" or "Job"))
            {
                var name = Text(o["metadata"]["name"]);
                var pod = (YamlMappingNode)o["spec"]["template"]["spec"];
                var container = (YamlMappingNode)((YamlSequenceNode)pod["containers"])[0];
                var image = Text(container["image"]);
                if (!image.StartsWith("privatesigstore/", StringComparison.Ordinal))
                {
                    continue;
                }

                var imageService = image["privatesigstore/".Length..image.IndexOf(':', StringComparison.Ordinal)] switch
                {
                    "rekor" => "Rekor",
                    "ctlog" => "CtLog",
                    "fulcio" => "Fulcio",
                    "identity" => "Identity",
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
                var mounts = Children(container, "volumeMounts").Select(m => (volumes[Text(m["name"])], Text(m["mountPath"]))).ToList();
                var ports = Children(container, "ports").Select(p => int.Parse(Text(p["containerPort"]), System.Globalization.CultureInfo.InvariantCulture)).ToList();
                var entrypoint = container.Children.TryGetValue("command", out var command) ? ((YamlSequenceNode)command).Select(Text).ToList() : null;
                var serviceName = Text(o["kind"]) == "Deployment" ? $"{name}.{Namespace}" : name;
                services.Add(new ComposeService(serviceName, imageService, entrypoint, env, mounts, [], ports.Count > 0 ? ports[0] : null, []));
            }

            return services;
        }

        private static string VolumeSource(string workload, YamlMappingNode volume)
        {
            var c = volume.Children;
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
