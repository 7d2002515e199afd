using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PrivateSigstore.Core.Ct;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Monitor.Tests;

/// <summary>What the fake log serves wrongly.</summary>
internal enum Misbehaviour
{
    None,
    BadSignature,
    Garbage,
}

/// <summary>
/// A fake log on 127.0.0.1:0 serving both a Rekor v1-shaped API (<c>/api/v1/log</c>, <c>/api/v1/log/proof</c>,
/// <c>/api/v1/log/entries?logIndex=</c>) and an RFC 6962 API (<c>/ct/v1/get-sth</c>, <c>get-sth-consistency</c>,
/// <c>get-entries</c>) over the same leaves, signed with a P-256 key (note signer / TreeHeadSignature).
/// </summary>
internal sealed class FakeLog : IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly List<byte[]> _leaves = [];
    private readonly List<byte[]> _extra = [];
    private WebApplication? _app;

    public ECDsa Key { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public ECDsa OtherKey { get; } = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public Misbehaviour Misbehaviour { get; set; }

    /// <summary>CT: the STH timestamp (default now).</summary>
    public DateTimeOffset? SthTime { get; set; }

    public Uri Url { get; private set; } = null!;

    public string PublicKeyPem => Key.ExportSubjectPublicKeyInfoPem();

    public int Size
    {
        get
        {
            lock (_gate) return _leaves.Count;
        }
    }

    public static async Task<FakeLog> StartAsync()
    {
        var log = new FakeLog();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        log.Map(app);
        await app.StartAsync();
        log._app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        log.Url = new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal));
        return log;
    }

    /// <summary>Appends a Rekor-style entry (its body is the leaf).</summary>
    public void AddRekorEntry(byte[] body)
    {
        lock (_gate)
        {
            _leaves.Add(body);
            _extra.Add([]);
        }
    }

    /// <summary>Appends <paramref name="count"/> filler entries.</summary>
    public void AddFiller(int count, string tag = "filler")
    {
        for (var i = 0; i < count; i++) AddRekorEntry(Encoding.UTF8.GetBytes($"{{\"filler\":\"{tag}-{Size}\"}}"));
    }

    /// <summary>Appends a CT x509 entry for <paramref name="certDer"/>.</summary>
    public void AddCtCertificate(byte[] certDer)
    {
        lock (_gate)
        {
            _leaves.Add(MerkleTreeLeaf.ForX509((ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), certDer, []).Serialize());
            _extra.Add([0, 0, 0]);
        }
    }

    /// <summary>Drops entries from the end (the log goes backwards).</summary>
    public void Truncate(int size)
    {
        lock (_gate)
        {
            _leaves.RemoveRange(size, _leaves.Count - size);
            _extra.RemoveRange(size, _extra.Count - size);
        }
    }

    /// <summary>Rewrites entry <paramref name="index"/> (a fork: same size, another root).</summary>
    public void Rewrite(int index)
    {
        lock (_gate) _leaves[index] = Encoding.UTF8.GetBytes($"{{\"rewritten\":{index}}}");
    }

    private byte[][] Hashes()
    {
        lock (_gate) return [.. _leaves.Select(l => Rfc6962.HashLeaf(l))];
    }

    private static byte[] Root(ReadOnlySpan<byte[]> hashes)
    {
        if (hashes.Length == 0) return Rfc6962.EmptyRoot.ToArray();
        if (hashes.Length == 1) return hashes[0];
        var k = SplitPoint(hashes.Length);
        return Rfc6962.HashChildren(Root(hashes[..k]), Root(hashes[k..]));
    }

    private static int SplitPoint(int n)
    {
        var k = 1;
        while (k << 1 < n) k <<= 1;
        return k;
    }

    /// <summary>RFC 6962 §2.1.2 SUBPROOF.</summary>
    private static List<byte[]> SubProof(int m, ReadOnlySpan<byte[]> d, bool b)
    {
        var n = d.Length;
        if (m == n) return b ? [] : [Root(d)];
        var k = SplitPoint(n);
        if (m <= k)
        {
            var p = SubProof(m, d[..k], b);
            p.Add(Root(d[k..]));
            return p;
        }
        var q = SubProof(m - k, d[k..], false);
        q.Add(Root(d[..k]));
        return q;
    }

    private (long Size, byte[] Root) Head()
    {
        var hashes = Hashes();
        return (hashes.Length, Root(hashes));
    }

    private string SignedNote(long size, byte[] root)
    {
        var key = Misbehaviour == Misbehaviour.BadSignature ? OtherKey : Key;
        return SignedCheckpoint.Sign(new Checkpoint("127.0.0.1 - 1", (ulong)size, root), new EcdsaNoteSigner("127.0.0.1", key)).Serialize();
    }

    private void Map(WebApplication app)
    {
        app.MapGet("/api/v1/log", () =>
        {
            if (Misbehaviour == Misbehaviour.Garbage) return Results.Text("{\"rootHash\": 12, oops", "application/json");
            var (size, root) = Head();
            return Results.Text(new JsonObject
            {
                ["rootHash"] = Convert.ToHexStringLower(root),
                ["treeSize"] = size,
                ["treeID"] = "1",
                ["signedTreeHead"] = SignedNote(size, root),
            }.ToJsonString(), "application/json");
        });
        app.MapGet("/api/v1/log/proof", (long firstSize, long lastSize) =>
        {
            var hashes = Hashes();
            if (lastSize > hashes.Length || firstSize > lastSize) return Results.BadRequest();
            var proof = SubProof((int)firstSize, hashes.AsSpan(0, (int)lastSize), true);
            return Results.Text(new JsonObject
            {
                ["rootHash"] = Convert.ToHexStringLower(Root(hashes.AsSpan(0, (int)lastSize))),
                ["hashes"] = new JsonArray([.. proof.Select(h => JsonValue.Create(Convert.ToHexStringLower(h)))]),
            }.ToJsonString(), "application/json");
        });
        app.MapGet("/api/v1/log/entries", (long logIndex) =>
        {
            byte[] body;
            lock (_gate)
            {
                if (logIndex >= _leaves.Count) return Results.NotFound();
                body = _leaves[(int)logIndex];
            }
            var uuid = Convert.ToHexStringLower(Rfc6962.HashLeaf(body));
            return Results.Text(new JsonObject
            {
                [uuid] = new JsonObject
                {
                    ["body"] = Convert.ToBase64String(body),
                    ["integratedTime"] = 1_700_000_000 + logIndex,
                    ["logID"] = Convert.ToHexStringLower(SHA256.HashData(Key.ExportSubjectPublicKeyInfo())),
                    ["logIndex"] = logIndex,
                },
            }.ToJsonString(), "application/json");
        });
        app.MapGet("/ct/v1/get-sth", () =>
        {
            if (Misbehaviour == Misbehaviour.Garbage) return Results.Text("<html>not an STH</html>", "application/json");
            var (size, root) = Head();
            var timestamp = (ulong)(SthTime ?? DateTimeOffset.UtcNow).ToUnixTimeMilliseconds();
            var key = Misbehaviour == Misbehaviour.BadSignature ? OtherKey : Key;
            var signature = key.SignData(TreeHeadSignature.SignedData(timestamp, (ulong)size, root), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
            return Results.Text(new JsonObject
            {
                ["tree_size"] = size,
                ["timestamp"] = timestamp,
                ["sha256_root_hash"] = Convert.ToBase64String(root),
                ["tree_head_signature"] = Convert.ToBase64String(new DigitallySigned(4, 3, signature).Serialize()),
            }.ToJsonString(), "application/json");
        });
        app.MapGet("/ct/v1/get-sth-consistency", (long first, long second) =>
        {
            var hashes = Hashes();
            if (second > hashes.Length || first > second) return Results.BadRequest();
            var proof = SubProof((int)first, hashes.AsSpan(0, (int)second), true);
            return Results.Text(new JsonObject { ["consistency"] = new JsonArray([.. proof.Select(h => JsonValue.Create(Convert.ToBase64String(h)))]) }.ToJsonString(), "application/json");
        });
        app.MapGet("/ct/v1/get-entries", (long start, long end) =>
        {
            var entries = new JsonArray();
            lock (_gate)
            {
                // Like real logs, at most a few entries per answer.
                for (var i = start; i <= end && i < _leaves.Count && i < start + 3; i++)
                {
                    entries.Add(new JsonObject { ["leaf_input"] = Convert.ToBase64String(_leaves[(int)i]), ["extra_data"] = Convert.ToBase64String(_extra[(int)i]) });
                }
            }
            return Results.Text(new JsonObject { ["entries"] = entries }.ToJsonString(), "application/json");
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        Key.Dispose();
        OtherKey.Dispose();
    }

    public static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
