using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Log.Storage;

namespace PrivateSigstore.Log.Tests;

/// <summary>
/// Runs the engine in a child process (the load tool's log-append scenario) under continuous appends, kills it
/// with SIGKILL at random moments, reopens the store and checks what was acknowledged.
/// </summary>
public sealed class CrashSafetyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Sigkill_during_appends_loses_no_acknowledged_entry_and_keeps_the_tree_consistent()
    {
        var dir = TestStores.TempDir();
        var db = Path.Combine(dir, "log.db");
        var keyFile = Path.Combine(dir, "key.pem");
        var acked = new Dictionary<ulong, string>();
        var random = new Random(20261124);
        (ulong Size, byte[] Root)? previous = null;
        const int Kills = 12;

        for (var run = 0; run < Kills; run++)
        {
            var runAcks = await RunChildUntilKilledAsync(db, keyFile, TimeSpan.FromMilliseconds(random.Next(300, 1500)));
            foreach (var (index, hash) in runAcks)
            {
                // No index may be acknowledged twice for different entries.
                if (acked.TryGetValue(index, out var earlier)) Assert.Equal(earlier, hash);
                acked[index] = hash;
            }
            await using var store = new SqliteLogStore(db);
            await using var log = await TransparencyLog.OpenAsync(store, new LogOptions { Origin = "load.test - 1" }, [TestStores.Signer("load.test")], cancellationToken: Ct);
            var cp = log.LatestCheckpoint;
            foreach (var (index, hash) in acked)
            {
                Assert.True(index < cp.Size, $"acknowledged index {index} is missing after kill {run + 1} (size {cp.Size})");
                Assert.Equal(hash, Convert.ToHexStringLower(await log.GetLeafHashAsync(index, Ct)));
                Assert.Equal(hash, Convert.ToHexStringLower(Rfc6962.HashLeaf((await log.GetEntryAsync(index, Ct)).Leaf.Span)));
            }
            if (previous is { } p)
            {
                // The engine resumed appending after the previous kill, and the trees are consistent.
                Assert.True(cp.Size > p.Size, $"run {run + 1} appended nothing");
                ProofVerifier.VerifyConsistency(p.Size, cp.Size, await log.GetConsistencyProofAsync(p.Size, cp.Size, Ct), p.Root, cp.RootHash);
            }
            previous = (cp.Size, cp.RootHash);
        }
        Assert.True(acked.Count > 100, $"only {acked.Count} entries were acknowledged in {Kills} runs");

        // Every checkpoint the child published is consistent with the next one, and correctly signed.
        var verifier = ReadKey(keyFile);
        var checkpoints = ReadCheckpointHistory(db);
        Assert.True(checkpoints.Count > Kills);
        await using (var store = new SqliteLogStore(db))
        await using (var log = await TransparencyLog.OpenAsync(store, new LogOptions { Origin = "load.test - 1" }, [TestStores.Signer("load.test")], cancellationToken: Ct))
        {
            for (var i = 0; i + 1 < checkpoints.Count; i++)
            {
                var (s1, n1) = checkpoints[i];
                var (s2, n2) = checkpoints[i + 1];
                if (s1 == 0) continue; // a consistency proof from the empty tree is meaningless (RFC 9162 §2.1.4)
                var r1 = RootOf(n1, verifier);
                var r2 = RootOf(n2, verifier);
                ProofVerifier.VerifyConsistency(s1, s2, await log.GetConsistencyProofAsync(s1, s2, Ct), r1, r2);
            }
        }
    }

    private static byte[] RootOf(string note, ECDsa key)
    {
        // C2SP signed note: body, blank line, "— <name> <base64(keyhash || DER signature)>".
        var split = note.IndexOf("\n\n", StringComparison.Ordinal);
        var body = note[..(split + 1)];
        var sigLine = note[(split + 2)..].TrimEnd('\n');
        Assert.StartsWith("\u2014 load.test ", sigLine);
        var blob = Convert.FromBase64String(sigLine.Split(' ')[2]);
        Assert.True(key.VerifyData(System.Text.Encoding.UTF8.GetBytes(body), blob.AsSpan(4), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        return Convert.FromBase64String(note.Split('\n')[2]);
    }

    private static ECDsa ReadKey(string keyFile)
    {
        var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(keyFile));
        return key;
    }

    private static List<(ulong Size, string Note)> ReadCheckpointHistory(string db)
    {
        var list = new List<(ulong, string)>();
        using var conn = new SqliteConnection($"Data Source={db};Pooling=False");
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "SELECT size, note FROM checkpoints ORDER BY size";
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add(((ulong)r.GetInt64(0), r.GetString(1)));
        return list;
    }

    private static async Task<List<(ulong Index, string Hash)>> RunChildUntilKilledAsync(string db, string keyFile, TimeSpan runFor)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { LoadToolPath(), "log-append", "--store", "sqlite", "--path", db, "--key-file", keyFile, "--ack",
                     "--duration", "120", "--count", "100000000", "--concurrency", "64", "--leaf-size", "200", "--batch-size", "128", "--batch-age-ms", "1" })
        {
            psi.ArgumentList.Add(a);
        }
        using var child = Process.Start(psi)!;
        var acks = new List<(ulong, string)>();
        var firstAck = new TaskCompletionSource();
        child.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null || !e.Data.StartsWith("ack ", StringComparison.Ordinal)) return;
            var parts = e.Data.Split(' ');
            lock (acks) acks.Add((ulong.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), parts[2]));
            firstAck.TrySetResult();
        };
        child.ErrorDataReceived += (_, _) => { };
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        // Wait until the child appends (process start + open), then let it run a random while before the kill.
        await firstAck.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        await Task.Delay(runFor, Ct);
        child.Kill(entireProcessTree: true); // SIGKILL on Unix
        await child.WaitForExitAsync(Ct);
        lock (acks) return [.. acks];
    }

    /// <summary>The load tool built beside this test project (same configuration).</summary>
    internal static string LoadToolPath()
    {
        var baseDir = AppContext.BaseDirectory; // tests/PrivateSigstore.Log.Tests/bin/<Configuration>/net10.0/
        var tfm = new DirectoryInfo(baseDir).Name;
        var config = new DirectoryInfo(baseDir).Parent!.Name;
        var root = new DirectoryInfo(baseDir);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "PrivateSigstore.sln"))) root = root.Parent;
        Assert.NotNull(root);
        var path = Path.Combine(root.FullName, "load-tests", "PrivateSigstore.LoadTests", "bin", config, tfm, "PrivateSigstore.LoadTests.dll");
        Assert.True(File.Exists(path), $"build the solution first: {path} is missing");
        return path;
    }
}
