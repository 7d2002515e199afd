using System.Text.Json;
using System.Text.Json.Serialization;
using CsCheck;
using PrivateSigstore.Core.Merkle;

namespace PrivateSigstore.Core.Tests.Merkle;

public sealed class ProofVerifierTests
{
    /// <summary>
    /// Where we knowingly differ from Go: we require every root to be 32 bytes, so equal sizes with
    /// equal 12-byte "don't care" roots fail here and pass in Go (which compares the roots as opaque bytes).
    /// </summary>
    private static readonly Dictionary<string, bool> WantErrOverrides = new(StringComparer.Ordinal)
    {
        ["consistency/additional/sizes-are-equal-one-and-proof-is-empty.json"] = true,
    };

    public static TheoryData<string> InclusionProbes() => Probes("inclusion");

    public static TheoryData<string> ConsistencyProbes() => Probes("consistency");

    [Theory]
    [MemberData(nameof(InclusionProbes))]
    public void Inclusion_probes_from_transparency_dev_merkle(string file)
    {
        InclusionProbe p = Load<InclusionProbe>(file);
        bool ok = ProofVerifier.TryVerifyInclusion(p.LeafHash ?? [], p.LeafIdx, p.TreeSize, p.Proof ?? [], p.Root ?? [], out string? reason);
        Assert.True(WantErr(file, p.WantErr) != ok, $"{p.Desc}: ok={ok} reason={reason}");
        if (ok)
        {
            ProofVerifier.VerifyInclusion(p.LeafHash ?? [], p.LeafIdx, p.TreeSize, p.Proof ?? [], p.Root ?? []);
        }
        else
        {
            var e = Assert.Throws<ProofVerificationException>(() =>
                ProofVerifier.VerifyInclusion(p.LeafHash ?? [], p.LeafIdx, p.TreeSize, p.Proof ?? [], p.Root ?? []));
            Assert.Equal(reason, e.Reason);
        }
    }

    [Theory]
    [MemberData(nameof(ConsistencyProbes))]
    public void Consistency_probes_from_transparency_dev_merkle(string file)
    {
        ConsistencyProbe p = Load<ConsistencyProbe>(file);
        bool ok = ProofVerifier.TryVerifyConsistency(p.Size1, p.Size2, p.Proof ?? [], p.Root1 ?? [], p.Root2 ?? [], out string? reason);
        Assert.True(WantErr(file, p.WantErr) != ok, $"{p.Desc}: ok={ok} reason={reason}");
        if (!ok)
        {
            var e = Assert.Throws<ProofVerificationException>(() =>
                ProofVerifier.VerifyConsistency(p.Size1, p.Size2, p.Proof ?? [], p.Root1 ?? [], p.Root2 ?? []));
            Assert.Equal(reason, e.Reason);
        }
    }

    [Fact]
    public void Probe_set_has_happy_paths_and_failures()
    {
        var all = ProbeFiles("inclusion").Concat(ProbeFiles("consistency")).ToList();
        Assert.True(all.Count >= 190);
        Assert.True(all.Count(f => f.EndsWith("happy-path.json", StringComparison.Ordinal)) >= 10);
    }

    [Fact]
    public void Proofs_of_the_reference_tree_verify_against_the_constant_roots()
    {
        TestTrees.Reference reference = TestTrees.LoadReference();
        byte[][] leaves = reference.LeafHashes;
        for (ulong size = 1; size <= 8; size++)
        {
            for (ulong index = 0; index < size; index++)
            {
                byte[][] proof = ProofBuilder.InclusionProof(index, size, reference.Node);
                ProofVerifier.VerifyInclusion(leaves[index], index, size, proof, reference.RootHashes[size]);
            }

            for (ulong size1 = 1; size1 <= size; size1++)
            {
                byte[][] proof = ProofBuilder.ConsistencyProof(size1, size, reference.Node);
                ProofVerifier.VerifyConsistency(size1, size, proof, reference.RootHashes[size1], reference.RootHashes[size]);
            }
        }
    }

