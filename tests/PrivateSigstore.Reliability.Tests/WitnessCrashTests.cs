using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using PrivateSigstore.Core.Merkle;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Reliability.Tests;

/// <summary>The witness as a process, SIGKILLed while four logs (one per writer) get their growing checkpoints cosigned.</summary>
public sealed partial class WitnessCrashTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(20) };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Witness_survives_ten_sigkills_and_never_forgets_or_contradicts_a_checkpoint_it_cosigned()
    {
        var data = Directory.CreateTempSubdirectory("psig-crash-witness-").FullName;
        var logs = Enumerable.Range(0, KillLoop.Writers).Select(i => new TestLog($"crash.test/log{i}")).ToArray();
        var args = new List<string> { $"--Witness:DataDirectory={data}" };
        for (var i = 0; i < logs.Length; i++)
        {
            args.Add($"--Witness:Logs:{i}:Origin={logs[i].Origin}");
            args.Add($"--Witness:Logs:{i}:VerifierKey={logs[i].Signer.Verifier.VerifierKey}");
        }

        var cosigned = 0;
        (string Name, byte[] Key)? witnessKey = null;
        Task<ServiceProcess> Start() => ServiceProcess.StartAsync("Witness", args, data);

        async Task CheckAsync(ServiceProcess service)
        {
            var m = VerifierKeyLine().Match(service.Output);
            Assert.True(m.Success, service.Output);
            var key = (m.Groups[1].Value, Convert.FromBase64String(m.Groups[2].Value)[1..]);
            witnessKey ??= key;
            Assert.Equal(witnessKey.Value.Key, key.Item2);
            foreach (var log in logs)
            {
                // The restarted witness still holds a checkpoint at least as new as the last one it cosigned, and it is ours.
                using var response = await Http.GetAsync(new Uri(service.BaseUrl, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(log.Origin))) + "/checkpoint"), Ct);
                if (log.AckedSize == 0)
                {
                    continue;
                }

                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                var held = SignedCheckpoint.Parse(await response.Content.ReadAsStringAsync(Ct)).Checkpoint;
                Assert.True(held.Size >= log.AckedSize, $"{log.Origin}: the witness forgot size {log.AckedSize} (holds {held.Size})");
                Assert.Equal(log.RootAt(held.Size), held.RootHash);
                log.KnownSize = held.Size;
            }
        }

        var loop = new KillLoop
        {
            Start = Start,
            Check = CheckAsync,
            Write = async (service, w, ct) =>
            {
                var log = logs[w];
                var (size, signed) = log.Grow();
                var body = AddCheckpointRequest.Format(log.KnownSize, log.KnownSize == 0 ? [] : log.ConsistencyProof(log.KnownSize, size), signed.Serialize());
                using var response = await Http.PostAsync(new Uri(service.BaseUrl, "add-checkpoint"), new StringContent(body, Encoding.UTF8, "text/plain"), ct);
                var text = await response.Content.ReadAsStringAsync(ct);
                if (response.StatusCode == HttpStatusCode.Conflict)
                {
                    // The witness is ahead of what we were told (a cosignature lost with the connection): resume from there.
                    var known = ulong.Parse(text.Trim(), System.Globalization.CultureInfo.InvariantCulture);
                    Assert.True(known >= log.AckedSize && known <= size, $"{log.Origin}: the witness knows size {known}, but cosigned {log.AckedSize}");
                    log.KnownSize = known;
                    throw new HttpRequestException("409");
                }

                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {text}");
                var note = SignedNote.Parse(signed.Note.Text + "\n" + text);
                var cosignature = Assert.Single(note.Signatures, s => s.Name == witnessKey!.Value.Name);
                Assert.True(Cosignature.Verify(cosignature, witnessKey!.Value.Name, witnessKey.Value.Key, signed.Note.Text, out _), "the cosignature does not verify");
                log.KnownSize = size;
                log.AckedSize = size;
                Interlocked.Increment(ref cosigned);
            },
        };
        var (kills, count, failed, took) = await loop.RunAsync();
        Report.Line($"Witness: {kills} kills, {cosigned} acknowledged cosignatures (verified), the restarted witness never held less than the last cosigned size of any of {logs.Length} logs, {failed} requests cut or refused (409 included), {took.TotalSeconds:F1} s");
        Assert.True(cosigned >= 20, $"only {cosigned} cosignatures");
        Directory.Delete(data, recursive: true);
    }

    [GeneratedRegex(@"Witness started: verifier key ([^+\s]+)\+[0-9a-f]{8}\+(\S+),")]
    internal static partial Regex VerifierKeyLine();

    /// <summary>A log of random leaves kept by the test, one writer at a time.</summary>
    internal sealed class TestLog(string origin)
    {
        private readonly List<byte[]> _leaves = [];

        public string Origin { get; } = origin;

        public Ed25519NoteSigner Signer { get; } = new(origin, RandomNumberGenerator.GetBytes(32));

        public ulong KnownSize { get; set; }

        public ulong AckedSize { get; set; }

        public (ulong Size, SignedCheckpoint Signed) Grow()
        {
            for (var i = RandomNumberGenerator.GetInt32(1, 4); i > 0; i--)
            {
                _leaves.Add(Rfc6962.HashLeaf(RandomNumberGenerator.GetBytes(16)));
            }

            var size = (ulong)_leaves.Count;
            return (size, SignedCheckpoint.Sign(new Checkpoint(Origin, size, RootAt(size)), Signer));
        }

        public byte[] RootAt(ulong size) => MerkleTree.RootFromLeafHashes(_leaves[..(int)size]);

        /// <summary>RFC 6962 §2.1.2 PROOF(m, D[n]).</summary>
        public List<byte[]> ConsistencyProof(ulong m, ulong n) => SubProof((int)m, _leaves[..(int)n], true);

        private static List<byte[]> SubProof(int m, List<byte[]> leaves, bool complete)
        {
            var n = leaves.Count;
            if (m == n)
            {
                return complete ? [] : [MerkleTree.RootFromLeafHashes(leaves)];
            }

            var k = 1;
            while (k * 2 < n)
            {
                k *= 2;
            }

            if (m <= k)
            {
                var proof = SubProof(m, leaves[..k], complete);
                proof.Add(MerkleTree.RootFromLeafHashes(leaves[k..]));
                return proof;
            }

            var right = SubProof(m - k, leaves[k..], false);
            right.Add(MerkleTree.RootFromLeafHashes(leaves[..k]));
            return right;
        }
    }
}
