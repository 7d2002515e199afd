using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Ct;
using PrivateSigstore.Core.Merkle;

namespace PrivateSigstore.CtLog.Tests;

/// <summary>The RFC 6962 API end to end against a real log: SCTs, STHs, proofs and entries all verify.</summary>
public sealed class CtLogApiTests(CtLogFixture fixture) : IClassFixture<CtLogFixture>
{
    private CtLogHost Host => fixture.Host;

    private TestCa Ca => fixture.Ca;

    [Fact]
    public async Task Precert_SCT_verifies_embedded_in_the_final_certificate_and_the_entry_is_in_a_signed_tree_head()
    {
        var (precert, serial, request) = Ca.Precert();
        var chain = Ca.Chain(precert);
        var sct = await Host.AddAsync("add-pre-chain", chain);
        Assert.Equal(SignedCertificateTimestamp.V1, sct.Version);
        Assert.Equal(SHA256.HashData(fixture.LogKey), sct.LogId);
        Assert.Empty(sct.Extensions);

        // The CA embeds the SCT; a client rebuilds the signed data from the final certificate and the issuer key.
        var final = Ca.Finalize(request, serial, sct);
        using var logKey = ECDsa.Create();
        logKey.ImportSubjectPublicKeyInfo(fixture.LogKey, out _);
        Assert.True(SctVerification.VerifyEmbedded(final, Ca.Intermediate.PublicKey.ExportSubjectPublicKeyInfo(), sct, logKey));
        Assert.True(SctVerification.VerifyPrecert(Precertificate.GetTbsWithoutPoison(precert), Ca.Intermediate.PublicKey.ExportSubjectPublicKeyInfo(), sct, logKey));

        // Maximum merge delay: once the SCT is returned the entry is already covered by the signed tree head.
        var leaf = MerkleTreeLeaf.ForPrecert(sct.Timestamp, SHA256.HashData(Ca.Intermediate.PublicKey.ExportSubjectPublicKeyInfo()), Precertificate.GetTbsWithoutSctList(final), []);
        var leafHash = Rfc6962.HashLeaf(leaf.Serialize());
        var (size, timestamp, root) = await Host.VerifiedSthAsync(fixture.LogKey);
        Assert.True(timestamp >= sct.Timestamp);
        var index = await Host.VerifiedInclusionAsync(leafHash, size, root);

        // get-entries and get-entry-and-proof return the exact leaf and the precert chain as extra_data.
        var entries = await Host.GetJsonAsync($"/ct/v1/get-entries?start={index}&end={index}");
        var entry = Assert.Single(entries["entries"]!.AsArray())!;
        Assert.Equal(leaf.Serialize(), CtLogHost.B64(entry["leaf_input"]));
        var (storedPrecert, storedChain) = CtExtraData.ParsePrecert(CtLogHost.B64(entry["extra_data"]));
        Assert.Equal(precert, storedPrecert);
        Assert.Equal(chain.Skip(1), storedChain);
        var withProof = await Host.GetJsonAsync($"/ct/v1/get-entry-and-proof?leaf_index={index}&tree_size={size}");
        Assert.Equal(leaf.Serialize(), CtLogHost.B64(withProof["leaf_input"]));
        Assert.Equal(CtLogHost.B64(entry["extra_data"]), CtLogHost.B64(withProof["extra_data"]));
        ProofVerifier.VerifyInclusion(leafHash, index, size, [.. withProof["audit_path"]!.AsArray().Select(CtLogHost.B64)], root);
    }

