using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Core.Rekor;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Tests.TestSupport;

namespace PrivateSigstore.Rekor.Tests;

/// <summary>Configurations beyond the default: the log key in an HSM, and frozen shards with global indices.</summary>
public sealed class RekorDeploymentTests(SoftHsmFixture hsm)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(WebApplication App, HttpClient Http, string Hostname)> StartAsync(string dataDir, params string[] extra)
    {
        var port = RekorFixture.FreePort();
        // The host name is part of every checkpoint origin, so it must stay the same across restarts.
        const string hostname = "rekor.test";
        var app = await RekorApp.BuildAsync([
            "--urls", $"http://127.0.0.1:{port}", "--Rekor:DataDirectory", dataDir, "--Rekor:Hostname", hostname,
            "--Logging:LogLevel:Default", "Warning", .. extra]);
        await app.StartAsync(Ct);
        return (app, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") }, hostname);
    }

    private static async Task StopAsync(WebApplication app, HttpClient http)
    {
        http.Dispose();
        await app.StopAsync(Ct);
        await app.DisposeAsync();
    }

    private static async Task<JsonNode> CreateAsync(HttpClient http)
    {
        var response = await http.PostAsync("/api/v1/log/entries", Proposals.Json(Proposals.HashedRekord().Entry), Ct);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!;
    }

    [Fact]
    public async Task Log_key_in_SoftHSM_signs_SETs_and_checkpoints()
    {
        hsm.Require();
        using (var token = hsm.OpenToken())
        {
            if (!token.HasKey("rekor-log")) token.GenerateKey("rekor-log", SigningAlgorithm.EcdsaP256Sha256).Dispose();
        }
        var dir = Path.Combine(Path.GetTempPath(), "psig-rekor-hsm", Guid.NewGuid().ToString("N"));
        var (app, http, hostname) = await StartAsync(dir,
            "--Rekor:Key:Provider", "Pkcs11", "--Rekor:Key:KeyLabel", "rekor-log",
            "--Rekor:Key:Pkcs11:ModulePath", SoftHsmFixture.ModulePath, "--Rekor:Key:Pkcs11:TokenLabel", SoftHsmFixture.TokenLabel,
            "--Rekor:Key:Pkcs11:Pin", SoftHsmFixture.UserPin);
        try
        {
            var spki = GoPem.DecodePublicKey(await http.GetStringAsync("/api/v1/log/publicKey", Ct));
            using (var token = hsm.OpenToken())
            using (var key = token.GetKey("rekor-log"))
            {
                Assert.Equal(key.SubjectPublicKeyInfo, spki); // the service signs with the token's key
            }
            Assert.False(File.Exists(Path.Combine(dir, "rekor-key.pem")), "no development key may be created when PKCS#11 is configured");
            var created = await CreateAsync(http);
            var e = created.AsObject().Single().Value!;
            var set = Convert.FromBase64String(e["verification"]!["signedEntryTimestamp"]!.GetValue<string>());
            var payload = SignedEntryTimestamp.Payload(e["body"]!.GetValue<string>(), e["integratedTime"]!.GetValue<long>(), e["logID"]!.GetValue<string>(), e["logIndex"]!.GetValue<long>());
            Assert.True(SignedEntryTimestamp.Verify(payload, set, spki));
            var checkpoint = SignedCheckpoint.Parse(e["verification"]!["inclusionProof"]!["checkpoint"]!.GetValue<string>());
            Assert.True(checkpoint.VerifyRekorV1(new EcdsaNoteVerifier(hostname, spki)));
        }
        finally
        {
            await StopAsync(app, http);
        }
    }

    [Fact]
    public async Task Runs_on_PostgreSQL_with_entries_proofs_and_search_index()
    {
        var baseCs = Environment.GetEnvironmentVariable("PRIVATESIGSTORE_TEST_POSTGRES");
        if (string.IsNullOrEmpty(baseCs))
        {
            // test.sh starts PostgreSQL and sets the variable; under CI its absence is a failure, not a skip.
            Assert.False(string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), "PRIVATESIGSTORE_TEST_POSTGRES is not set under CI");
            Assert.Skip("PRIVATESIGSTORE_TEST_POSTGRES is not set (test.sh sets it)");
        }
        var db = "psig_rekor_" + Guid.NewGuid().ToString("N")[..12];
        await using (var conn = new Npgsql.NpgsqlConnection(baseCs))
        {
            await conn.OpenAsync(Ct);
            await using var cmd = new Npgsql.NpgsqlCommand($"CREATE DATABASE {db}", conn);
            await cmd.ExecuteNonQueryAsync(Ct);
        }
        var cs = new Npgsql.NpgsqlConnectionStringBuilder(baseCs) { Database = db }.ToString();
        var dir = Path.Combine(Path.GetTempPath(), "psig-rekor-pg", Guid.NewGuid().ToString("N"));
        var (app, http, hostname) = await StartAsync(dir, "--Rekor:Storage", "Postgres", "--Rekor:PostgresConnectionString", cs);
        try
        {
            var spki = GoPem.DecodePublicKey(await http.GetStringAsync("/api/v1/log/publicKey", Ct));
            var (proposal, digest) = Proposals.HashedRekord();
            var response = await http.PostAsync("/api/v1/log/entries", Proposals.Json(proposal), Ct);
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var created = JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!.AsObject().Single();
            var proof = created.Value!["verification"]!["inclusionProof"]!;
            var cp = SignedCheckpoint.Parse(proof["checkpoint"]!.GetValue<string>());
            Assert.True(cp.VerifyRekorV1(new EcdsaNoteVerifier(hostname, spki)));
            var leaf = Rfc6962.HashLeaf(Convert.FromBase64String(created.Value!["body"]!.GetValue<string>()));
            ProofVerifier.VerifyInclusion(leaf, (ulong)proof["logIndex"]!.GetValue<long>(), cp.Checkpoint.Size,
                proof["hashes"]!.AsArray().Select(h => Convert.FromHexString(h!.GetValue<string>())).ToList(), cp.Checkpoint.RootHash);
            Assert.Equal(HttpStatusCode.Conflict, (await http.PostAsync("/api/v1/log/entries", Proposals.Json(proposal), Ct)).StatusCode);
            for (var attempt = 0; ; attempt++)
            {
                var search = await http.PostAsync("/api/v1/index/retrieve", Proposals.Json(new JsonObject { ["hash"] = "sha256:" + Convert.ToHexStringLower(digest) }), Ct);
                var ids = JsonNode.Parse(await search.Content.ReadAsStringAsync(Ct))!.AsArray().Select(n => n!.GetValue<string>()).ToList();
                if (ids.Count == 1)
                {
                    Assert.Equal(created.Key, ids[0]);
                    break;
                }
                Assert.True(attempt < 100, "the search index never showed the entry");
                await Task.Delay(50, Ct);
            }
        }
        finally
        {
            await StopAsync(app, http);
        }
    }

    [Fact]
    public async Task Frozen_shard_keeps_serving_and_global_indices_continue_across_shards()
    {
        var dir = Path.Combine(Path.GetTempPath(), "psig-rekor-shards", Guid.NewGuid().ToString("N"));
        const long FirstTree = 1111, SecondTree = 2222;
        var (app, http, _) = await StartAsync(dir, "--Rekor:TreeId", $"{FirstTree}");
        var old = new List<JsonNode>();
        for (var i = 0; i < 5; i++) old.Add(await CreateAsync(http));
        await StopAsync(app, http);

        // Rotate: the first tree becomes an inactive shard, a new tree takes appends.
        (app, http, var hostname) = await StartAsync(dir, "--Rekor:TreeId", $"{SecondTree}", "--Rekor:InactiveShards:0:TreeId", $"{FirstTree}");
        try
        {
            var info = JsonNode.Parse(await http.GetStringAsync("/api/v1/log", Ct))!;
            Assert.Equal($"{SecondTree}", info["treeID"]!.GetValue<string>());
            var inactive = Assert.Single(info["inactiveShards"]!.AsArray())!;
            Assert.Equal($"{FirstTree}", inactive["treeID"]!.GetValue<string>());
            Assert.Equal(5, inactive["treeSize"]!.GetValue<long>());

            var created = (await CreateAsync(http)).AsObject().Single();
            Assert.StartsWith(SecondTree.ToString("x16", System.Globalization.CultureInfo.InvariantCulture), created.Key, StringComparison.Ordinal);
            // Global index continues after the frozen shard; the proof index is shard-local.
            Assert.Equal(5, created.Value!["logIndex"]!.GetValue<long>());
            Assert.Equal(0, created.Value!["verification"]!["inclusionProof"]!["logIndex"]!.GetValue<long>());

            // Old entries stay readable by UUID (64 and 80 hex) and by global index, with valid proofs in their tree.
            var spki = GoPem.DecodePublicKey(await http.GetStringAsync("/api/v1/log/publicKey", Ct));
            foreach (var (entry, i) in old.Select((e, i) => (e.AsObject().Single(), i)))
            {
                foreach (var url in new[] { $"/api/v1/log/entries/{entry.Key}", $"/api/v1/log/entries/{entry.Key[16..]}", $"/api/v1/log/entries?logIndex={i}" })
                {
                    var read = JsonNode.Parse(await http.GetStringAsync(url, Ct))!.AsObject().Single();
                    Assert.Equal(entry.Key, read.Key);
                    var proof = read.Value!["verification"]!["inclusionProof"]!;
                    var cp = SignedCheckpoint.Parse(proof["checkpoint"]!.GetValue<string>());
                    Assert.Equal($"{hostname} - {FirstTree}", cp.Checkpoint.Origin);
                    Assert.True(cp.VerifyRekorV1(new EcdsaNoteVerifier(hostname, spki)));
                    var leaf = Rfc6962.HashLeaf(Convert.FromBase64String(read.Value!["body"]!.GetValue<string>()));
                    ProofVerifier.VerifyInclusion(leaf, (ulong)proof["logIndex"]!.GetValue<long>(), cp.Checkpoint.Size,
                        proof["hashes"]!.AsArray().Select(h => Convert.FromHexString(h!.GetValue<string>())).ToList(), cp.Checkpoint.RootHash);
                }
            }
            Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/api/v1/log/proof?firstSize=1&lastSize=5&treeID={FirstTree}", Ct)).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/api/v1/log/entries?logIndex=6", Ct)).StatusCode);
        }
        finally
        {
            await StopAsync(app, http);
        }
    }
}
