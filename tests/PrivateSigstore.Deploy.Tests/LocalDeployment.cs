using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace PrivateSigstore.Deploy.Tests;

/// <summary>
/// docker-compose.yml brought onto this machine without containers: every named volume and secret becomes a directory or
/// file under a temporary root, compose host names (http://identity:5556) and the wildcard listen addresses become
/// 127.0.0.1 with free ports, and the PostgreSQL connection strings point at a test database. Everything else in each
/// service's environment is used exactly as the compose file has it.
/// </summary>
internal sealed partial class LocalDeployment : IDisposable
{
    private readonly Dictionary<string, int> _ports = [];

    public LocalDeployment(ComposeFile compose, string postgresConnectionString)
    {
        Compose = compose;
        PostgresConnectionString = postgresConnectionString;
        Root = Directory.CreateTempSubdirectory("psig-deploy-").FullName;
        foreach (var s in compose.Services.Values.Where(s => s.ContainerPort is not null))
        {
            _ports[s.Name] = FreePort();
        }

        Directory.CreateDirectory(Path.Combine(Root, "secrets"));
        File.WriteAllText(Secret("hsm_pin"), "4321-" + Guid.NewGuid().ToString("N")[..8]);
        File.WriteAllText(Secret("hsm_so_pin"), "8765-" + Guid.NewGuid().ToString("N")[..8]);
        File.WriteAllText(Secret("db_password"), "unused-the-test-server-trusts-loopback");
        File.WriteAllText(Secret("pgpass"), "*:*:*:*:unused\n");
        Directory.CreateDirectory(Path.Combine(Root, "work"));
        File.WriteAllText(SoftHsmConfig, $"directories.tokendir = {Volume("softhsm-tokens")}\nobjectstore.backend = file\nlog.level = ERROR\n");
    }

    public ComposeFile Compose { get; }

    public string PostgresConnectionString { get; }

    /// <summary>The temporary root holding volumes/, secrets/, config/ and work/.</summary>
    public string Root { get; }

    /// <summary>SoftHSM2's configuration for the token volume (the image's /etc/softhsm/softhsm2.conf points at the volume).</summary>
    public string SoftHsmConfig => Path.Combine(Root, "softhsm2.conf");

    /// <summary>The host directory of a named volume (created).</summary>
    public string Volume(string name) => Directory.CreateDirectory(Path.Combine(Root, "volumes", name)).FullName;

    /// <summary>The host file of a secret.</summary>
    public string Secret(string name) => Path.Combine(Root, "secrets", name);

    /// <summary>The loopback port a service's published port is mapped to.</summary>
    public int Port(string service) => _ports[service];

    /// <summary>Gives <paramref name="service"/> another port (a second instance of it).</summary>
    public void Reassign(string service) => _ports[service] = FreePort();

    /// <summary>Where the service listens on this machine.</summary>
    public Uri BaseUrl(string service) => new($"http://127.0.0.1:{Port(service)}/");

    /// <summary>The service's compose environment, mapped onto this machine.</summary>
    public Dictionary<string, string> Environment(ComposeService service)
    {
        var env = new Dictionary<string, string>();
        foreach (var (key, value) in service.Environment)
        {
            env[key] = key.EndsWith("__PostgresConnectionString", StringComparison.Ordinal) ? PostgresConnectionString : Map(service, value);
        }

        if (service.Mounts.Any(m => m.Target == "/var/lib/softhsm/tokens"))
        {
            env["SOFTHSM2_CONF"] = SoftHsmConfig;
        }

        return env;
    }

