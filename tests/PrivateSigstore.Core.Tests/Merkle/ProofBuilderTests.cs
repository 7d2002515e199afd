using System.Globalization;
using CsCheck;
using PrivateSigstore.Core.Merkle;

namespace PrivateSigstore.Core.Tests.Merkle;

/// <summary>
/// Node selection tables transcribed from transparency-dev/merkle proof/proof_test.go (TestInclusion,
/// TestConsistency) at commit 417fb0c314750d94e53942e9f92e79b6d35915db. Format:
/// "a:b = begin,end | level.index ...", where (begin, end) is the rehash range (0,0 = none).
/// </summary>
public sealed class ProofBuilderTests
{
    public static TheoryData<string> InclusionTable() =>
    [
        "1:0 = 0,0 |",
        "2:0 = 0,0 | 0.1",
        "2:1 = 0,0 | 0.0",
        "3:1 = 1,2 | 0.0 0.2",
        "7:0 = 2,4 | 0.1 1.1 0.6 1.2",
        "7:1 = 2,4 | 0.0 1.1 0.6 1.2",
        "7:2 = 2,4 | 0.3 1.0 0.6 1.2",
        "7:3 = 2,4 | 0.2 1.0 0.6 1.2",
        "7:4 = 1,2 | 0.5 0.6 2.0",
        "7:5 = 1,2 | 0.4 0.6 2.0",
        "7:6 = 0,0 | 1.2 2.0",
        "4:2 = 0,0 | 0.3 1.0",
        "5:3 = 2,3 | 0.2 1.0 0.4",
        "6:3 = 2,3 | 0.2 1.0 1.2",
        "6:4 = 0,0 | 0.5 2.0",
        "15:10 = 2,4 | 0.11 1.4 0.14 1.6 3.0",
        "31:24 = 2,4 | 0.25 1.13 0.30 1.14 3.2 4.0",
        "95:81 = 3,6 | 0.80 1.41 2.21 0.94 1.46 2.22 4.4 6.0",
    ];

    public static TheoryData<string> ConsistencyTable() =>
    [
        "1:2 = 0,0 | 0.1",
        "1:4 = 0,0 | 0.1 1.1",
        "1:6 = 2,3 | 0.1 1.1 1.2",
        "2:3 = 0,1 | 0.2",
        "2:8 = 0,0 | 1.1 2.1",
        "3:7 = 3,5 | 0.2 0.3 1.0 0.6 1.2",
        "4:7 = 0,2 | 0.6 1.2",
        "5:7 = 2,3 | 0.4 0.5 0.6 2.0",
        "6:7 = 1,2 | 1.2 0.6 2.0",
        "7:8 = 0,0 | 0.6 0.7 1.2 2.0",
        "1:1 = 0,0 |",
        "2:2 = 0,0 |",
        "3:3 = 0,0 |",
        "4:4 = 0,0 |",
        "5:5 = 0,0 |",
        "7:7 = 0,0 |",
        "8:8 = 0,0 |",
        "2:4 = 0,0 | 1.1",
        "3:5 = 3,4 | 0.2 0.3 1.0 0.4",
        "3:6 = 3,4 | 0.2 0.3 1.0 1.2",
        "4:6 = 0,1 | 1.2",
        "1:7 = 2,4 | 0.1 1.1 0.6 1.2",
        "10:15 = 2,4 | 1.4 1.5 0.14 1.6 3.0",
        "24:31 = 1,4 | 3.2 0.30 1.14 2.6 4.0",
        "81:95 = 4,7 | 0.80 0.81 1.41 2.21 0.94 1.46 2.22 4.4 6.0",
    ];

    [Theory]
    [MemberData(nameof(InclusionTable))]
    public void Inclusion_selects_the_same_nodes_as_go(string row)
    {
        (ulong size, ulong index, Range rehash, NodeId[] ids) = ParseRow(row);
        ProofNodes nodes = ProofBuilder.Inclusion(index, size);
        Assert.Equal(ids, nodes.Ids);
        Assert.Equal(rehash, nodes.EphemeralChildren);
    }

