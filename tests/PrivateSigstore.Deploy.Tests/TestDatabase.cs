using Npgsql;

namespace PrivateSigstore.Deploy.Tests;

/// <summary>A fresh PostgreSQL database on the server PRIVATESIGSTORE_TEST_POSTGRES names (test.sh starts a throwaway
/// PostgreSQL 15), dropped on dispose: the whole stack shares it, as in docker-compose.yml.</summary>
internal sealed class TestDatabase : IAsyncDisposable
{
    private readonly string _server;
    private readonly string _name;

    private TestDatabase(string server, string name, string connectionString)
    {
        _server = server;
        _name = name;
        ConnectionString = connectionString;
        RolePrefix = name + "_";
    }

    /// <summary>Roles a test creates on the shared server start with this (dropped on dispose).</summary>
    public string RolePrefix { get; }

    /// <summary>Connection string of the new database.</summary>
    public string ConnectionString { get; }

    /// <summary>Creates the database; skips (or under CI fails) when no PostgreSQL is configured.</summary>
    public static Task<TestDatabase> CreateAsync(CancellationToken cancellationToken)
    {
        var server = Environment.GetEnvironmentVariable("PRIVATESIGSTORE_TEST_POSTGRES");
        RequiredTool.Require(string.IsNullOrEmpty(server) ? "PRIVATESIGSTORE_TEST_POSTGRES is not set (test.sh starts a throwaway PostgreSQL 15 and sets it)" : null);
        return CreateAsync(server!, cancellationToken);
    }

    /// <summary>Creates the database on the given server (the superuser's connection string).</summary>
    public static async Task<TestDatabase> CreateAsync(string server, CancellationToken cancellationToken)
    {
        var name = "psig_deploy_" + Guid.NewGuid().ToString("N")[..12];
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        var builder = new NpgsqlConnectionStringBuilder(server) { Database = name };
        return new TestDatabase(server!, name, builder.ConnectionString);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_server);
        await connection.OpenAsync();
        await using (var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{_name}\" WITH (FORCE)", connection))
        {
            await command.ExecuteNonQueryAsync();
        }

        var roles = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT rolname FROM pg_roles WHERE starts_with(rolname, @p)", connection))
        {
            list.Parameters.AddWithValue("p", RolePrefix);
            await using var reader = await list.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                roles.Add(reader.GetString(0));
            }
        }

        foreach (var role in roles)
        {
            await using var drop = new NpgsqlCommand($"DROP ROLE IF EXISTS \"{role}\"", connection);
            await drop.ExecuteNonQueryAsync();
        }
    }
}