    /// <summary>One value mapped: compose URLs and listen addresses to loopback ports, container paths to host paths.</summary>
    public string Map(ComposeService service, string value)
    {
        value = MapUrls(value, service);
        // One pass, longest container path first, whole path components only: a mapped host path is never mapped again.
        var mounts = Mounts(service);
        if (mounts.Count == 0)
        {
            return value;
        }

        var pattern = "(?<![\\w./-])(" + string.Join("|", mounts.Keys.OrderByDescending(k => k.Length).Select(Regex.Escape)) + ")(?=/|;|$|\\s)";
        return Regex.Replace(value, pattern, m => mounts[m.Groups[1].Value]);
    }

    /// <summary>Container path → host path for the service's volumes, bind mounts (copied, with URLs mapped) and secrets.</summary>
    public Dictionary<string, string> Mounts(ComposeService service)
    {
        var map = new Dictionary<string, string>();
        foreach (var (source, target) in service.Mounts)
        {
            if (source.StartsWith("./", StringComparison.Ordinal))
            {
                // A mounted configuration file: the same text with compose host names mapped to loopback.
                var copy = Path.Combine(Directory.CreateDirectory(Path.Combine(Root, "config", service.Name)).FullName, Path.GetFileName(source));
                File.WriteAllText(copy, MapUrls(File.ReadAllText(Repository.File(source[2..]))));
                map[target] = copy;
            }
            else
            {
                map[target] = Volume(source);
            }
        }

        foreach (var secret in service.Secrets)
        {
            map[$"/run/secrets/{secret}"] = Secret(secret);
        }

        return map;
    }

    /// <summary>Runs the key initialisation service's script (deploy/docker/init-keys.sh) with its environment.</summary>
    public async Task InitializeKeysAsync(CancellationToken cancellationToken, string serviceName = "keys-init")
    {
        var init = Compose.Services[serviceName];
        Assert.Equal(["/usr/local/bin/init-keys.sh"], init.Entrypoint);
        var env = Environment(init);
        env["PSIG_FULCIO_DLL"] = Repository.ServiceDll(init.ImageService!); // /app/PrivateSigstore.Fulcio.dll in the image
        var (code, output) = await RequiredTool.RunAsync("bash", [Repository.File("deploy", "docker", "init-keys.sh")], Path.Combine(Root, "work"), env, cancellationToken);
        Assert.True(code == 0, $"init-keys.sh failed ({code}):\n{output}");
    }

    /// <summary>Starts a service's image entrypoint (dotnet PrivateSigstore.X.dll) with its mapped environment.</summary>
    public ServiceProcess Start(ComposeService service, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var env = Environment(service);
        foreach (var (k, v) in overrides ?? new Dictionary<string, string>())
        {
            env[k] = v;
        }

        return ServiceProcess.Start(service.Name, service.ImageService!, BaseUrl(service.Name), env, Path.Combine(Root, "work"));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A child still closing a file: the temporary directory is left behind.
        }
    }

    /// <summary>
    /// In one pass (a mapped port is never mapped again): http://&lt;service&gt;:&lt;port&gt; and 127.0.0.1:&lt;port&gt; of every
    /// service, and 0.0.0.0:&lt;port&gt; of <paramref name="own"/>, become 127.0.0.1 with the service's loopback port.
    /// </summary>
    private string MapUrls(string text, ComposeService? own = null)
    {
        var map = new Dictionary<string, string>();
        foreach (var other in Compose.Services.Values.Where(s => s.ContainerPort is not null))
        {
            map[$"http://{other.Name}:{other.ContainerPort}"] = $"http://127.0.0.1:{Port(other.Name)}";
            map[$"127.0.0.1:{other.ContainerPort}"] = $"127.0.0.1:{Port(other.Name)}";
        }

        if (own?.ContainerPort is { } port)
        {
            map[$"0.0.0.0:{port}"] = $"127.0.0.1:{Port(own.Name)}";
        }

        var pattern = "(" + string.Join("|", map.Keys.OrderByDescending(k => k.Length).Select(Regex.Escape)) + ")(?!\\d)";
        return map.Count == 0 ? text : Regex.Replace(text, pattern, m => map[m.Groups[1].Value]);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