    [Fact]
    public async Task Final_certificate_SCT_verifies_and_the_chain_is_kept_as_extra_data()
    {
        var cert = Ca.Leaf();
        var chain = Ca.Chain(cert);
        var sct = await Host.AddAsync("add-chain", chain);
        using var logKey = ECDsa.Create();
        logKey.ImportSubjectPublicKeyInfo(fixture.LogKey, out _);
        Assert.True(SctVerification.VerifyX509(cert, sct, logKey));
        Assert.False(SctVerification.VerifyX509(Ca.Leaf(), sct, logKey));

        var leaf = MerkleTreeLeaf.ForX509(sct.Timestamp, cert, []).Serialize();
        var (size, _, root) = await Host.VerifiedSthAsync(fixture.LogKey);
        var index = await Host.VerifiedInclusionAsync(Rfc6962.HashLeaf(leaf), size, root);
        var entry = (await Host.GetJsonAsync($"/ct/v1/get-entries?start={index}&end={index + 5}"))["entries"]!.AsArray()[0]!;
        Assert.Equal(leaf, CtLogHost.B64(entry["leaf_input"]));
        Assert.Equal(chain.Skip(1), CtExtraData.ParseX509(CtLogHost.B64(entry["extra_data"])));
    }

    [Fact]
    public async Task A_chain_without_its_root_is_completed_with_the_trusted_root()
    {
        var cert = Ca.Leaf();
        var sct = await Host.AddAsync("add-chain", [cert, Ca.Intermediate.RawData]);
        var leaf = MerkleTreeLeaf.ForX509(sct.Timestamp, cert, []).Serialize();
        var (size, _, root) = await Host.VerifiedSthAsync(fixture.LogKey);
        var index = await Host.VerifiedInclusionAsync(Rfc6962.HashLeaf(leaf), size, root);
        var entry = (await Host.GetJsonAsync($"/ct/v1/get-entries?start={index}&end={index}"))["entries"]!.AsArray()[0]!;
        Assert.Equal([Ca.Intermediate.RawData, Ca.Root.RawData], CtExtraData.ParseX509(CtLogHost.B64(entry["extra_data"])));
    }

    [Fact]
    public async Task Resubmitting_the_same_precertificate_returns_the_first_timestamp_and_adds_nothing()
    {
        var (precert, _, _) = Ca.Precert();
        var first = await Host.AddAsync("add-pre-chain", Ca.Chain(precert));
        var size = await Host.TreeSizeAsync();
        var again = await Host.AddAsync("add-pre-chain", [precert, Ca.Intermediate.RawData]);
        Assert.Equal(first.Timestamp, again.Timestamp);
        Assert.Equal(size, await Host.TreeSizeAsync());
    }

