using System.Security.Cryptography;
using Npgsql;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Log.Storage;

namespace PrivateSigstore.Log.Tests;

/// <summary>Creates fresh stores for tests: SQLite in a temp dir; PostgreSQL from PRIVATESIGSTORE_TEST_POSTGRES.</summary>
internal static class TestStores
{
    public const string PostgresVariable = "PRIVATESIGSTORE_TEST_POSTGRES";

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "psig-log-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static SqliteLogStore Sqlite(string? path = null, SqliteDurability durability = SqliteDurability.Full) =>
        new(path ?? Path.Combine(TempDir(), "log.db"), "log", durability);

    /// <summary>
    /// The PostgreSQL connection string for tests. test.sh starts a throwaway cluster and sets it; under CI its
    /// absence is a failure, not a skip (the Postgres suite must really run there).
    /// </summary>
    public static string? PostgresConnectionString()
    {
        var cs = Environment.GetEnvironmentVariable(PostgresVariable);
        if (string.IsNullOrEmpty(cs) && string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"{PostgresVariable} is not set under CI: the PostgreSQL store suite must run (test.sh starts PostgreSQL)");
        }
        return string.IsNullOrEmpty(cs) ? null : cs;
    }

    /// <summary>A store on a brand-new database (created on the server), so tests never share state.</summary>
    public static async Task<(PostgresLogStore Store, string ConnectionString)> PostgresAsync(string logId = "log")
    {
        var baseCs = PostgresConnectionString() ?? throw new InvalidOperationException("PostgreSQL is not configured");
        var db = "psig_test_" + Guid.NewGuid().ToString("N")[..12];
        await using (var conn = new NpgsqlConnection(baseCs))
        {
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE {db}", conn);
            await cmd.ExecuteNonQueryAsync();
        }
        var cs = new NpgsqlConnectionStringBuilder(baseCs) { Database = db }.ToString();
        return (new PostgresLogStore(cs, logId), cs);
    }

    public static EcdsaNoteSigner Signer(string name = "test.log") =>
        new(name, ECDsa.Create(ECCurve.NamedCurves.nistP256));
}