    [Fact]
    public void Every_proof_in_trees_up_to_64_leaves_verifies()
    {
        for (ulong size = 1; size <= 64; size++)
        {
            byte[] root = TestTrees.ReferenceRoot(size);
            for (ulong index = 0; index < size; index++)
            {
                byte[][] proof = ProofBuilder.InclusionProof(index, size, TestTrees.ReferenceNode);
                Assert.Equal(root, ProofVerifier.RootFromInclusionProof(TestTrees.LeafHashes[index], index, size, proof));
            }

            for (ulong size1 = 1; size1 <= size; size1++)
            {
                byte[][] proof = ProofBuilder.ConsistencyProof(size1, size, TestTrees.ReferenceNode);
                Assert.Equal(root, ProofVerifier.RootFromConsistencyProof(size1, size, proof, TestTrees.ReferenceRoot(size1)));
            }
        }
    }

    [Fact]
    public void Inclusion_proofs_verify_and_any_flipped_bit_breaks_them()
    {
        Gen.ULong[1, TestTrees.MaxLeaves].SelectMany(size => Gen.Select(Gen.ULong[0, size - 1], Gen.Int[0, 100], Gen.Int[0, 255]).Select(t => (size, t.Item1, t.Item2, t.Item3)))
            .Sample((size, index, target, bit) =>
            {
                byte[] root = TestTrees.ReferenceRoot(size);
                byte[] leaf = TestTrees.LeafHashes[index];
                byte[][] proof = ProofBuilder.InclusionProof(index, size, TestTrees.ReferenceNode);
                Assert.Equal(ProofBuilder.Inclusion(index, size).ProofLength, proof.Length);
                ProofVerifier.VerifyInclusion(leaf, index, size, proof, root);

                // Flip one bit of the root, the leaf, or one proof hash.
                int which = target % (proof.Length + 2);
                if (which == proof.Length)
                {
                    root = TestTrees.Flip(root, bit);
                }
                else if (which == proof.Length + 1)
                {
                    leaf = TestTrees.Flip(leaf, bit);
                }
                else
                {
                    proof[which] = TestTrees.Flip(proof[which], bit);
                }

                var e = Assert.Throws<ProofVerificationException>(() => ProofVerifier.VerifyInclusion(leaf, index, size, proof, root));
                Assert.Equal(ProofVerifier.RootMismatch, e.Reason);
            }, iter: 300);
    }

    [Fact]
    public void Consistency_proofs_verify_and_any_flipped_bit_breaks_them()
    {
        Gen.ULong[1, TestTrees.MaxLeaves].SelectMany(size2 => Gen.Select(Gen.ULong[1, size2], Gen.Int[0, 100], Gen.Int[0, 255]).Select(t => (size2, t.Item1, t.Item2, t.Item3)))
            .Sample((size2, size1, target, bit) =>
            {
                byte[] root1 = TestTrees.ReferenceRoot(size1);
                byte[] root2 = TestTrees.ReferenceRoot(size2);
                byte[][] proof = ProofBuilder.ConsistencyProof(size1, size2, TestTrees.ReferenceNode);
                ProofVerifier.VerifyConsistency(size1, size2, proof, root1, root2);

                int which = target % (proof.Length + 2);
                if (which == proof.Length)
                {
                    root1 = TestTrees.Flip(root1, bit);
                }
                else if (which == proof.Length + 1)
                {
                    root2 = TestTrees.Flip(root2, bit);
                }
                else
                {
                    proof[which] = TestTrees.Flip(proof[which], bit);
                }

                Assert.Throws<ProofVerificationException>(() => ProofVerifier.VerifyConsistency(size1, size2, proof, root1, root2));
            }, iter: 300);
    }

    [Fact]
    public void Every_bit_of_every_hash_matters_in_a_seven_leaf_tree()
    {
        byte[] root = TestTrees.ReferenceRoot(7);
        for (ulong index = 0; index < 7; index++)
        {
            byte[][] proof = ProofBuilder.InclusionProof(index, 7, TestTrees.ReferenceNode);
            for (int k = 0; k < proof.Length; k++)
            {
                for (int bit = 0; bit < 256; bit++)
                {
                    byte[][] bad = [.. proof];
                    bad[k] = TestTrees.Flip(proof[k], bit);
                    Assert.False(ProofVerifier.TryVerifyInclusion(TestTrees.LeafHashes[index], index, 7, bad, root, out _));
                }
            }
        }
    }

