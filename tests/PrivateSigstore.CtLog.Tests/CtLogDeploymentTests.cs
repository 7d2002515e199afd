using System.Net;
using System.Security.Cryptography;
using PrivateSigstore.Core.Ct;
using PrivateSigstore.Core.Merkle;

namespace PrivateSigstore.CtLog.Tests;

/// <summary>Restarts, storage providers, configuration and start-up validation.</summary>
public sealed class CtLogDeploymentTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string NewDirectory(string name) => Path.Combine(Path.GetTempPath(), "psig-ctlog-" + name, Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_restart_keeps_the_log_its_entries_and_its_timestamps()
    {
        using var ca = new TestCa();
        var dir = NewDirectory("restart");
        var (precert, _, _) = ca.Precert();
        SignedCertificateTimestamp first;
        ulong size;
        byte[] root;
        await using (var host = await CtLogHost.StartAsync(dir, ca.RootPem))
        {
            first = await host.AddAsync("add-pre-chain", ca.Chain(precert));
            await host.AddAsync("add-chain", ca.Chain(ca.Leaf()));
            (size, _, root) = await host.VerifiedSthAsync(CtLogHost.PublicKey(dir));
        }
        await using (var host = await CtLogHost.StartAsync(dir, ca.RootPem))
        {
            var logKey = CtLogHost.PublicKey(dir);
            var (size2, _, root2) = await host.VerifiedSthAsync(logKey);
            Assert.Equal(size, size2);
            Assert.Equal(root, root2);
            var entries = (await host.GetJsonAsync($"/ct/v1/get-entries?start=0&end={size - 1}"))["entries"]!.AsArray();
            Assert.Equal((int)size, entries.Count);
            Assert.All(entries, e => Assert.NotEmpty(CtLogHost.B64(e!["extra_data"])));
            // The same precertificate after the restart: same SCT timestamp, no new entry.
            var again = await host.AddAsync("add-pre-chain", ca.Chain(precert));
            Assert.Equal(first.Timestamp, again.Timestamp);
            Assert.Equal(size, await host.TreeSizeAsync());
            // And the log keeps growing consistently.
            await host.AddAsync("add-chain", ca.Chain(ca.Leaf()));
            var (size3, _, root3) = await host.VerifiedSthAsync(logKey);
            var proof = await host.GetJsonAsync($"/ct/v1/get-sth-consistency?first={size}&second={size3}");
            ProofVerifier.VerifyConsistency(size, size3, [.. proof["consistency"]!.AsArray().Select(CtLogHost.B64)], root, root3);
        }
    }

    [Fact]
    public async Task Runs_on_PostgreSQL_with_SCTs_entries_proofs_and_restart()
    {
        var baseCs = Environment.GetEnvironmentVariable("PRIVATESIGSTORE_TEST_POSTGRES");
        if (string.IsNullOrEmpty(baseCs))
        {
            // test.sh starts PostgreSQL and sets the variable; under CI its absence is a failure, not a skip.
            Assert.False(string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), "PRIVATESIGSTORE_TEST_POSTGRES is not set under CI");
            Assert.Skip("PRIVATESIGSTORE_TEST_POSTGRES is not set (test.sh sets it)");
        }
        var db = "psig_ctlog_" + Guid.NewGuid().ToString("N")[..12];
        await using (var conn = new Npgsql.NpgsqlConnection(baseCs))
        {
            await conn.OpenAsync(Ct);
            await using var cmd = new Npgsql.NpgsqlCommand($"CREATE DATABASE {db}", conn);
            await cmd.ExecuteNonQueryAsync(Ct);
        }
        var cs = new Npgsql.NpgsqlConnectionStringBuilder(baseCs) { Database = db }.ToString();
        using var ca = new TestCa();
        var dir = NewDirectory("pg");
        string[] pg = ["--CtLog:Storage", "Postgres", "--CtLog:PostgresConnectionString", cs];
        var (precert, serial, request) = ca.Precert();
        SignedCertificateTimestamp sct;
        await using (var host = await CtLogHost.StartAsync(dir, ca.RootPem, pg))
        {
            sct = await host.AddAsync("add-pre-chain", ca.Chain(precert));
            await host.AddAsync("add-chain", ca.Chain(ca.Leaf()));
        }
        Assert.Empty(Directory.GetFiles(dir, "*.db"));
        await using (var host = await CtLogHost.StartAsync(dir, ca.RootPem, pg))
        {
            var logKey = CtLogHost.PublicKey(dir);
            using var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(logKey, out _);
            var issuer = ca.Intermediate.PublicKey.ExportSubjectPublicKeyInfo();
            Assert.True(SctVerification.VerifyEmbedded(ca.Finalize(request, serial, sct), issuer, sct, key));
            var (size, _, root) = await host.VerifiedSthAsync(logKey);
            Assert.Equal(2UL, size);
            var leaf = MerkleTreeLeaf.ForPrecert(sct.Timestamp, SHA256.HashData(issuer), Precertificate.GetTbsWithoutPoison(precert), []).Serialize();
            var index = await host.VerifiedInclusionAsync(Rfc6962.HashLeaf(leaf), size, root);
            var entry = await host.GetJsonAsync($"/ct/v1/get-entry-and-proof?leaf_index={index}&tree_size={size}");
            Assert.Equal(precert, CtExtraData.ParsePrecert(CtLogHost.B64(entry["extra_data"])).Precertificate);
            Assert.Equal(sct.Timestamp, (await host.AddAsync("add-pre-chain", ca.Chain(precert))).Timestamp);
            Assert.Equal(2UL, await host.TreeSizeAsync());
        }
    }

    [Fact]
    public async Task Roots_come_from_a_PEM_bundle_file_and_EKUs_are_configurable()
    {
        using var ca = new TestCa();
        using var other = new TestCa("other");
        var dir = NewDirectory("roots");
        Directory.CreateDirectory(dir);
        var bundle = Path.Combine(dir, "roots.pem");
        await File.WriteAllTextAsync(bundle, other.RootPem + ca.RootPem, Ct);
        await using var host = await CtLogHost.StartAsync(dir, other.RootPem, "--CtLog:RootsPemFile", bundle, "--CtLog:ExtKeyUsages", "ServerAuth, 1.3.6.1.5.5.7.3.8");
        // Both roots from the file (plus the one passed as RootsPem) are served and trusted.
        var roots = (await host.GetJsonAsync("/ct/v1/get-roots"))["certificates"]!.AsArray().Select(CtLogHost.B64).ToList();
        Assert.Contains(ca.Root.RawData, roots);
        Assert.Contains(other.Root.RawData, roots);
        await host.AddAsync("add-chain", ca.Chain(ca.Leaf(eku: "1.3.6.1.5.5.7.3.1")));
        var (status, body) = await host.PostAsync("/ct/v1/add-chain", CtLogHost.ChainBody(ca.Chain(ca.Leaf())));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("extended key usage", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Zero_config_start_uses_a_development_key_and_refuses_everything_without_roots()
    {
        using var ca = new TestCa();
        var dir = NewDirectory("zero");
        var port = CtLogHost.FreePort();
        var app = await CtLogApp.BuildAsync(["--urls", $"http://127.0.0.1:{port}", "--CtLog:DataDirectory", dir, "--Logging:LogLevel:Default", "None"], cancellationToken: Ct);
        await app.StartAsync(Ct);
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            Assert.True(File.Exists(Path.Combine(dir, "ctlog-key.pem")));
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/ct/v1/get-sth", Ct)).StatusCode);
            using var response = await http.PostAsync("/ct/v1/add-chain", CtLogHost.ChainBody(ca.Chain(ca.Leaf())), Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        }
        finally
        {
            await app.StopAsync(Ct);
            await app.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("--CtLog:Prefix", "bad/prefix")]
    [InlineData("--CtLog:Storage", "Oracle")]
    [InlineData("--CtLog:Storage", "Postgres")]
    [InlineData("--CtLog:MaxChainLength", "0")]
    [InlineData("--CtLog:RootsPemFile", "/nonexistent/roots.pem")]
    [InlineData("--CtLog:RootsPem", "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n")]
    [InlineData("--CtLog:Key:Algorithm", "EcdsaP384Sha384")]
    [InlineData("--CtLog:ExtKeyUsages", "CodeSigning,bogus")]
    [InlineData("--CtLog:RefreshIntervalMilliseconds", "50")]
    [InlineData("--CtLog:RefreshIntervalMilliseconds", "40000")]
    public async Task Bad_configuration_fails_at_start(string key, string value)
    {
        var dir = NewDirectory("badconfig");
        await Assert.ThrowsAnyAsync<Exception>(() => CtLogApp.BuildAsync(["--CtLog:DataDirectory", dir, key, value, "--Logging:LogLevel:Default", "None"], cancellationToken: Ct));
    }
}

/// <summary>The crash window between recording a chain and appending its leaf.</summary>
public sealed class CtLogCrashRecoveryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_chain_recorded_before_a_crash_is_completed_by_its_resubmission_with_the_recorded_timestamp()
    {
        using var ca = new TestCa();
        var dir = Path.Combine(Path.GetTempPath(), "psig-ctlog-crash", Guid.NewGuid().ToString("N"));
        var (precert, _, _) = ca.Precert();
        var policy = new CtChainPolicy(CtChainPolicy.ParsePemBundle(ca.RootPem), [CtLogOptions.CodeSigningEku], 10);
        var accepted = policy.Accept(ca.Chain(precert), precert: true);
        const long RecordedAt = 1_700_000_000_123;
        // The process "crashed" after the extra_data row committed and before the leaf was appended: only the row exists.
        await using (var entries = await PrivateSigstore.Log.Storage.LogStorage.OpenCtChainStoreAsync(new CtLogOptions { DataDirectory = dir }.ToStorageOptions(), new CtLogOptions().LogId, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, Ct))
        {
            Assert.Equal(RecordedAt, await entries.RecordAsync(accepted.Identity(), RecordedAt, accepted.ExtraData, Ct));
        }
        await using var host = await CtLogHost.StartAsync(dir, ca.RootPem);
        Assert.Equal(0UL, await host.TreeSizeAsync());
        var sct = await host.AddAsync("add-pre-chain", ca.Chain(precert));
        Assert.Equal((ulong)RecordedAt, sct.Timestamp);
        var (size, _, root) = await host.VerifiedSthAsync(CtLogHost.PublicKey(dir));
        Assert.Equal(1UL, size);
        var leaf = accepted.Leaf((ulong)RecordedAt).Serialize();
        Assert.Equal(0UL, await host.VerifiedInclusionAsync(Rfc6962.HashLeaf(leaf), size, root));
        var entry = (await host.GetJsonAsync("/ct/v1/get-entries?start=0&end=0"))["entries"]!.AsArray()[0]!;
        Assert.Equal(accepted.ExtraData, CtLogHost.B64(entry["extra_data"]));
    }
}
