using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Deploy.Tests;

/// <summary>
/// The PostgreSQL profile: two Rekor front-ends (two processes with the compose configuration, the same key, the same
/// database) take appends at the same time, and everything lands in one consistent tree: one index per entry, the same
/// signed checkpoint from both, inclusion proofs for entries from both against one root, and a consistency proof between
/// an earlier checkpoint and the final one (all checked with Core's ProofVerifier).
/// </summary>
public sealed class RekorFrontEndsTests
{
    private const int EntriesPerRound = 8;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Appends_to_two_Rekor_front_ends_on_one_PostgreSQL_database_land_in_one_consistent_tree()
    {
        RequiredTool.Command("openssl", "openssl");
        RequiredTool.Command("softhsm2-util", "softhsm2");
        // As docker-compose.yml runs them: keys-init (which issues PostgreSQL's certificate), then PostgreSQL with TLS on.
        using var deployment = new LocalDeployment(ComposeFile.Load(Repository.File("docker-compose.yml")), "");
        await deployment.InitializeKeysAsync(Ct);
        await using var server = await TlsPostgresServer.StartAsync(deployment, Path.Combine(deployment.Volume("ca-public"), "internal-ca.pem"), Ct);
        await using var db = await TestDatabase.CreateAsync(server.ConnectionString, Ct);
        deployment.UseDatabase(db.ConnectionString);
        await deployment.BootstrapDatabaseAsync(Ct);
        var rekor = deployment.Compose.Services["rekor"];
        Assert.Equal("Postgres", rekor.Environment["Rekor__Storage"]);
        string hostname = rekor.Environment["Rekor__Hostname"];
        using var logKey = ECDsa.Create();
        logKey.ImportFromPem(await File.ReadAllTextAsync(Path.Combine(deployment.Volume("ca-public"), "rekor-public.pem"), Ct));
        var verifier = new EcdsaNoteVerifier(hostname, logKey.ExportSubjectPublicKeyInfo());

        using var http = LocalDeployment.CreateHttpClient(Path.Combine(deployment.Volume("ca-public"), "internal-ca.pem"));
        http.Timeout = TimeSpan.FromSeconds(30);
        await using var a = deployment.Start(rekor);
        await a.WaitReadyAsync(http, Ct);
        deployment.Reassign("rekor");
        await using var b = deployment.Start(rekor);
        await b.WaitReadyAsync(http, Ct);
        Assert.NotEqual(a.BaseUrl, b.BaseUrl);
        ServiceProcess[] frontEnds = [a, b];

        // Round 1, then a checkpoint, then round 2: each round sends entries to both front-ends at once.
        var entries = new List<(string Uuid, long Index, byte[] LeafHash)>();
        entries.AddRange(await AppendRoundAsync(http, frontEnds));
        var (size1, root1) = await CheckpointAsync(http, a, verifier);
        entries.AddRange(await AppendRoundAsync(http, frontEnds));

        // One tree: every entry has its own index, and the indices are exactly 0..n-1.
        int total = 2 * EntriesPerRound;
        Assert.Equal(Enumerable.Range(0, total).Select(i => (long)i), entries.Select(e => e.Index).Order());

        // Both front-ends report the same signed checkpoint (eventually: each caches its latest for a moment).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        (ulong Size, byte[] Root) fromA, fromB;
        do
        {
            fromA = await CheckpointAsync(http, a, verifier);
            fromB = await CheckpointAsync(http, b, verifier);
            if (fromA.Size == (ulong)total && fromB.Size == (ulong)total)
            {
                break;
            }

            await Task.Delay(200, Ct);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Equal((ulong)total, fromA.Size);
        Assert.Equal((ulong)total, fromB.Size);
        Assert.Equal(fromA.Root, fromB.Root);

        // Inclusion of every entry, fetched from the front-end that did not take it, against the one root.
        for (int i = 0; i < entries.Count; i++)
        {
            var (uuid, index, leafHash) = entries[i];
            var reader = frontEnds[(i + 1) % 2];
            var answer = JsonNode.Parse(await http.GetStringAsync(new Uri(reader.BaseUrl, $"/api/v1/log/entries/{uuid}"), Ct))!.AsObject();
            var proof = answer.Single().Value!["verification"]!["inclusionProof"]!;
            Assert.Equal(total, proof["treeSize"]!.GetValue<long>());
            Assert.Equal(Convert.ToHexStringLower(fromA.Root), proof["rootHash"]!.GetValue<string>());
            var hashes = proof["hashes"]!.AsArray().Select(h => Convert.FromHexString(h!.GetValue<string>())).ToList();
            ProofVerifier.VerifyInclusion(leafHash, (ulong)index, (ulong)total, hashes, fromA.Root);
        }

        // The earlier checkpoint (from one front-end) is a prefix of the final tree (proof from the other).
        var consistency = JsonNode.Parse(await http.GetStringAsync(new Uri(b.BaseUrl, $"/api/v1/log/proof?firstSize={size1}&lastSize={total}"), Ct))!;
        var steps = consistency["hashes"]!.AsArray().Select(h => Convert.FromHexString(h!.GetValue<string>())).ToList();
        ProofVerifier.VerifyConsistency(size1, (ulong)total, steps, root1, fromB.Root);

        // Both export the same tree size (the replica-divergence alert in docs/operations.md compares these).
        foreach (var frontEnd in frontEnds)
        {
            var metrics = await http.GetStringAsync(new Uri(frontEnd.BaseUrl, "/metrics"), Ct);
            var line = metrics.Split('\n').Single(l => l.StartsWith("privatesigstore_log_tree_size{", StringComparison.Ordinal));
            var value = line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0]; // name{labels} value [timestamp]
            Assert.Equal(total.ToString(System.Globalization.CultureInfo.InvariantCulture), value);
        }
    }