    [Fact]
    public void Malformed_inclusion_input_fails_with_a_reason()
    {
        byte[] root = TestTrees.ReferenceRoot(7);
        byte[] leaf = TestTrees.LeafHashes[2];
        byte[][] proof = ProofBuilder.InclusionProof(2, 7, TestTrees.ReferenceNode);

        AssertReason("index is beyond size: 7 >= 7", () => ProofVerifier.VerifyInclusion(leaf, 7, 7, proof, root));
        AssertReason("index is beyond size: 0 >= 0", () => ProofVerifier.VerifyInclusion(leaf, 0, 0, [], root));
        AssertReason("leaf hash has unexpected size 31, want 32", () => ProofVerifier.VerifyInclusion(leaf.AsSpan(0, 31), 2, 7, proof, root));
        AssertReason("wrong proof size 2, want 3", () => ProofVerifier.VerifyInclusion(leaf, 2, 7, proof[..2], root));
        AssertReason("wrong proof size 4, want 3", () => ProofVerifier.VerifyInclusion(leaf, 2, 7, [.. proof, root], root));
        AssertReason("proof hash 1 has unexpected size 31, want 32", () => ProofVerifier.VerifyInclusion(leaf, 2, 7, [proof[0], proof[1][..31], proof[2]], root));
        AssertReason("proof hash 0 has unexpected size 0, want 32", () => ProofVerifier.VerifyInclusion(leaf, 2, 7, [null!, proof[1], proof[2]], root));
        AssertReason("root has unexpected size 33, want 32", () => ProofVerifier.VerifyInclusion(leaf, 2, 7, proof, [.. root, 0]));
        AssertReason(ProofVerifier.RootMismatch, () => ProofVerifier.VerifyInclusion(leaf, 3, 7, proof, root));
        Assert.Throws<ProofVerificationException>(() => ProofVerifier.RootFromInclusionProof(leaf, 9, 7, proof));
        Assert.Throws<ArgumentNullException>(() => ProofVerifier.VerifyInclusion(leaf, 2, 7, null!, root));
    }

    [Fact]
    public void Malformed_consistency_input_fails_with_a_reason()
    {
        byte[] root3 = TestTrees.ReferenceRoot(3);
        byte[] root7 = TestTrees.ReferenceRoot(7);
        byte[][] proof = ProofBuilder.ConsistencyProof(3, 7, TestTrees.ReferenceNode);

        AssertReason("size2 (3) < size1 (7)", () => ProofVerifier.VerifyConsistency(7, 3, proof, root7, root3));
        AssertReason("consistency proof from empty tree is meaningless", () => ProofVerifier.VerifyConsistency(0, 7, proof, Rfc6962.EmptyRoot, root7));
        AssertReason("consistency proof from empty tree is meaningless", () => ProofVerifier.VerifyConsistency(0, 0, [], Rfc6962.EmptyRoot, Rfc6962.EmptyRoot));
        AssertReason("size1=size2, but proof is not empty", () => ProofVerifier.VerifyConsistency(7, 7, proof, root7, root7));
        AssertReason(ProofVerifier.RootMismatch, () => ProofVerifier.VerifyConsistency(7, 7, [], root7, root3));
        AssertReason("empty proof", () => ProofVerifier.VerifyConsistency(3, 7, [], root3, root7));
        AssertReason($"wrong proof size {proof.Length - 1}, want {proof.Length}", () => ProofVerifier.VerifyConsistency(3, 7, proof[1..], root3, root7));
        AssertReason("root1 has unexpected size 31, want 32", () => ProofVerifier.VerifyConsistency(3, 7, proof, root3.AsSpan(0, 31), root7));
        AssertReason("root2 has unexpected size 0, want 32", () => ProofVerifier.VerifyConsistency(3, 7, proof, root3, []));
        AssertReason("calculated root1 differs from expected root1", () => ProofVerifier.VerifyConsistency(3, 7, proof, root7, root7));
        AssertReason($"proof hash 0 has unexpected size 31, want 32", () => ProofVerifier.VerifyConsistency(3, 7, [proof[0][..31], .. proof[1..]], root3, root7));
        Assert.Throws<ProofVerificationException>(() => ProofVerifier.RootFromConsistencyProof(3, 7, [], root3));
    }

