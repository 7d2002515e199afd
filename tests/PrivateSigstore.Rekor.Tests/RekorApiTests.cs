using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Core.Pem;
using PrivateSigstore.Core.Rekor;

namespace PrivateSigstore.Rekor.Tests;

/// <summary>
/// Every response is checked independently with Core: SET, checkpoint signature, inclusion proof, UUID and
/// consistency between observed checkpoints.
/// </summary>
public sealed class RekorApiTests(RekorFixture rekor) : IClassFixture<RekorFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private async Task<byte[]> LogKeySpkiAsync() => GoPem.DecodePublicKey(await rekor.Http.GetStringAsync("/api/v1/log/publicKey", Ct));

    /// <summary>Checks one LogEntry map entry the way cosign / sigstore-go / sigstore-js do.</summary>
    private async Task<(string Id, JsonElement Entry)> VerifyEntryAsync(JsonElement map)
    {
        var props = map.EnumerateObject().ToList();
        Assert.Single(props);
        var id = props[0].Name;
        var e = props[0].Value;
        var spki = await LogKeySpkiAsync();
        var body = e.GetProperty("body").GetString()!;
        var leaf = Convert.FromBase64String(body);
        var leafHash = Rfc6962.HashLeaf(leaf);
        // The entry id is the 16-hex tree id plus the leaf hash of the body (cosign verifyUUID).
        Assert.Equal(80, id.Length);
        Assert.Equal(Convert.ToHexStringLower(leafHash), id[16..]);
        var logId = e.GetProperty("logID").GetString()!;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(spki)), logId);
        var integratedTime = e.GetProperty("integratedTime").GetInt64();
        Assert.InRange(integratedTime, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 600, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5);
        var logIndex = e.GetProperty("logIndex").GetInt64();
        var v = e.GetProperty("verification");
        var set = Convert.FromBase64String(v.GetProperty("signedEntryTimestamp").GetString()!);
        Assert.True(SignedEntryTimestamp.Verify(SignedEntryTimestamp.Payload(body, integratedTime, logId, logIndex), set, spki), "SET does not verify");

        var p = v.GetProperty("inclusionProof");
        var checkpoint = p.GetProperty("checkpoint").GetString()!;
        var signed = SignedCheckpoint.Parse(checkpoint);
        Assert.True(signed.VerifyRekorV1(new EcdsaNoteVerifier(rekor.Hostname, spki)), "checkpoint signature does not verify");
        var info = JsonNode.Parse(await rekor.Http.GetStringAsync("/api/v1/log", Ct))!;
        Assert.Equal($"{rekor.Hostname} - {info["treeID"]!.GetValue<string>()}", signed.Checkpoint.Origin);
        var treeSize = p.GetProperty("treeSize").GetInt64();
        var root = Convert.FromHexString(p.GetProperty("rootHash").GetString()!);
        Assert.Equal((ulong)treeSize, signed.Checkpoint.Size);
        Assert.Equal(root, signed.Checkpoint.RootHash);
        var hashes = p.GetProperty("hashes").EnumerateArray().Select(h => Convert.FromHexString(h.GetString()!)).ToList();
        ProofVerifier.VerifyInclusion(leafHash, (ulong)p.GetProperty("logIndex").GetInt64(), (ulong)treeSize, hashes, root);
        return (id, e);
    }

    private async Task<(string Id, JsonElement Entry, HttpResponseMessage Response)> CreateAsync(JsonNode proposal)
    {
        var response = await rekor.Http.PostAsync("/api/v1/log/entries", Proposals.Json(proposal), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Created, text);
        var (id, entry) = await VerifyEntryAsync(Proposals.Parse(text));
        return (id, entry, response);
    }

    [Fact]
    public async Task Hashedrekord_is_created_with_verifiable_SET_checkpoint_and_proof()
    {
        var (proposal, digest) = Proposals.HashedRekord();
        var (id, entry, response) = await CreateAsync(proposal);
        // ETag is the raw map key (sigstore-go reads Payload[ETag]); Location points at the entry.
        Assert.Equal(id, Assert.Single(response.Headers.GetValues("ETag")));
        Assert.Equal($"/api/v1/log/entries/{id}", response.Headers.Location!.OriginalString);
        var body = JsonNode.Parse(Convert.FromBase64String(entry.GetProperty("body").GetString()!))!;
        Assert.Equal("hashedrekord", body["kind"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(digest), body["spec"]!["data"]!["hash"]!["value"]!.GetValue<string>());
        // The stored key is re-encoded exactly as Go writes PEM.
        Assert.Equal(Proposals.KeyPem(), Encoding.UTF8.GetString(Convert.FromBase64String(body["spec"]!["signature"]!["publicKey"]!["content"]!.GetValue<string>())));
    }

    [Fact]
    public async Task Dsse_entry_is_created_and_verifies()
    {
        var (_, entry, _) = await CreateAsync(Proposals.Dsse("{\"_type\":\"https://in-toto.io/Statement/v1\",\"n\":" + Random.Shared.Next() + "}"));
        var body = JsonNode.Parse(Convert.FromBase64String(entry.GetProperty("body").GetString()!))!;
        Assert.Equal("dsse", body["kind"]!.GetValue<string>());
        Assert.NotNull(body["spec"]!["envelopeHash"]);
        Assert.Null(body["spec"]!["proposedContent"]);
    }

    [Fact]
    public async Task Duplicate_returns_409_with_the_same_entry_id()
    {
        var (proposal, _) = Proposals.HashedRekord();
        var (id, _, _) = await CreateAsync(proposal);
        var size = await rekor.TreeSizeAsync();
        var again = await rekor.Http.PostAsync("/api/v1/log/entries", Proposals.Json(proposal), Ct);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.EndsWith($"/api/v1/log/entries/{id}", again.Headers.Location!.OriginalString, StringComparison.Ordinal);
        var error = Proposals.Parse(await again.Content.ReadAsStringAsync(Ct));
        Assert.Equal(409, error.GetProperty("code").GetInt32());
        Assert.Equal($"an equivalent entry already exists in the transparency log with UUID {id}", error.GetProperty("message").GetString());
        Assert.Equal(size, await rekor.TreeSizeAsync());
    }

    [Fact]
    public async Task Entries_are_readable_by_index_by_uuid_and_by_retrieve()
    {
        var (proposal, _) = Proposals.HashedRekord();
        var (id, created, _) = await CreateAsync(proposal);
        var index = created.GetProperty("logIndex").GetInt64();
        foreach (var url in new[] { $"/api/v1/log/entries?logIndex={index}", $"/api/v1/log/entries/{id}", $"/api/v1/log/entries/{id[16..]}", $"/api/v1/log/entries/{id.ToUpperInvariant()}" })
        {
            var (readId, read) = await VerifyEntryAsync(Proposals.Parse(await rekor.Http.GetStringAsync(url, Ct)));
            Assert.Equal(id, readId);
            Assert.Equal(created.GetProperty("body").GetString(), read.GetProperty("body").GetString());
            Assert.Equal(created.GetProperty("integratedTime").GetInt64(), read.GetProperty("integratedTime").GetInt64());
        }
        var query = new JsonObject { ["entryUUIDs"] = new JsonArray(id, new string('0', 64)), ["logIndexes"] = new JsonArray(index), ["entries"] = new JsonArray(proposal.DeepClone()) };
        var response = await rekor.Http.PostAsync("/api/v1/log/entries/retrieve", Proposals.Json(query), Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = Proposals.Parse(await response.Content.ReadAsStringAsync(Ct)).EnumerateArray().ToList();
        Assert.Equal(3, results.Count); // the unknown UUID is omitted
        foreach (var r in results) Assert.Equal(id, (await VerifyEntryAsync(r)).Id);
        Assert.Equal(HttpStatusCode.NotFound, (await rekor.Http.GetAsync($"/api/v1/log/entries/{new string('a', 64)}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await rekor.Http.GetAsync("/api/v1/log/entries?logIndex=999999999", Ct)).StatusCode);
    }

    [Fact]
    public async Task Consistency_proofs_between_observed_checkpoints_verify()
    {
        var spki = await LogKeySpkiAsync();
        var observed = new List<(long Size, byte[] Root)>();
        for (var round = 0; round < 4; round++)
        {
            for (var i = 0; i < 3; i++) await CreateAsync(Proposals.HashedRekord().Entry);
            var info = JsonNode.Parse(await rekor.Http.GetStringAsync("/api/v1/log", Ct))!;
            var sth = SignedCheckpoint.Parse(info["signedTreeHead"]!.GetValue<string>());
            Assert.True(sth.VerifyRekorV1(new EcdsaNoteVerifier(rekor.Hostname, spki)));
            Assert.Equal(info["treeSize"]!.GetValue<long>(), (long)sth.Checkpoint.Size);
            Assert.Equal(info["rootHash"]!.GetValue<string>(), Convert.ToHexStringLower(sth.Checkpoint.RootHash));
            observed.Add(((long)sth.Checkpoint.Size, sth.Checkpoint.RootHash));
        }
        foreach (var (a, ra) in observed)
        {
            foreach (var (b, rb) in observed.Where(o => o.Size > a))
            {
                var proof = JsonNode.Parse(await rekor.Http.GetStringAsync($"/api/v1/log/proof?firstSize={a}&lastSize={b}", Ct))!;
                Assert.Equal(Convert.ToHexStringLower(rb), proof["rootHash"]!.GetValue<string>());
                var hashes = proof["hashes"]!.AsArray().Select(h => Convert.FromHexString(h!.GetValue<string>())).ToList();
                ProofVerifier.VerifyConsistency((ulong)a, (ulong)b, hashes, ra, rb);
            }
        }
    }

    [Fact]
    public async Task Ten_index_searches_return_exactly_what_was_written()
    {
        var written = new List<(string Id, byte[] Digest)>();
        for (var i = 0; i < 10; i++)
        {
            var (proposal, digest) = Proposals.HashedRekord();
            written.Add(((await CreateAsync(proposal)).Id, digest));
        }
        foreach (var (id, digest) in written)
        {
            var search = new JsonObject { ["hash"] = "sha256:" + Convert.ToHexStringLower(digest) };
            var ids = await SearchUntilAsync(search, 1);
            Assert.Equal([id], ids);
        }
        // By public key: every entry signed with the shared test key, including all ten above.
        var byKey = await SearchUntilAsync(new JsonObject { ["publicKey"] = new JsonObject { ["format"] = "x509", ["content"] = Proposals.B64(Proposals.KeyPem()) } }, 10);
        Assert.Superset(written.Select(w => w.Id).ToHashSet(), byKey.ToHashSet());
        // "and" of hash and key narrows to one; "or" of two hashes gives both.
        var and = await SearchUntilAsync(new JsonObject { ["hash"] = Convert.ToHexStringLower(written[0].Digest), ["publicKey"] = new JsonObject { ["format"] = "x509", ["content"] = Proposals.B64(Proposals.KeyPem()) }, ["operator"] = "and" }, 1);
        Assert.Equal([written[0].Id], and);
    }

    private async Task<List<string>> SearchUntilAsync(JsonObject search, int atLeast)
    {
        // The index is written off the append path (as upstream), so it may lag the log briefly.
        for (var attempt = 0; ; attempt++)
        {
            var response = await rekor.Http.PostAsync("/api/v1/index/retrieve", Proposals.Json(search), Ct);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var ids = Proposals.Parse(await response.Content.ReadAsStringAsync(Ct)).EnumerateArray().Select(e => e.GetString()!).ToList();
            if (ids.Count >= atLeast || attempt > 100) return ids;
            await Task.Delay(50, Ct);
        }
    }

    [Fact]
    public async Task Health_and_metrics_endpoints_answer()
    {
        Assert.Equal(HttpStatusCode.OK, (await rekor.Http.GetAsync("/healthz", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await rekor.Http.GetAsync("/readyz", Ct)).StatusCode);
        await CreateAsync(Proposals.HashedRekord().Entry);
        var metrics = await rekor.Http.GetStringAsync("/metrics", Ct);
        Assert.Contains("privatesigstore_log_entries", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Public_key_is_Go_PEM_and_log_info_lists_tree_id_as_decimal_string()
    {
        var response = await rekor.Http.GetAsync("/api/v1/log/publicKey", Ct);
        Assert.Equal("application/x-pem-file", response.Content.Headers.ContentType!.MediaType);
        var pem = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(GoPem.EncodePublicKey(GoPem.DecodePublicKey(pem)), pem);
        var info = Proposals.Parse(await rekor.Http.GetStringAsync("/api/v1/log", Ct));
        Assert.Equal(JsonValueKind.String, info.GetProperty("treeID").ValueKind);
        Assert.Equal(JsonValueKind.Array, info.GetProperty("inactiveShards").ValueKind);
        var treeId = info.GetProperty("treeID").GetString()!;
        Assert.Equal(HttpStatusCode.OK, (await rekor.Http.GetAsync($"/api/v1/log/publicKey?treeID={treeId}", Ct)).StatusCode);
    }
}