    private static async Task<List<(string Uuid, long Index, byte[] LeafHash)>> AppendRoundAsync(HttpClient http, ServiceProcess[] frontEnds)
    {
        var appends = Enumerable.Range(0, EntriesPerRound).Select(i => AppendAsync(http, frontEnds[i % 2]));
        return [.. await Task.WhenAll(appends)];
    }

    private static async Task<(string Uuid, long Index, byte[] LeafHash)> AppendAsync(HttpClient http, ServiceProcess frontEnd)
    {
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var digest = RandomNumberGenerator.GetBytes(32);
        var signature = signer.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
        var proposal = new JsonObject
        {
            ["apiVersion"] = "0.0.1",
            ["kind"] = "hashedrekord",
            ["spec"] = new JsonObject
            {
                ["data"] = new JsonObject { ["hash"] = new JsonObject { ["algorithm"] = "sha256", ["value"] = Convert.ToHexStringLower(digest) } },
                ["signature"] = new JsonObject
                {
                    ["content"] = Convert.ToBase64String(signature),
                    ["publicKey"] = new JsonObject { ["content"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(signer.ExportSubjectPublicKeyInfoPem() + "\n")) },
                },
            },
        };
        using var response = await http.PostAsync(new Uri(frontEnd.BaseUrl, "/api/v1/log/entries"), JsonContent.Create(proposal), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{frontEnd.BaseUrl}: {(int)response.StatusCode} {text}");
        var (uuid, entry) = JsonNode.Parse(text)!.AsObject().Single();
        var leafHash = Rfc6962.HashLeaf(Convert.FromBase64String(entry!["body"]!.GetValue<string>()));
        Assert.EndsWith(Convert.ToHexStringLower(leafHash), uuid, StringComparison.Ordinal);
        return (uuid, entry["logIndex"]!.GetValue<long>(), leafHash);
    }

    private static async Task<(ulong Size, byte[] Root)> CheckpointAsync(HttpClient http, ServiceProcess frontEnd, EcdsaNoteVerifier verifier)
    {
        var info = JsonNode.Parse(await http.GetStringAsync(new Uri(frontEnd.BaseUrl, "/api/v1/log"), Ct))!;
        var signed = SignedCheckpoint.Parse(info["signedTreeHead"]!.GetValue<string>());
        Assert.True(signed.VerifyRekorV1(verifier), $"{frontEnd.BaseUrl}: checkpoint signature does not verify");
        Assert.Equal(info["rootHash"]!.GetValue<string>(), Convert.ToHexStringLower(signed.Checkpoint.RootHash));
        return (signed.Checkpoint.Size, signed.Checkpoint.RootHash);
    }
}
