using System.Security.Cryptography;
using CsCheck;
using PrivateSigstore.Core.Merkle;

namespace PrivateSigstore.Core.Tests.Merkle;

/// <summary>The SIMD lanes must agree with the platform SHA-256 for every message length and mix.</summary>
public sealed class Sha256MultiBufferTests
{
    public static TheoryData<int> LaneCounts()
    {
        var data = new TheoryData<int> { 1 };
        if (System.Runtime.Intrinsics.X86.Avx2.IsSupported)
        {
            data.Add(8);
        }

        if (System.Runtime.Intrinsics.X86.Avx512F.IsSupported)
        {
            data.Add(16);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(LaneCounts))]
    public void Every_length_around_block_boundaries_matches_platform_sha256(int lanes)
    {
        // Lengths 0..300 cover every padding case (message = prefix + data, so 55/56/63/64 +-1).
        byte[][] messages = [.. Enumerable.Range(0, 301).Select(n => RandomNumberGenerator.GetBytes(n))];
        AssertMatches(0x00, messages, lanes);
        AssertMatches(0x01, messages, lanes);
    }

    [Theory]
    [MemberData(nameof(LaneCounts))]
    public void Random_mixes_of_lengths_match_platform_sha256(int lanes)
    {
        Gen.Byte.Array[0, 2100].Array[0, 40].Sample(messages => AssertMatches(0x00, messages, lanes), iter: 60);
    }

    [Theory]
    [MemberData(nameof(LaneCounts))]
    public void Equal_length_node_messages_match_platform_sha256(int lanes)
    {
        byte[] pairs = RandomNumberGenerator.GetBytes(64 * 37);
        var source = new StridedMessages(pairs, 64, 64, 37);
        var digests = new byte[37 * 32];
        Sha256MultiBuffer.Hash(0x01, source, digests, lanes);
        for (int i = 0; i < 37; i++)
        {
            Assert.Equal(SHA256.HashData([0x01, .. pairs.AsSpan(i * 64, 64)]), digests.AsSpan(i * 32, 32).ToArray());
        }
    }

    private static void AssertMatches(byte prefix, byte[][] messages, int lanes)
    {
        var digests = new byte[messages.Length * 32];
        Sha256MultiBuffer.Hash(prefix, new ArrayMessages(messages), digests, lanes);
        for (int i = 0; i < messages.Length; i++)
        {
            Assert.Equal(SHA256.HashData([prefix, .. messages[i]]), digests.AsSpan(i * 32, 32).ToArray());
        }
    }
}
