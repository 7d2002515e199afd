using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Ct;
using PrivateSigstore.Core.Merkle;

namespace PrivateSigstore.Reliability.Tests;

/// <summary>The CT log as a process on SQLite, SIGKILLed while 4 writers submit chains (add-chain and add-pre-chain).</summary>
public sealed class CtLogCrashTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Ct_log_survives_ten_sigkills_every_acknowledged_SCT_verifies_and_its_entry_stays_in_a_consistent_tree()
    {
        var data = Directory.CreateTempSubdirectory("psig-crash-ctlog-").FullName;
        using var ca = new CtTestCa();
        var log = CtLogState.Create(data, ca.Root.ExportCertificatePem() + "\n", ca);
        var loop = log.Loop();
        var (kills, acked, failed, took) = await loop.RunAsync();

        var verify = System.Diagnostics.Stopwatch.StartNew();
        await using (var last = await log.StartAsync())
        {
            await log.VerifyAllAsync(last);
        }

        Report.Line($"CT log (SQLite): {kills} kills, {acked} acknowledged SCTs ({log.PrecertCount} add-pre-chain) all verify and their entries are in the tree, {log.Sths.Count} STHs consistent, {log.IndexesSeen} indexes never changed, {failed} submissions cut or refused, {took.TotalSeconds:F1} s + {verify.Elapsed.TotalSeconds:F1} s to verify");
        Report.Line(string.Join("\n", loop.Timings));
        Assert.True(log.Acked.Count >= 20, $"only {log.Acked.Count} SCTs acknowledged");
        Directory.Delete(data, recursive: true);
    }
}