    [Fact]
    public async Task Concurrent_resubmissions_of_one_certificate_share_one_entry_and_timestamp()
    {
        var cert = Ca.Leaf();
        var size = await Host.TreeSizeAsync();
        var scts = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Host.AddAsync("add-chain", Ca.Chain(cert))));
        Assert.Single(scts.Select(s => s.Timestamp).Distinct());
        // Tests of one class run one at a time on the class's log, so exactly one entry is new.
        Assert.Equal(size + 1, await Host.TreeSizeAsync());
        var leaf = MerkleTreeLeaf.ForX509(scts[0].Timestamp, cert, []).Serialize();
        var (sthSize, _, root) = await Host.VerifiedSthAsync(fixture.LogKey);
        await Host.VerifiedInclusionAsync(Rfc6962.HashLeaf(leaf), sthSize, root);
    }

    [Fact]
    public async Task Signed_tree_heads_are_consistent()
    {
        await Host.AddAsync("add-chain", Ca.Chain(Ca.Leaf()));
        var (size1, _, root1) = await Host.VerifiedSthAsync(fixture.LogKey);
        for (var i = 0; i < 3; i++) await Host.AddAsync("add-pre-chain", Ca.Chain(Ca.Precert().Precert));
        var (size2, _, root2) = await Host.VerifiedSthAsync(fixture.LogKey);
        Assert.True(size2 >= size1 + 3);
        var proof = await Host.GetJsonAsync($"/ct/v1/get-sth-consistency?first={size1}&second={size2}");
        ProofVerifier.VerifyConsistency(size1, size2, [.. proof["consistency"]!.AsArray().Select(CtLogHost.B64)], root1, root2);
        Assert.Empty((await Host.GetJsonAsync($"/ct/v1/get-sth-consistency?first={size2}&second={size2}"))["consistency"]!.AsArray());
    }

    [Fact]
    public async Task Entries_are_paged_and_every_leaf_matches_the_tree()
    {
        for (var i = 0; i < 3; i++) await Host.AddAsync("add-chain", Ca.Chain(Ca.Leaf()));
        var (size, _, root) = await Host.VerifiedSthAsync(fixture.LogKey);
        var leaves = new List<byte[]>();
        while ((ulong)leaves.Count < size)
        {
            var page = (await Host.GetJsonAsync($"/ct/v1/get-entries?start={leaves.Count}&end={size + 100}"))["entries"]!.AsArray();
            Assert.NotEmpty(page);
            Assert.True(page.Count <= CtLogOptions.DefaultMaxGetEntries);
            foreach (var e in page)
            {
                var leaf = CtLogHost.B64(e!["leaf_input"]);
                Assert.Equal(leaf, MerkleTreeLeaf.Parse(leaf).Serialize());
                leaves.Add(Rfc6962.HashLeaf(leaf));
            }
        }
        Assert.Equal(root, MerkleTree.RootFromLeafHashes(leaves));
    }

    [Fact]
    public async Task Get_roots_lists_the_configured_root()
    {
        var roots = await Host.GetJsonAsync("/ct/v1/get-roots");
        Assert.Equal(Ca.Root.RawData, CtLogHost.B64(Assert.Single(roots["certificates"]!.AsArray())));
    }

    [Fact]
    public async Task The_prefixed_routes_serve_the_same_log()
    {
        var sct = await Host.AddAsync("add-chain", Ca.Chain(Ca.Leaf()), prefix: "/test");
        var (size, _, root) = await Host.VerifiedSthAsync(fixture.LogKey, prefix: "/test");
        Assert.True(size >= 1);
        Assert.Equal(SHA256.HashData(fixture.LogKey), sct.LogId);
        var plain = await Host.GetJsonAsync("/ct/v1/get-sth");
        Assert.True(plain["tree_size"]!.GetValue<ulong>() >= size);
        Assert.Equal(HttpStatusCode.NotFound, (await Host.Http.GetAsync("/other/ct/v1/get-sth", TestContext.Current.CancellationToken)).StatusCode);
        Assert.NotEmpty(root);
    }

    [Fact]
    public async Task Health_readiness_and_metrics_answer()
    {
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(HttpStatusCode.OK, (await Host.Http.GetAsync("/healthz", ct)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Host.Http.GetAsync("/readyz", ct)).StatusCode);
        await Host.AddAsync("add-chain", Ca.Chain(Ca.Leaf()));
        var metrics = await Host.Http.GetStringAsync("/metrics", ct);
        Assert.Contains("privatesigstore_ctlog_submissions", metrics, StringComparison.Ordinal);
        Assert.Contains("privatesigstore_log_tree_size", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_submissions_all_get_verifiable_SCTs()
    {
        var precerts = Enumerable.Range(0, 40).Select(_ => Ca.Precert().Precert).ToList();
        var scts = await Task.WhenAll(precerts.Select(p => Host.AddAsync("add-pre-chain", Ca.Chain(p))));
        using var logKey = ECDsa.Create();
        logKey.ImportSubjectPublicKeyInfo(fixture.LogKey, out _);
        var issuer = Ca.Intermediate.PublicKey.ExportSubjectPublicKeyInfo();
        var (size, _, root) = await Host.VerifiedSthAsync(fixture.LogKey);
        for (var i = 0; i < precerts.Count; i++)
        {
            Assert.True(SctVerification.VerifyPrecert(Precertificate.GetTbsWithoutPoison(precerts[i]), issuer, scts[i], logKey));
            var leaf = MerkleTreeLeaf.ForPrecert(scts[i].Timestamp, SHA256.HashData(issuer), Precertificate.GetTbsWithoutPoison(precerts[i]), []).Serialize();
            await Host.VerifiedInclusionAsync(Rfc6962.HashLeaf(leaf), size, root);
        }
    }
}
