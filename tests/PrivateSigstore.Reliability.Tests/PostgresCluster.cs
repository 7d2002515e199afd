using System.Diagnostics;

namespace PrivateSigstore.Reliability.Tests;

/// <summary>
/// A PostgreSQL 15 cluster of the test's own (initdb + pg_ctl, as test.sh starts its throwaway one), listening only on a
/// Unix socket in its own directory — no TCP port to choose — so the test can stop and restart it under load without
/// disturbing the other suites' server. Run as the postgres user when the tests run as root.
/// </summary>
internal sealed class PostgresCluster : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _dir;

    private PostgresCluster(string bin, string dir)
    {
        _bin = bin;
        _dir = dir;
    }

    public string ConnectionString => ConnectionStringFor("postgres");

    /// <summary>The connection string of database <paramref name="database"/> of this cluster.</summary>
    public string ConnectionStringFor(string database) => $"Host={_dir};Port=5432;Username=postgres;Database={database};Pooling=true;Timeout=5;Command Timeout=10";

    /// <summary>Creates a database of its own for one service (services whose tables share names must not share a database).</summary>
    public Task CreateDatabaseAsync(string name) => PgAsync("createdb", ["-h", _dir, "-p", "5432", "-U", "postgres", name]);

    public static async Task<PostgresCluster> StartAsync()
    {
        var bin = Directory.Exists("/usr/lib/postgresql") ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).Order().LastOrDefault() : null;
        Assert.True(bin is not null, "PostgreSQL server binaries are missing (test.sh installs postgresql-15)");
        var dir = Directory.CreateTempSubdirectory("psig-pg-").FullName;
        var cluster = new PostgresCluster(bin, dir);
        if (Environment.UserName == "root" && !OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(dir, (UnixFileMode)0b111_111_111);
            await RunAsync("chown", ["postgres", dir]);
        }

        await cluster.PgAsync("initdb", ["-D", Path.Combine(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync"]);
        await cluster.CtlAsync("start");
        return cluster;
    }

    /// <summary>pg_ctl start / stop -m fast / restart -m fast.</summary>
    public Task CtlAsync(string action) => PgAsync("pg_ctl", [
        "-D", Path.Combine(_dir, "data"), "-l", Path.Combine(_dir, "server.log"), "-w", "-t", "60",
        .. action == "start" || action == "restart" ? new[] { "-o", $"-p 5432 -k {_dir} -c listen_addresses= -c fsync=on" } : [],
        .. action == "stop" || action == "restart" ? new[] { "-m", "fast" } : [], action]);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await PgAsync("pg_ctl", ["-D", Path.Combine(_dir, "data"), "-m", "immediate", "stop"]);
        }
        catch (Xunit.Sdk.XunitException)
        {
            // already stopped
        }

        Directory.Delete(_dir, recursive: true);
    }

    private Task PgAsync(string tool, IEnumerable<string> args) =>
        Environment.UserName == "root" ? RunAsync("runuser", ["-u", "postgres", "--", Path.Combine(_bin, tool), .. args]) : RunAsync(Path.Combine(_bin, tool), args);

    private static async Task RunAsync(string file, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)} failed ({p.ExitCode}): {await stdout}{await stderr}");
    }
}