    [Fact]
    public void Garbage_input_only_ever_fails_with_proof_verification_exception()
    {
        Gen.Select(Gen.ULong, Gen.ULong, Gen.Byte.Array[0, 40].Array[0, 70], Gen.Byte.Array[0, 40]).Sample((a, b, proof, hash) =>
        {
            foreach ((ulong x, ulong y) in new[] { (a, b), (a % 100, b % 100), (a >> 1, ulong.MaxValue), (a % 8, 8UL) })
            {
                ProofVerifier.TryVerifyInclusion(hash, x, y, proof, hash, out _);
                ProofVerifier.TryVerifyConsistency(x, y, proof, hash, hash, out _);
                try
                {
                    ProofVerifier.VerifyInclusion(hash, x, y, proof, hash);
                    ProofVerifier.VerifyConsistency(x, y, proof, hash, hash);
                }
                catch (ProofVerificationException)
                {
                }
            }
        }, iter: 2000);
    }

    [Fact]
    public void Successful_verification_does_not_allocate()
    {
        byte[] root = TestTrees.ReferenceRoot(1000);
        byte[] leaf = TestTrees.LeafHashes[333];
        byte[][] proof = ProofBuilder.InclusionProof(333, 1000, TestTrees.ReferenceNode);
        ProofVerifier.VerifyInclusion(leaf, 333, 1000, proof, root);
        long before = GC.GetAllocatedBytesForCurrentThread();
        ProofVerifier.VerifyInclusion(leaf, 333, 1000, proof, root);
        Assert.Equal(before, GC.GetAllocatedBytesForCurrentThread());
    }

    private static void AssertReason(string reason, Action verify)
    {
        var e = Assert.Throws<ProofVerificationException>(verify);
        Assert.Equal(reason, e.Reason);
        Assert.IsType<WireFormatException>(e, exactMatch: false);
    }

    private static bool WantErr(string file, bool wantErr) => WantErrOverrides.TryGetValue(file, out bool over) ? over : wantErr;

    private static TheoryData<string> Probes(string kind) => [.. ProbeFiles(kind)];

    private static List<string> ProbeFiles(string kind)
    {
        string root = TestTrees.TestData();
        return [.. Directory.EnumerateFiles(Path.Combine(root, kind), "*.json", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(root, path).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)];
    }

    private static T Load<T>(string file)
        => JsonSerializer.Deserialize<T>(File.ReadAllText(TestTrees.TestData(file)))!;

    private sealed record InclusionProbe(
        [property: JsonPropertyName("leafIdx")] ulong LeafIdx,
        [property: JsonPropertyName("treeSize")] ulong TreeSize,
        [property: JsonPropertyName("root")] byte[]? Root,
        [property: JsonPropertyName("leafHash")] byte[]? LeafHash,
        [property: JsonPropertyName("proof")] byte[][]? Proof,
        [property: JsonPropertyName("desc")] string Desc,
        [property: JsonPropertyName("wantErr")] bool WantErr);

    private sealed record ConsistencyProbe(
        [property: JsonPropertyName("size1")] ulong Size1,
        [property: JsonPropertyName("size2")] ulong Size2,
        [property: JsonPropertyName("root1")] byte[]? Root1,
        [property: JsonPropertyName("root2")] byte[]? Root2,
        [property: JsonPropertyName("proof")] byte[][]? Proof,
        [property: JsonPropertyName("desc")] string Desc,
        [property: JsonPropertyName("wantErr")] bool WantErr);
}
