using System.Security.Cryptography;
using Npgsql;

namespace PrivateSigstore.Deploy.Tests;

/// <summary>
/// A private PostgreSQL 15 server run as the compose postgres service or the Kubernetes postgres StatefulSet runs it:
/// ssl=on with the server certificate from the internal CA (compose: volume postgres-tls from keys-init; Kubernetes:
/// Secret postgres-tls), deploy/postgres/pg_hba.conf as hba_file (hostssl + scram-sha-256 only), a superuser password.
/// Stopped and deleted on dispose.
/// </summary>
internal sealed class TlsPostgresServer : IAsyncDisposable
{
    private readonly string _dir;
    private readonly string[] _runAs;
    private readonly string _bin;

    private TlsPostgresServer(string dir, string[] runAs, string bin, string connectionString)
    {
        _dir = dir;
        _runAs = runAs;
        _bin = bin;
        ConnectionString = connectionString;
    }

    /// <summary>The superuser's connection (TLS, verify-full against the internal CA) to database postgres.</summary>
    public string ConnectionString { get; }

    /// <summary>
    /// Starts the deployment's postgres service (compose service or Kubernetes StatefulSet "postgres") as it is configured:
    /// its <c>-c</c> settings, with the certificate, key and hba file read from the files its mounts hold.
    /// <paramref name="rootCertificate"/> is the internal CA the superuser's connection verifies the server with.
    /// </summary>
    public static async Task<TlsPostgresServer> StartAsync(LocalDeployment deployment, string rootCertificate, CancellationToken ct, string serviceName = "postgres")
    {
        var service = deployment.Compose.Services[serviceName];
        var mounts = deployment.Mounts(service);
        string Setting(string name) => (service.Command ?? []).Single(a => a.StartsWith(name + "=", StringComparison.Ordinal))[(name.Length + 1)..];
        string? OnHost(string path) => mounts.Where(m => path == m.Key || path.StartsWith(m.Key + "/", StringComparison.Ordinal))
            .OrderByDescending(m => m.Key.Length).Select(m => m.Value + path[m.Key.Length..]).FirstOrDefault();
        var certificate = OnHost(Setting("ssl_cert_file")) ?? throw new InvalidOperationException("ssl_cert_file is not on a mounted volume");
        // Compose's entrypoint copies the mounted tls.key to where ssl_key_file points, with the mode PostgreSQL requires.
        var key = OnHost(Setting("ssl_key_file")) is { } mounted && File.Exists(mounted) ? mounted : Path.Combine(Path.GetDirectoryName(certificate)!, "tls.key");
        var hba = OnHost(Setting("hba_file")) ?? throw new InvalidOperationException("hba_file is not on a mounted volume");
        return await StartAsync(certificate, key, hba, [.. (service.Command ?? []).Where(a => a.Contains('=', StringComparison.Ordinal))], rootCertificate, ct);
    }

    /// <summary>
    /// Starts a server with these files and <c>name=value</c> settings (ssl_cert_file, ssl_key_file and hba_file are
    /// pointed at copies of <paramref name="certificate"/>, <paramref name="key"/> and <paramref name="hba"/>).
    /// </summary>
    public static async Task<TlsPostgresServer> StartAsync(string certificate, string key, string hba, IReadOnlyList<string> configuration, string rootCertificate, CancellationToken ct)
    {
        var bin = Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).Order(StringComparer.Ordinal).LastOrDefault() : null;
        RequiredTool.Require(bin is null ? "PostgreSQL server binaries are not installed (apt-get install -y postgresql-15)" : null);
        var dir = Directory.CreateTempSubdirectory("psig-pgtls-").FullName;
        var root = Environment.UserName == "root";
        string[] runAs = root ? ["runuser", "-u", "postgres", "--"] : [];
        File.Copy(certificate, Path.Combine(dir, "server.crt"));
        File.Copy(key, Path.Combine(dir, "server.key"));
        File.Copy(hba, Path.Combine(dir, "pg_hba.conf"));
        RequiredTool.Require(OperatingSystem.IsWindows() ? "the PostgreSQL TLS server runs on Linux only" : null);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path.Combine(dir, "server.key"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        await File.WriteAllTextAsync(Path.Combine(dir, "pwfile"), password + "\n", ct);
        if (root)
        {
            var (c, o) = await RequiredTool.RunAsync("sh", ["-c", "id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres; chown -R postgres \"$0\"", dir], dir, null, ct);
            Assert.True(c == 0, o);
        }

        var server = new TlsPostgresServer(dir, runAs, bin!, "");
        var (code, output) = await server.RunAsync("initdb", ["-D", Path.Combine(dir, "data"), "-U", "postgres", "--auth=scram-sha-256", "--pwfile", Path.Combine(dir, "pwfile"), "--no-sync"], ct);
        Assert.True(code == 0, $"initdb failed:\n{output}");
        // The settings, with the paths of this directory.
        var settings = string.Join(' ', configuration.Where(a => !a.StartsWith("hba_file=", StringComparison.Ordinal)).Append("hba_file=")
            .Select(a => a.StartsWith("ssl_cert_file=", StringComparison.Ordinal) ? $"ssl_cert_file={dir}/server.crt"
                : a.StartsWith("ssl_key_file=", StringComparison.Ordinal) ? $"ssl_key_file={dir}/server.key"
                : a.StartsWith("hba_file=", StringComparison.Ordinal) ? $"hba_file={dir}/pg_hba.conf" : a)
            .Select(a => "-c " + a));
        Assert.Contains("ssl=on", settings, StringComparison.Ordinal);
        for (var attempt = 0; ; attempt++)
        {
            // PostgreSQL cannot listen on port 0: a random port, another one if it is taken (as test.sh does).
            var port = Random.Shared.Next(20000, 40000);
            (code, output) = await server.RunAsync("pg_ctl", ["-D", Path.Combine(dir, "data"), "-l", Path.Combine(dir, "server.log"), "-w", "-t", "60",
                "-o", $"-p {port} -k {dir} -c listen_addresses=127.0.0.1 {settings}", "start"], ct);
            if (code == 0)
            {
                var cs = new NpgsqlConnectionStringBuilder
                {
                    Host = "127.0.0.1", Port = port, Username = "postgres", Password = password, Database = "postgres",
                    SslMode = SslMode.VerifyFull, RootCertificate = rootCertificate,
                };
                return new TlsPostgresServer(dir, runAs, bin!, cs.ConnectionString);
            }

            var log = File.Exists(Path.Combine(dir, "server.log")) ? await File.ReadAllTextAsync(Path.Combine(dir, "server.log"), ct) : "";
            Assert.True(attempt < 5 && log.Contains("could not bind", StringComparison.Ordinal), $"pg_ctl start failed:\n{output}\n{log}");
        }
    }

    private Task<(int ExitCode, string Output)> RunAsync(string tool, string[] arguments, CancellationToken ct) =>
        _runAs.Length == 0
            ? RequiredTool.RunAsync(Path.Combine(_bin, tool), arguments, _dir, null, ct)
            : RequiredTool.RunAsync(_runAs[0], [.. _runAs[1..], Path.Combine(_bin, tool), .. arguments], _dir, null, ct);

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await RunAsync("pg_ctl", ["-D", Path.Combine(_dir, "data"), "-m", "immediate", "stop"], CancellationToken.None);
        Directory.Delete(_dir, true);
    }
}
