using System.Globalization;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using PrivateSigstore.Core.Merkle;

namespace PrivateSigstore.Core.Tests.Merkle;

/// <summary>
/// The rolling-hash vectors of draft-ietf-plants-merkle-tree-certs as reproduced by
/// transparency-dev/merkle testonly/vectors_test.go (testdata/merkle/subtree-vectors.json). A subtree
/// [start, end) with start a multiple of bit_ceil(end - start) is an RFC 6962 tree of its own, so its
/// hash and inclusion proofs come from MerkleTree / ProofBuilder over the shifted leaves. One digest
/// covers thousands of roots and proofs.
/// </summary>
public sealed class SubtreeVectorTests
{
    private const int Size = 130;

    private static readonly byte[][] Leaves = [.. Enumerable.Range(0, Size).Select(i => Rfc6962.HashLeaf([(byte)i]))];

    [Fact]
    public void Subtree_hashes_match_the_published_digest()
    {
        var text = new StringBuilder();
        for (int end = 0; end <= Size; end++)
        {
            for (int start = 0; start <= end; start++)
            {
                if (IsValidSubtree(start, end))
                {
                    byte[] hash = MerkleTree.ComputeRoot(TestTrees.Flat(Leaves[start..end]));
                    text.Append(CultureInfo.InvariantCulture, $"[{start}, {end}) {Convert.ToHexStringLower(hash)}\n");
                }
            }
        }

        Assert.Equal(Expected("subtreeHashes"), Digest(text));
    }

    [Fact]
    public void Subtree_inclusion_proofs_match_the_published_digest()
    {
        var text = new StringBuilder();
        for (int end = 0; end <= Size; end++)
        {
            for (int start = 0; start <= end; start++)
            {
                if (!IsValidSubtree(start, end))
                {
                    continue;
                }

                byte[][] leaves = Leaves[start..end];
                byte[] root = MerkleTree.RootFromLeafHashes(leaves);
                for (int index = start; index < end; index++)
                {
                    ulong local = (ulong)(index - start);
                    byte[][] proof = ProofBuilder.InclusionProof(local, (ulong)leaves.Length,
                        id => MerkleTree.RootFromLeafHashes(leaves[(int)id.Begin..(int)id.End]));
                    ProofVerifier.VerifyInclusion(leaves[local], local, (ulong)leaves.Length, proof, root);
                    text.Append(CultureInfo.InvariantCulture, $"{index} [{start}, {end})");
                    foreach (byte[] hash in proof)
                    {
                        text.Append(' ').Append(Convert.ToHexStringLower(hash));
                    }

                    text.Append('\n');
                }
            }
        }

        Assert.Equal(Expected("subtreeInclusionProofs"), Digest(text));
    }

    /// <summary>proof.isSubtreeValid: start is 0, or the subtree is empty, or start is a multiple of bit_ceil(end - start).</summary>
    private static bool IsValidSubtree(int start, int end)
        => start == 0 || start == end || start % (int)BitOperations.RoundUpToPowerOf2((uint)(end - start)) == 0;

    private static string Digest(StringBuilder text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(text.ToString())));

    private static string Expected(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestTrees.TestData("subtree-vectors.json")));
        return doc.RootElement.GetProperty(name).GetProperty("sha256").GetString()!;
    }
}
