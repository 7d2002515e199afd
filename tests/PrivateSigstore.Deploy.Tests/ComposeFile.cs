using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace PrivateSigstore.Deploy.Tests;

/// <summary>One service of docker-compose.yml, as far as running its command as a plain process needs it.</summary>
/// <param name="Name">The compose service name (also its host name on the compose network).</param>
/// <param name="ImageService">The image's SERVICE build argument (Rekor, CtLog, Fulcio, Identity), or null (not our image).</param>
/// <param name="Entrypoint">The entrypoint override, or null for the image's (dotnet PrivateSigstore.&lt;ImageService&gt;.dll).</param>
/// <param name="Environment">The environment, with ${VAR:-default} interpolated to the defaults.</param>
/// <param name="Mounts">Volume and bind mounts: source (a volume name, or a path starting with ./) and the container path.</param>
/// <param name="Secrets">The secrets it gets under /run/secrets/.</param>
/// <param name="ContainerPort">The container port it publishes, or null.</param>
/// <param name="DependsOn">The services it starts after.</param>
/// <param name="Ports">The published ports as written ([host address:]host port:container port), if any.</param>
internal sealed record ComposeService(
    string Name,
    string? ImageService,
    IReadOnlyList<string>? Entrypoint,
    IReadOnlyDictionary<string, string> Environment,
    IReadOnlyList<(string Source, string Target)> Mounts,
    IReadOnlyList<string> Secrets,
    int? ContainerPort,
    IReadOnlyList<string> DependsOn,
    IReadOnlyList<string>? Ports = null,
    IReadOnlyList<string>? Command = null)
{
    /// <summary>The URL scheme it serves: https when its listen address (ASPNETCORE_URLS) is https.</summary>
    public string Scheme => Environment.TryGetValue("ASPNETCORE_URLS", out var urls) && urls.StartsWith("https://", StringComparison.Ordinal) ? "https" : "http";
}

/// <summary>docker-compose.yml read with YamlDotNet.</summary>
internal sealed partial class ComposeFile
{
    private ComposeFile(IReadOnlyDictionary<string, ComposeService> services) => Services = services;

    /// <summary>Services described some other way (the Kubernetes manifests), run the same way.</summary>
    public static ComposeFile Of(IEnumerable<ComposeService> services) => new(services.ToDictionary(s => s.Name));

    /// <summary>The services by name.</summary>
    public IReadOnlyDictionary<string, ComposeService> Services { get; }

    /// <summary>The services built from our image that run the service itself (no entrypoint override), in start order.</summary>
    public IReadOnlyList<ComposeService> ApplicationServices()
    {
        var ordered = new List<ComposeService>();
        void Visit(ComposeService s)
        {
            if (ordered.Contains(s))
            {
                return;
            }

            foreach (var d in s.DependsOn)
            {
                Visit(Services[d]);
            }

            ordered.Add(s);
        }

        foreach (var s in Services.Values)
        {
            Visit(s);
        }

        return [.. ordered.Where(s => s.ImageService is not null && s.Entrypoint is null)];
    }

    /// <summary>Reads the file.</summary>
    public static ComposeFile Load(string path)
    {
        var yaml = new YamlStream();
        using (var reader = File.OpenText(path))
        {
            yaml.Load(reader);
        }

        var root = (YamlMappingNode)yaml.Documents[0].RootNode;
        var services = new Dictionary<string, ComposeService>();
        foreach (var (key, value) in (YamlMappingNode)root["services"])
        {
            var s = (YamlMappingNode)value;
            string name = Scalar(key);
            string? imageService = s.Children.TryGetValue("build", out var build) && build is YamlMappingNode b
                && b.Children.TryGetValue("args", out var args) && ((YamlMappingNode)args).Children.TryGetValue("SERVICE", out var svc)
                ? Scalar(svc) : null;
            var entrypoint = s.Children.TryGetValue("entrypoint", out var ep) ? ((YamlSequenceNode)ep).Select(Scalar).ToList() : null;
            var environment = s.Children.TryGetValue("environment", out var env)
                ? ((YamlMappingNode)env).ToDictionary(kv => Scalar(kv.Key), kv => Interpolate(Scalar(kv.Value)))
                : [];
            var mounts = s.Children.TryGetValue("volumes", out var vols)
                ? ((YamlSequenceNode)vols).Select(v => Scalar(v).Split(':')).Select(p => (p[0], p[1])).ToList()
                : [];
            var secrets = s.Children.TryGetValue("secrets", out var sec) ? ((YamlSequenceNode)sec).Select(Scalar).ToList() : [];
            var command = s.Children.TryGetValue("command", out var cmd) ? ((YamlSequenceNode)cmd).Select(Scalar).ToList() : null;
            var published = s.Children.TryGetValue("ports", out var ports) ? ((YamlSequenceNode)ports).Select(Scalar).ToList() : null;
            int? port = published is { Count: > 0 } ? int.Parse(published[0].Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture) : null;
            var dependsOn = s.Children.TryGetValue("depends_on", out var dep) ? ((YamlMappingNode)dep).Children.Keys.Select(Scalar).ToList() : [];
            services[name] = new ComposeService(name, imageService, entrypoint, environment, mounts, secrets, port, dependsOn, published, command);
        }

        return new ComposeFile(services);
    }

    /// <summary>Compose interpolation with nothing set in the environment: ${VAR:-default} → default.</summary>
    public static string Interpolate(string value) => Variable().Replace(value, m => m.Groups["default"].Value);

    private static string Scalar(YamlNode node) => ((YamlScalarNode)node).Value ?? "";

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(:?-(?<default>[^}]*))?\}")]
    private static partial Regex Variable();
}
