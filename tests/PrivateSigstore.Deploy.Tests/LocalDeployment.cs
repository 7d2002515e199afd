using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text.RegularExpressions;
using Npgsql;

namespace PrivateSigstore.Deploy.Tests;

/// <summary>
/// docker-compose.yml brought onto this machine without containers: every named volume and secret becomes a directory or
/// file under a temporary root, compose host names (https://identity:5556) and the wildcard listen addresses become
/// 127.0.0.1 with free ports, and the PostgreSQL connection strings point at a test database (host, port and database
/// replaced; the role gets the test's prefix, so parallel tests on one server do not share roles; the search path and
/// everything else as written). Everything else in each service's environment is used exactly as the compose file has it.
/// </summary>
internal sealed partial class LocalDeployment : IDisposable
{
    private readonly Dictionary<string, int> _ports = [];

    public LocalDeployment(ComposeFile compose, string postgresConnectionString, string rolePrefix = "")
    {
        Compose = compose;
        PostgresConnectionString = postgresConnectionString;
        RolePrefix = rolePrefix;
        Root = Directory.CreateTempSubdirectory("psig-deploy-").FullName;
        foreach (var s in compose.Services.Values.Where(s => s.ContainerPort is not null))
        {
            _ports[s.Name] = FreePort();
        }

        Directory.CreateDirectory(Path.Combine(Root, "secrets"));
        // Every secret the services name, as deploy/compose/make-secrets.sh makes them (the test server trusts loopback,
        // so the database passwords are not checked; the roles' privileges are).
        // A role's pgpass holds the password its db_password_<role> secret sets (as make-secrets.sh writes them): the TLS
        // server the compose tests run (TlsPostgresServer) checks it with scram-sha-256.
        var token = Guid.NewGuid().ToString("N")[..12];
        foreach (var secret in compose.Services.Values.SelectMany(s => s.Secrets).Concat(["hsm_pin", "hsm_so_pin", "hsm_root_pin", "hsm_root_so_pin"]).Distinct())
        {
            File.WriteAllText(Secret(secret), secret.StartsWith("pgpass_", StringComparison.Ordinal)
                ? $"*:*:*:{rolePrefix}{secret["pgpass_".Length..]}:db_password_{secret["pgpass_".Length..]}-{token}\n"
                : secret + "-" + (secret.StartsWith("db_password_", StringComparison.Ordinal) ? token : Guid.NewGuid().ToString("N")[..12]));
        }

        Directory.CreateDirectory(Path.Combine(Root, "work"));
        File.WriteAllText(SoftHsmConfig, $"directories.tokendir = {Volume("softhsm-tokens")}\nobjectstore.backend = file\nlog.level = ERROR\n");
    }

    public ComposeFile Compose { get; }

    public string PostgresConnectionString { get; private set; }

    /// <summary>Points the deployment at a database created after the deployment (the TLS server needs keys-init's certificate).</summary>
    public void UseDatabase(string connectionString) => PostgresConnectionString = connectionString;

    /// <summary>Prepended to every PostgreSQL role name (the test database's <see cref="TestDatabase.RolePrefix"/>).</summary>
    public string RolePrefix { get; }

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

    /// <summary>Where the service listens on this machine (https when its compose listen address is https).</summary>
    public Uri BaseUrl(string service) => new($"{Compose.Services[service].Scheme}://127.0.0.1:{Port(service)}/");