    [Theory]
    [MemberData(nameof(ConsistencyTable))]
    public void Consistency_selects_the_same_nodes_as_go(string row)
    {
        (ulong size1, ulong size2, Range rehash, NodeId[] ids) = ParseRow(row);
        ProofNodes nodes = ProofBuilder.Consistency(size1, size2);
        Assert.Equal(ids, nodes.Ids);
        Assert.Equal(rehash, nodes.EphemeralChildren);
    }

    [Theory]
    [InlineData(0UL, 0UL)]
    [InlineData(0UL, 1UL)]
    [InlineData(1UL, 2UL)]
    [InlineData(0UL, 3UL)]
    [InlineData(7UL, 8UL)]
    public void Inclusion_rejects_index_outside_the_tree(ulong size, ulong index)
        => Assert.Throws<ArgumentOutOfRangeException>(() => ProofBuilder.Inclusion(index, size));

    [Theory]
    [InlineData(5UL, 0UL)]
    [InlineData(9UL, 8UL)]
    [InlineData(0UL, 5UL)]
    [InlineData(0UL, 0UL)]
    public void Consistency_rejects_bad_sizes(ulong size1, ulong size2)
        => Assert.Throws<ArgumentOutOfRangeException>(() => ProofBuilder.Consistency(size1, size2));

    [Fact]
    public void Node_ids_are_perfect_subtrees_inside_the_tree_and_the_proof_has_the_verifier_length()
    {
        Gen.Select(Gen.ULong, Gen.ULong).Sample((a, b) =>
        {
            ulong size = Math.Max(a, b);
            ulong other = Math.Min(a, b);
            if (size == 0)
            {
                return;
            }

            ProofNodes inclusion = ProofBuilder.Inclusion(other == size ? size - 1 : other, size);
            Assert.All(inclusion.Ids, id => Assert.True(id.End <= size && id.End > id.Begin));
            byte[][] proof = inclusion.Rehash([.. inclusion.Ids.Select(_ => new byte[32])]);
            Assert.Equal(inclusion.ProofLength, proof.Length);

            // The verifier accepts the length (only the root can then differ).
            ulong index = other == size ? size - 1 : other;
            Assert.False(ProofVerifier.TryVerifyInclusion(new byte[32], index, size, proof, Rfc6962.EmptyRoot, out string? reason));
            Assert.Equal(ProofVerifier.RootMismatch, reason);

            ulong size1 = Math.Max(1, other);
            ProofNodes consistency = ProofBuilder.Consistency(size1, size);
            Assert.All(consistency.Ids, id => Assert.True(id.End <= size && id.End > id.Begin));
            byte[][] cproof = consistency.Rehash([.. consistency.Ids.Select(_ => new byte[32])]);
            Assert.False(ProofVerifier.TryVerifyConsistency(size1, size, cproof, new byte[32], Rfc6962.EmptyRoot, out string? creason));
            Assert.DoesNotContain("wrong proof size", creason, StringComparison.Ordinal);
        }, iter: 2000);
    }

    [Fact]
    public void Rehash_checks_its_input()
    {
        ProofNodes nodes = ProofBuilder.Inclusion(0, 7);
        Assert.Throws<ArgumentException>(() => nodes.Rehash([new byte[32]]));
        Assert.Throws<ArgumentException>(() => nodes.Rehash([.. nodes.Ids.Select(_ => new byte[31])]));
        Assert.Throws<InvalidOperationException>(() => ProofBuilder.InclusionProof(0, 7, _ => new byte[31]));
        Assert.Throws<InvalidOperationException>(() => ProofBuilder.ConsistencyProof(3, 7, _ => null!));
    }

    private static (ulong A, ulong B, Range Rehash, NodeId[] Ids) ParseRow(string row)
    {
        string[] parts = row.Split(" = ");
        string[] sizes = parts[0].Split(':');
        string[] rest = parts[1].Split('|');
        string[] range = rest[0].Trim().Split(',');
        NodeId[] ids = [.. rest[1].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(n =>
        {
            string[] li = n.Split('.');
            return new NodeId(int.Parse(li[0], CultureInfo.InvariantCulture), ulong.Parse(li[1], CultureInfo.InvariantCulture));
        })];
        return (ulong.Parse(sizes[0], CultureInfo.InvariantCulture), ulong.Parse(sizes[1], CultureInfo.InvariantCulture),
            int.Parse(range[0], CultureInfo.InvariantCulture)..int.Parse(range[1], CultureInfo.InvariantCulture), ids);
    }
}
