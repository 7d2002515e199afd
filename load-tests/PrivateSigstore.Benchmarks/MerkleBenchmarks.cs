using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using PrivateSigstore.Core.Merkle;

namespace PrivateSigstore.Benchmarks;

/// <summary>RFC 6962 leaf hashing: one at a time (platform SHA-256) and in multi-buffer batches. Figures are per leaf.</summary>
[MemoryDiagnoser]
public class MerkleHashingBenchmarks
{
    private const int Batch = 1000;
    private byte[][] _leaves = [];
    private byte[] _digests = [];

    [Params(64, 1024)]
    public int LeafBytes { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _leaves = [.. Enumerable.Range(0, Batch).Select(_ => RandomNumberGenerator.GetBytes(LeafBytes))];
        _digests = new byte[Batch * Rfc6962.HashSize];
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch, Description = "HashLeaf, one by one")]
    public void HashLeafOneByOne()
    {
        for (int i = 0; i < _leaves.Length; i++)
        {
            Rfc6962.HashLeaf(_leaves[i], _digests.AsSpan(i * Rfc6962.HashSize, Rfc6962.HashSize));
        }
    }

    [Benchmark(OperationsPerInvoke = Batch, Description = "HashLeaves, batch of 1000")]
    public void HashLeavesBatch() => Rfc6962.HashLeaves(_leaves, _digests);
}

/// <summary>
/// Integrating a batch of 64-byte entries into a compact range: leaf hashing, interior nodes, and a
/// visitor that copies every node at a tile level (level % 8 == 0) into a tile buffer, as a log
/// engine does. Figures are per leaf.
/// </summary>
[MemoryDiagnoser]
public class MerkleIntegrationBenchmarks
{
    private const int StartSize = 1_000_003;
    private byte[][] _entries = [];
    private byte[] _leafHashes = [];
    private CompactRange _start = CompactRange.Empty();
    private readonly byte[] _tile = new byte[256 * Rfc6962.HashSize];
    private NodeVisitor _visitor = null!;

    [Params(256, 1000)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _entries = [.. Enumerable.Range(0, BatchSize).Select(_ => RandomNumberGenerator.GetBytes(64))];
        _leafHashes = new byte[BatchSize * Rfc6962.HashSize];
        Rfc6962.HashLeaves(_entries, _leafHashes);
        _start = new CompactRange(StartSize, [.. Enumerable.Range(0, System.Numerics.BitOperations.PopCount((ulong)StartSize))
            .Select(_ => RandomNumberGenerator.GetBytes(Rfc6962.HashSize))]);
        _visitor = (id, hash) =>
        {
            if (id.Level % 8 == 0)
            {
                hash.CopyTo(_tile.AsSpan((int)(id.Index % 256) * Rfc6962.HashSize));
            }
        };
    }

    [Benchmark(Baseline = true, Description = "one by one: HashLeaf + Append")]
    public CompactRange OneByOne()
    {
        CompactRange range = _start.Clone();
        Span<byte> leafHash = stackalloc byte[Rfc6962.HashSize];
        foreach (byte[] entry in _entries)
        {
            Rfc6962.HashLeaf(entry, leafHash);
            range.Append(leafHash, _visitor);
        }

        return range;
    }

    [Benchmark(Description = "batch: AppendEntries (leaf hash + nodes + visitor)")]
    public CompactRange Batch()
    {
        CompactRange range = _start.Clone();
        range.AppendEntries(_entries, _visitor);
        return range;
    }

    [Benchmark(Description = "batch: AppendMany (nodes + visitor, leaves pre-hashed)")]
    public CompactRange BatchPrehashed()
    {
        CompactRange range = _start.Clone();
        range.AppendMany(_leafHashes, _visitor);
        return range;
    }
}

/// <summary>Root computation, proof generation from an in-memory node store, and proof verification at size ~1M.</summary>
[MemoryDiagnoser]
public class MerkleTreeBenchmarks
{
    private const int Size = 1 << 20;
    private const ulong TreeSize = 1_000_003;
    private const ulong OldSize = 500_001;
    private const ulong Index = 777_777;
    private byte[] _leafHashes = [];
    private byte[][] _levels = [];
    private byte[] _root = [];
    private byte[] _oldRoot = [];
    private byte[][] _inclusion = [];
    private byte[][] _consistency = [];
    private Func<NodeId, byte[]> _getNode = null!;

    [GlobalSetup]
    public void Setup()
    {
        _leafHashes = RandomNumberGenerator.GetBytes(Size * Rfc6962.HashSize);

        // The node store: every perfect subtree of the first TreeSize leaves, one flat array per level.
        _levels = new byte[21][];
        for (int level = 0; level < _levels.Length; level++)
        {
            _levels[level] = new byte[(int)(TreeSize >> level) * Rfc6962.HashSize];
        }

        var range = CompactRange.Empty();
        range.AppendMany(_leafHashes.AsSpan(0, (int)OldSize * Rfc6962.HashSize), Store);
        _oldRoot = range.GetRootHash();
        range.AppendMany(_leafHashes.AsSpan((int)OldSize * Rfc6962.HashSize, (int)(TreeSize - OldSize) * Rfc6962.HashSize), Store);
        _root = range.GetRootHash();
        _getNode = id => _levels[id.Level].AsSpan((int)id.Index * Rfc6962.HashSize, Rfc6962.HashSize).ToArray();
        _inclusion = ProofBuilder.InclusionProof(Index, TreeSize, _getNode);
        _consistency = ProofBuilder.ConsistencyProof(OldSize, TreeSize, _getNode);
    }

    [Benchmark(Description = "ComputeRoot, 2^20 leaf hashes")]
    public byte[] ComputeRoot() => MerkleTree.ComputeRoot(_leafHashes);

    [Benchmark(Description = "InclusionProof, size 1,000,003")]
    public byte[][] InclusionProof() => ProofBuilder.InclusionProof(Index, TreeSize, _getNode);

    [Benchmark(Description = "ConsistencyProof, 500,001 -> 1,000,003")]
    public byte[][] ConsistencyProof() => ProofBuilder.ConsistencyProof(OldSize, TreeSize, _getNode);

    [Benchmark(Description = "VerifyInclusion, size 1,000,003")]
    public void VerifyInclusion()
        => ProofVerifier.VerifyInclusion(_leafHashes.AsSpan((int)Index * Rfc6962.HashSize, Rfc6962.HashSize), Index, TreeSize, _inclusion, _root);

    [Benchmark(Description = "VerifyConsistency, 500,001 -> 1,000,003")]
    public void VerifyConsistency() => ProofVerifier.VerifyConsistency(OldSize, TreeSize, _consistency, _oldRoot, _root);

    private void Store(NodeId id, ReadOnlySpan<byte> hash) => hash.CopyTo(_levels[id.Level].AsSpan((int)id.Index * Rfc6962.HashSize));
}