    /// <summary>
    /// An HTTP client for the test's own requests that trusts exactly the CA certificate in <paramref name="caFile"/>
    /// (the internal TLS CA the ceremony made) and checks host names as any client does.
    /// </summary>
    public static HttpClient CreateHttpClient(string caFile)
    {
        var ca = X509CertificateLoader.LoadCertificateFromFile(caFile);
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
        {
            if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
            {
                return false;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(ca);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>The service's compose environment, mapped onto this machine.</summary>
    public Dictionary<string, string> Environment(ComposeService service)
    {
        var env = new Dictionary<string, string>();
        foreach (var (key, value) in service.Environment)
        {
            env[key] = key.EndsWith("__PostgresConnectionString", StringComparison.Ordinal) ? MapConnectionString(service, value) : Map(service, value);
        }

        if (service.Mounts.Any(m => m.Target == "/var/lib/softhsm/tokens"))
        {
            env["SOFTHSM2_CONF"] = SoftHsmConfig;
        }

        return env;
    }

    /// <summary>The compose connection string with the test server's host, port and database and the prefixed role.</summary>
    public string MapConnectionString(ComposeService service, string value)
    {
        var test = new NpgsqlConnectionStringBuilder(PostgresConnectionString);
        var mapped = new NpgsqlConnectionStringBuilder(Map(service, value)) { Host = test.Host, Port = test.Port, Database = test.Database };
        if (!string.IsNullOrEmpty(mapped.Username))
        {
            mapped.Username = RolePrefix + mapped.Username;
        }
        else
        {
            mapped.Username = test.Username;
        }

        return mapped.ConnectionString;
    }

    /// <summary>
    /// Runs the postgres service's role bootstrap (deploy/postgres/init-roles.sh, which the postgres image runs from
    /// /docker-entrypoint-initdb.d) with that service's environment against the test database, as the server's superuser.
    /// </summary>
    public async Task BootstrapDatabaseAsync(CancellationToken cancellationToken, string serviceName = "postgres")
    {
        RequiredTool.Command("psql", "postgresql-client-15"); // init-roles.sh runs psql, as the postgres image does
        var postgres = Compose.Services[serviceName];
        // A file (compose: ./deploy/postgres/init-roles.sh) or a directory (Kubernetes: ConfigMap postgres-init) mounted
        // under /docker-entrypoint-initdb.d; the image runs every *.sh there.
        var (source, _) = postgres.Mounts.Single(m => m.Target.StartsWith("/docker-entrypoint-initdb.d", StringComparison.Ordinal));
        var scripts = source.StartsWith("./", StringComparison.Ordinal)
            ? [Repository.File(source[2..])]
            : Directory.GetFiles(Volume(source), "*.sh").Order(StringComparer.Ordinal).ToArray();
        Assert.NotEmpty(scripts);
        var env = Environment(postgres);
        var test = new NpgsqlConnectionStringBuilder(PostgresConnectionString);
        env["PGHOST"] = test.Host!;
        env["PGPORT"] = test.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env["POSTGRES_USER"] = test.Username!;
        if (!string.IsNullOrEmpty(test.Password))
        {
            env["PGPASSWORD"] = test.Password;
        }

        if (test.SslMode == SslMode.VerifyFull)
        {
            env["PGSSLMODE"] = "verify-full";
            env["PGSSLROOTCERT"] = test.RootCertificate!;
        }
        env["POSTGRES_DB"] = test.Database!;
        env["PSIG_DB_ROLE_PREFIX"] = RolePrefix;
        foreach (var script in scripts)
        {
            var (code, output) = await RequiredTool.RunAsync("bash", [script], Path.Combine(Root, "work"), env, cancellationToken);
            Assert.True(code == 0, $"{script} failed ({code}):\n{output}");
        }
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

        if (service.Secrets.Count > 0)
        {
            map["/run/secrets"] = Path.Combine(Root, "secrets");
        }

        // A directory whose children are separate mounts (keys-init's /var/lib/privatesigstore/tls/<service> volumes):
        // a directory of links to those volumes, so a path naming the parent reaches them as in the container.
        foreach (var group in service.Mounts.Where(m => !m.Source.StartsWith("./", StringComparison.Ordinal))
            .GroupBy(m => Path.GetDirectoryName(m.Target)!).Where(g => g.Key != "/" && !map.ContainsKey(g.Key)))
        {
            var parent = Directory.CreateDirectory(Path.Combine(Root, "parents", service.Name, group.Key.TrimStart('/'))).FullName;
            foreach (var (source, target) in group)
            {
                var link = Path.Combine(parent, Path.GetFileName(target));
                if (!Path.Exists(link))
                {
                    File.CreateSymbolicLink(link, Volume(source));
                }
            }

            map[group.Key] = parent;
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

        return ServiceProcess.Start(service.Name, service.ImageService!, BaseUrl(service.Name), env, Path.Combine(Root, "work"), service.Command ?? []);
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
    /// In one pass (a mapped port is never mapped again): http(s)://&lt;service&gt;:&lt;port&gt; and 127.0.0.1:&lt;port&gt; of every
    /// service, and 0.0.0.0:&lt;port&gt; of <paramref name="own"/>, become 127.0.0.1 with the service's loopback port.
    /// </summary>
    private string MapUrls(string text, ComposeService? own = null)
    {
        var map = new Dictionary<string, string>();
        foreach (var other in Compose.Services.Values.Where(s => s.ContainerPort is not null))
        {
            map[$"http://{other.Name}:{other.ContainerPort}"] = $"http://127.0.0.1:{Port(other.Name)}";
            map[$"https://{other.Name}:{other.ContainerPort}"] = $"https://127.0.0.1:{Port(other.Name)}";
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