/// <summary>What the CT log's submitters were told, and the checks of it against a (restarted) log.</summary>
internal sealed class CtLogState
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(20) };
    private readonly ConcurrentDictionary<ulong, string> _served = new();
    private readonly ECDsa _key;
    private int _checkedUpTo;

    private CtLogState(string data, CtTestCa? ca, ECDsa key, string[] args)
    {
        Data = data;
        Ca = ca;
        _key = key;
        Args = args;
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public string Data { get; }

    /// <summary>The CA the writers of <see cref="WriteAsync"/> use (none when another service submits).</summary>
    public CtTestCa? Ca { get; }

    public string[] Args { get; }

    /// <summary>Acknowledged submissions in order: the SCT and the Merkle tree leaf it promises.</summary>
    public ConcurrentQueue<(SignedCertificateTimestamp Sct, byte[] Leaf)> Acked { get; } = new();

    public ConcurrentBag<(ulong Size, byte[] Root)> Sths { get; } = [];

    public int PrecertCount;

    public int IndexesSeen => _served.Count;

    /// <summary>A log under <paramref name="data"/> with a key file of its own, trusting <paramref name="rootsPem"/>; <paramref name="extraArgs"/> follow the defaults.</summary>
    public static CtLogState Create(string data, string rootsPem, CtTestCa? ca = null, IEnumerable<string>? extraArgs = null)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var keyPath = Path.Combine(data, "ctlog-key.pem");
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        var roots = Path.Combine(data, "roots.pem");
        File.WriteAllText(roots, rootsPem);
        string[] args = [$"--CtLog:DataDirectory={Path.Combine(data, "ctlog")}", $"--CtLog:Key:KeyPath={keyPath}", $"--CtLog:RootsPemFile={roots}", .. extraArgs ?? []];
        return new CtLogState(data, ca, key, args);
    }

    public byte[] PublicKey => _key.ExportSubjectPublicKeyInfo();

    public ECDsa Key => _key;

    public Task<ServiceProcess> StartAsync() => ServiceProcess.StartAsync("CtLog", Args, Data);

    public KillLoop Loop() => new() { Start = StartAsync, Write = WriteAsync, Check = CheckAsync };

    /// <summary>Writers alternate add-chain and add-pre-chain; an SCT is kept only if it came with a 200 and verifies.</summary>
    public async Task WriteAsync(ServiceProcess service, int writer, CancellationToken ct)
    {
        var ca = Ca ?? throw new InvalidOperationException("no CA to write with");
        var precert = RandomNumberGenerator.GetInt32(2) == 0;
        var leafCert = ca.Leaf(precert);
        var body = new JsonObject { ["chain"] = new JsonArray([.. ca.Chain(leafCert).Select(c => (JsonNode)Convert.ToBase64String(c))]) }.ToJsonString();
        using var response = await Http.PostAsync(new Uri(service.BaseUrl, precert ? "ct/v1/add-pre-chain" : "ct/v1/add-chain"), new StringContent(body, Encoding.UTF8, "application/json"), ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            Assert.True((int)response.StatusCode >= 500, $"a valid chain was refused: {(int)response.StatusCode} {text}");
            throw new HttpRequestException($"{(int)response.StatusCode}", null, response.StatusCode);
        }

        var sct = ParseSct(JsonNode.Parse(text)!);
        byte[] leaf;
        if (precert)
        {
            var tbs = Precertificate.GetTbsWithoutPoison(leafCert);
            Assert.True(SctVerification.VerifyPrecert(tbs, ca.IssuerSpki, sct, _key), "an acknowledged precertificate SCT does not verify");
            leaf = MerkleTreeLeaf.ForPrecert(sct.Timestamp, SHA256.HashData(ca.IssuerSpki), tbs, []).Serialize();
            Interlocked.Increment(ref PrecertCount);
        }
        else
        {
            Assert.True(SctVerification.VerifyX509(leafCert, sct, _key), "an acknowledged certificate SCT does not verify");
            leaf = MerkleTreeLeaf.ForX509(sct.Timestamp, leafCert, []).Serialize();
        }

        Acked.Enqueue((sct, leaf));
    }

    /// <summary>
    /// After each restart: the STH verifies, is consistent with every STH seen before, every entry acknowledged since the
    /// last check is in the tree (get-proof-by-hash), and every index serves the entry it served before (get-entries).
    /// </summary>
    public async Task CheckAsync(ServiceProcess service) => await CheckAsync(service, all: false);

    public async Task VerifyAllAsync(ServiceProcess service) => await CheckAsync(service, all: true);

    private async Task CheckAsync(ServiceProcess service, bool all)
    {
        var (size, root) = await VerifiedSthAsync(service);
        Sths.Add((size, root));
        await KillLoop.CheckChainAsync(Sths, async (s1, r1, s2, r2) =>
        {
            var p = await GetJsonAsync(service, $"ct/v1/get-sth-consistency?first={s1}&second={s2}");
            ProofVerifier.VerifyConsistency(s1, s2, [.. p["consistency"]!.AsArray().Select(B64)], r1, r2);
        });

        // Every index of the tree: the same leaf as at every earlier restart.
        var leaves = new byte[size][];
        for (ulong start = 0; start < size;)
        {
            var entries = (await GetJsonAsync(service, $"ct/v1/get-entries?start={start}&end={size - 1}"))["entries"]!.AsArray();
            Assert.NotEmpty(entries);
            foreach (var e in entries)
            {
                var leaf = B64(e!["leaf_input"]);
                leaves[start] = leaf;
                var hex = Convert.ToHexString(leaf);
                Assert.True(_served.GetOrAdd(start, hex) == hex, $"index {start} serves a different entry after a restart");
                start++;
            }
        }

        // Acknowledged entries (those since the last check, or all): in the tree under the STH, at an index serving that leaf.
        var acked = Acked.ToArray();
        foreach (var (_, leaf) in acked[(all ? 0 : _checkedUpTo)..])
        {
            var hash = Rfc6962.HashLeaf(leaf);
            var proof = await GetJsonAsync(service, $"ct/v1/get-proof-by-hash?hash={Uri.EscapeDataString(Convert.ToBase64String(hash))}&tree_size={size}");
            var index = proof["leaf_index"]!.GetValue<ulong>();
            ProofVerifier.VerifyInclusion(hash, index, size, [.. proof["audit_path"]!.AsArray().Select(B64)], root);
            Assert.Equal(leaf, leaves[index]);
        }

        _checkedUpTo = acked.Length;
    }

    public async Task<(ulong Size, byte[] Root)> VerifiedSthAsync(ServiceProcess service)
    {
        var sth = await GetJsonAsync(service, "ct/v1/get-sth");
        var size = sth["tree_size"]!.GetValue<ulong>();
        var timestamp = sth["timestamp"]!.GetValue<ulong>();
        var root = B64(sth["sha256_root_hash"]);
        var signature = DigitallySigned.Parse(B64(sth["tree_head_signature"]));
        Assert.True(_key.VerifyData(TreeHeadSignature.SignedData(timestamp, size, root), signature.Signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence), "the STH signature does not verify");
        return (size, root);
    }

    private static async Task<JsonNode> GetJsonAsync(ServiceProcess service, string path)
    {
        using var response = await Http.GetAsync(new Uri(service.BaseUrl, path), Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!;
    }

    private static SignedCertificateTimestamp ParseSct(JsonNode json)
    {
        var signature = DigitallySigned.Parse(B64(json["signature"]));
        return new SignedCertificateTimestamp((byte)json["sct_version"]!.GetValue<int>(), B64(json["id"]), json["timestamp"]!.GetValue<ulong>(),
            B64(json["extensions"]), signature.HashAlgorithm, signature.SignatureAlgorithm, signature.Signature);
    }

    private static byte[] B64(JsonNode? node) => Convert.FromBase64String(node!.GetValue<string>());
}
