using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;

namespace PrivateSigstore.Core.Merkle;

/// <summary>
/// A source of messages for <see cref="Sha256MultiBuffer"/>: message <c>i</c> is
/// <c>prefix || this[i]</c>, where the one-byte prefix is supplied to the hash call.
/// </summary>
internal interface IMessageSource
{
    /// <summary>The number of messages.</summary>
    int Count { get; }

    /// <summary>The bytes of message <paramref name="index"/> after the prefix byte.</summary>
    ReadOnlySpan<byte> this[int index] { get; }
}

/// <summary>Messages of equal length laid out at a fixed stride in one buffer.</summary>
internal readonly ref struct StridedMessages : IMessageSource
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly int _length;
    private readonly int _stride;

    public StridedMessages(ReadOnlySpan<byte> data, int length, int stride, int count)
    {
        _data = data;
        _length = length;
        _stride = stride;
        Count = count;
    }

    public int Count { get; }

    public ReadOnlySpan<byte> this[int index] => _data.Slice(index * _stride, _length);
}

/// <summary>Messages held as a list of byte arrays.</summary>
internal readonly struct ArrayMessages(IReadOnlyList<byte[]> items) : IMessageSource
{
    public int Count => items.Count;

    public ReadOnlySpan<byte> this[int index] => items[index];
}

/// <summary>Messages held as a span of memory blocks.</summary>
internal readonly ref struct MemoryMessages(ReadOnlySpan<ReadOnlyMemory<byte>> items) : IMessageSource
{
    private readonly ReadOnlySpan<ReadOnlyMemory<byte>> _items = items;

    public int Count => _items.Length;

    public ReadOnlySpan<byte> this[int index] => _items[index].Span;
}

/// <summary>
/// Multi-buffer SHA-256: hashes many independent messages at once, one message per SIMD lane
/// (16 lanes with AVX-512, 8 with AVX2), falling back to <see cref="SHA256.HashData(ReadOnlySpan{byte}, Span{byte})"/>
/// one message at a time elsewhere. Merkle integration hashes thousands of independent 65-byte
/// node messages per batch, for which the per-call overhead of the platform hash dominates.
/// </summary>
internal static class Sha256MultiBuffer
{
    private const int BlockSize = 64;
    private const int DigestSize = 32;

    /// <summary>Below this many messages the scalar platform hash is faster than a part-filled SIMD batch.</summary>
    private const int MinimumBatch = 3;

    /// <summary>Messages up to this length are staged on the stack by the scalar path.</summary>
    private const int StackMessageLimit = 1024;

    /// <summary>Messages up to this length use a smaller (cheaper to zero) stack buffer.</summary>
    private const int SmallMessageLimit = 128;

    private static readonly uint[] RoundConstants =
    [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ];

    private static readonly uint[] InitialState =
    [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ];

    /// <summary>The lane count used on this machine: 16 (AVX-512), 8 (AVX2) or 1 (platform hash).</summary>
    public static int DefaultLanes { get; } =
        Avx512F.IsSupported && Vector512.IsHardwareAccelerated ? 16
        : Avx2.IsSupported && Vector256.IsHardwareAccelerated ? 8
        : 1;

    /// <summary>Hashes <c>prefix || source[i]</c> into <c>destination[32*i .. 32*i+32)</c> for every message.</summary>
    public static void Hash<TSource>(byte prefix, scoped in TSource source, Span<byte> destination)
        where TSource : IMessageSource, allows ref struct
        => Hash(prefix, source, destination, DefaultLanes);

    /// <summary>As <see cref="Hash{TSource}(byte, in TSource, Span{byte})"/> with an explicit lane count (1, 8 or 16; tests use this).</summary>
    public static void Hash<TSource>(byte prefix, scoped in TSource source, Span<byte> destination, int lanes)
        where TSource : IMessageSource, allows ref struct
    {
        int count = source.Count;
        if (destination.Length < count * DigestSize)
        {
            throw new ArgumentException("destination is too short for the digests", nameof(destination));
        }

        int done = 0;
        if (lanes == 16 && Avx512F.IsSupported)
        {
            Span<uint> words = stackalloc uint[16 * 16];
            Span<uint> stateOut = stackalloc uint[8 * 16];
            for (; count - done >= MinimumBatch; done += 16)
            {
                Batch512(prefix, source, done, Math.Min(16, count - done), destination, words, stateOut);
            }
        }
        else if (lanes == 8 && Avx2.IsSupported)
        {
            Span<uint> words = stackalloc uint[16 * 8];
            Span<uint> stateOut = stackalloc uint[8 * 8];
            for (; count - done >= MinimumBatch; done += 8)
            {
                Batch256(prefix, source, done, Math.Min(8, count - done), destination, words, stateOut);
            }
        }

        for (int i = done; i < count; i++)
        {
            HashOne(prefix, source[i], destination.Slice(i * DigestSize, DigestSize));
        }
    }

    /// <summary>SHA-256 of <c>prefix || data</c> with the platform hash; no heap allocation for short data.</summary>
    public static void HashOne(byte prefix, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (data.Length < StackMessageLimit)
        {
            // stackalloc is zero-initialised: keep the common short case small.
            Span<byte> message = data.Length < SmallMessageLimit ? stackalloc byte[SmallMessageLimit] : stackalloc byte[StackMessageLimit];
            message[0] = prefix;
            data.CopyTo(message[1..]);
            SHA256.HashData(message[..(data.Length + 1)], destination);
            return;
        }

        byte[] rented = System.Buffers.ArrayPool<byte>.Shared.Rent(data.Length + 1);
        try
        {
            rented[0] = prefix;
            data.CopyTo(rented.AsSpan(1));
            SHA256.HashData(rented.AsSpan(0, data.Length + 1), destination);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The number of 64-byte blocks of a padded message of <paramref name="messageLength"/> bytes.</summary>
    private static int BlockCount(int messageLength) => ((messageLength + 8) / BlockSize) + 1;

    /// <summary>
    /// Writes the 16 big-endian words of block <paramref name="blockIndex"/> of the padded message
    /// <c>prefix || data</c> into <c>words[t * lanes + lane]</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadBlock(byte prefix, ReadOnlySpan<byte> data, int blockIndex, Span<uint> words, int lane, int lanes)
    {
        int messageLength = data.Length + 1;
        int start = blockIndex * BlockSize;
        if (start + BlockSize <= messageLength)
        {
            // A block made only of message bytes: read the words straight from the data
            // (message byte p is data[p - 1]).
            ref byte src = ref MemoryMarshal.GetReference(data);
            int t = 0;
            if (blockIndex == 0)
            {
                words[lane] = ((uint)prefix << 24) | ((uint)src << 16) | ((uint)Unsafe.Add(ref src, 1) << 8) | Unsafe.Add(ref src, 2);
                t = 1;
            }

            for (; t < 16; t++)
            {
                uint raw = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref src, start + (4 * t) - 1));
                words[(t * lanes) + lane] = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(raw) : raw;
            }

            return;
        }

        // The block holds the end of the message and/or the padding (0x80, zeros, 64-bit bit length).
        int remaining = messageLength - start;
        bool last = blockIndex == BlockCount(messageLength) - 1;
        ulong bitLength = (ulong)messageLength * 8;
        for (int t = 0; t < 16; t++)
        {
            int p = 4 * t;
            uint word;
            if (p + 4 <= remaining && (start + p) > 0)
            {
                uint raw = Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref MemoryMarshal.GetReference(data), start + p - 1));
                word = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(raw) : raw;
            }
            else if (p <= remaining)
            {
                word = 0;
                for (int k = 0; k < 4; k++)
                {
                    int q = start + p + k;
                    uint b = p + k < remaining ? (q == 0 ? prefix : data[q - 1]) : p + k == remaining ? 0x80u : 0u;
                    word = (word << 8) | b;
                }
            }
            else
            {
                word = 0;
            }

            if (last && t >= 14)
            {
                word = t == 14 ? (uint)(bitLength >> 32) : (uint)bitLength;
            }

            words[(t * lanes) + lane] = word;
        }
    }

    private static void StoreDigest(ReadOnlySpan<uint> stateOut, int lane, int lanes, Span<byte> destination)
    {
        for (int k = 0; k < 8; k++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[(4 * k)..], stateOut[(k * lanes) + lane]);
        }
    }

    private static void Batch512<TSource>(
        byte prefix, scoped in TSource source, int first, int active, Span<byte> destination,
        Span<uint> words, Span<uint> stateOut)
        where TSource : IMessageSource, allows ref struct
    {
        const int Lanes = 16;
        Span<int> blocks = stackalloc int[Lanes];
        int maxBlocks = 0;
        for (int j = 0; j < active; j++)
        {
            blocks[j] = BlockCount(source[first + j].Length + 1);
            maxBlocks = Math.Max(maxBlocks, blocks[j]);
        }

        Span<Vector512<uint>> state = stackalloc Vector512<uint>[8];
        for (int k = 0; k < 8; k++)
        {
            state[k] = Vector512.Create(InitialState[k]);
        }

        for (int b = 0; b < maxBlocks; b++)
        {
            bool anyDone = false;
            for (int j = 0; j < active; j++)
            {
                if (b < blocks[j])
                {
                    LoadBlock(prefix, source[first + j], b, words, j, Lanes);
                    anyDone |= b == blocks[j] - 1;
                }
            }

            Compress512(state, words);
            if (!anyDone)
            {
                continue;
            }

            for (int k = 0; k < 8; k++)
            {
                state[k].StoreUnsafe(ref MemoryMarshal.GetReference(stateOut), (nuint)(k * Lanes));
            }

            for (int j = 0; j < active; j++)
            {
                if (b == blocks[j] - 1)
                {
                    StoreDigest(stateOut, j, Lanes, destination.Slice((first + j) * DigestSize, DigestSize));
                }
            }
        }
    }

    private static void Batch256<TSource>(
        byte prefix, scoped in TSource source, int first, int active, Span<byte> destination,
        Span<uint> words, Span<uint> stateOut)
        where TSource : IMessageSource, allows ref struct
    {
        const int Lanes = 8;
        Span<int> blocks = stackalloc int[Lanes];
        int maxBlocks = 0;
        for (int j = 0; j < active; j++)
        {
            blocks[j] = BlockCount(source[first + j].Length + 1);
            maxBlocks = Math.Max(maxBlocks, blocks[j]);
        }

        Span<Vector256<uint>> state = stackalloc Vector256<uint>[8];
        for (int k = 0; k < 8; k++)
        {
            state[k] = Vector256.Create(InitialState[k]);
        }

        for (int b = 0; b < maxBlocks; b++)
        {
            bool anyDone = false;
            for (int j = 0; j < active; j++)
            {
                if (b < blocks[j])
                {
                    LoadBlock(prefix, source[first + j], b, words, j, Lanes);
                    anyDone |= b == blocks[j] - 1;
                }
            }

            Compress256(state, words);
            if (!anyDone)
            {
                continue;
            }

            for (int k = 0; k < 8; k++)
            {
                state[k].StoreUnsafe(ref MemoryMarshal.GetReference(stateOut), (nuint)(k * Lanes));
            }

            for (int j = 0; j < active; j++)
            {
                if (b == blocks[j] - 1)
                {
                    StoreDigest(stateOut, j, Lanes, destination.Slice((first + j) * DigestSize, DigestSize));
                }
            }
        }
    }

    // ---- AVX-512: 16 lanes, native rotates and three-input logic ------------------------------------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Ror(Vector512<uint> x, [ConstantExpected] byte n) => Avx512F.RotateRight(x, n);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Xor3(Vector512<uint> a, Vector512<uint> b, Vector512<uint> c) => Avx512F.TernaryLogic(a, b, c, 0x96);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<uint> Schedule512(Span<Vector512<uint>> w, int t)
    {
        Vector512<uint> w2 = w[(t - 2) & 15];
        Vector512<uint> w15 = w[(t - 15) & 15];
        Vector512<uint> s1 = Xor3(Ror(w2, 17), Ror(w2, 19), Avx512F.ShiftRightLogical(w2, 10));
        Vector512<uint> s0 = Xor3(Ror(w15, 7), Ror(w15, 18), Avx512F.ShiftRightLogical(w15, 3));
        Vector512<uint> value = w[t & 15] + s0 + w[(t - 7) & 15] + s1;
        w[t & 15] = value;
        return value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round512(
        Vector512<uint> a, Vector512<uint> b, Vector512<uint> c, ref Vector512<uint> d,
        Vector512<uint> e, Vector512<uint> f, Vector512<uint> g, ref Vector512<uint> h,
        Vector512<uint> kw)
    {
        Vector512<uint> t1 = h + Xor3(Ror(e, 6), Ror(e, 11), Ror(e, 25)) + Avx512F.TernaryLogic(e, f, g, 0xCA) + kw;
        Vector512<uint> t2 = Xor3(Ror(a, 2), Ror(a, 13), Ror(a, 22)) + Avx512F.TernaryLogic(a, b, c, 0xE8);
        d += t1;
        h = t1 + t2;
    }

    private static void Compress512(Span<Vector512<uint>> state, ReadOnlySpan<uint> words)
    {
        Span<Vector512<uint>> w = stackalloc Vector512<uint>[16];
        ref uint src = ref MemoryMarshal.GetReference(words);
        for (int t = 0; t < 16; t++)
        {
            w[t] = Vector512.LoadUnsafe(ref src, (nuint)(t * 16));
        }

        Vector512<uint> a = state[0], b = state[1], c = state[2], d = state[3];
        Vector512<uint> e = state[4], f = state[5], g = state[6], h = state[7];
        ReadOnlySpan<uint> k = RoundConstants;
        for (int t = 0; t < 16; t += 8)
        {
            Round512(a, b, c, ref d, e, f, g, ref h, Vector512.Create(k[t]) + w[t]);
            Round512(h, a, b, ref c, d, e, f, ref g, Vector512.Create(k[t + 1]) + w[t + 1]);
            Round512(g, h, a, ref b, c, d, e, ref f, Vector512.Create(k[t + 2]) + w[t + 2]);
            Round512(f, g, h, ref a, b, c, d, ref e, Vector512.Create(k[t + 3]) + w[t + 3]);
            Round512(e, f, g, ref h, a, b, c, ref d, Vector512.Create(k[t + 4]) + w[t + 4]);
            Round512(d, e, f, ref g, h, a, b, ref c, Vector512.Create(k[t + 5]) + w[t + 5]);
            Round512(c, d, e, ref f, g, h, a, ref b, Vector512.Create(k[t + 6]) + w[t + 6]);
            Round512(b, c, d, ref e, f, g, h, ref a, Vector512.Create(k[t + 7]) + w[t + 7]);
        }

        for (int t = 16; t < 64; t += 8)
        {
            Round512(a, b, c, ref d, e, f, g, ref h, Vector512.Create(k[t]) + Schedule512(w, t));
            Round512(h, a, b, ref c, d, e, f, ref g, Vector512.Create(k[t + 1]) + Schedule512(w, t + 1));
            Round512(g, h, a, ref b, c, d, e, ref f, Vector512.Create(k[t + 2]) + Schedule512(w, t + 2));
            Round512(f, g, h, ref a, b, c, d, ref e, Vector512.Create(k[t + 3]) + Schedule512(w, t + 3));
            Round512(e, f, g, ref h, a, b, c, ref d, Vector512.Create(k[t + 4]) + Schedule512(w, t + 4));
            Round512(d, e, f, ref g, h, a, b, ref c, Vector512.Create(k[t + 5]) + Schedule512(w, t + 5));
            Round512(c, d, e, ref f, g, h, a, ref b, Vector512.Create(k[t + 6]) + Schedule512(w, t + 6));
            Round512(b, c, d, ref e, f, g, h, ref a, Vector512.Create(k[t + 7]) + Schedule512(w, t + 7));
        }

        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
        state[5] += f;
        state[6] += g;
        state[7] += h;
    }

    // ---- AVX2: 8 lanes, rotates from shifts ---------------------------------------------------------

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Ror(Vector256<uint> x, int n)
        => Vector256.ShiftRightLogical(x, n) | Vector256.ShiftLeft(x, 32 - n);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Schedule256(Span<Vector256<uint>> w, int t)
    {
        Vector256<uint> w2 = w[(t - 2) & 15];
        Vector256<uint> w15 = w[(t - 15) & 15];
        Vector256<uint> s1 = Ror(w2, 17) ^ Ror(w2, 19) ^ Vector256.ShiftRightLogical(w2, 10);
        Vector256<uint> s0 = Ror(w15, 7) ^ Ror(w15, 18) ^ Vector256.ShiftRightLogical(w15, 3);
        Vector256<uint> value = w[t & 15] + s0 + w[(t - 7) & 15] + s1;
        w[t & 15] = value;
        return value;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round256(
        Vector256<uint> a, Vector256<uint> b, Vector256<uint> c, ref Vector256<uint> d,
        Vector256<uint> e, Vector256<uint> f, Vector256<uint> g, ref Vector256<uint> h,
        Vector256<uint> kw)
    {
        Vector256<uint> ch = g ^ (e & (f ^ g));
        Vector256<uint> maj = (a & b) | (c & (a | b));
        Vector256<uint> t1 = h + (Ror(e, 6) ^ Ror(e, 11) ^ Ror(e, 25)) + ch + kw;
        Vector256<uint> t2 = (Ror(a, 2) ^ Ror(a, 13) ^ Ror(a, 22)) + maj;
        d += t1;
        h = t1 + t2;
    }

    private static void Compress256(Span<Vector256<uint>> state, ReadOnlySpan<uint> words)
    {
        Span<Vector256<uint>> w = stackalloc Vector256<uint>[16];
        ref uint src = ref MemoryMarshal.GetReference(words);
        for (int t = 0; t < 16; t++)
        {
            w[t] = Vector256.LoadUnsafe(ref src, (nuint)(t * 8));
        }

        Vector256<uint> a = state[0], b = state[1], c = state[2], d = state[3];
        Vector256<uint> e = state[4], f = state[5], g = state[6], h = state[7];
        ReadOnlySpan<uint> k = RoundConstants;
        for (int t = 0; t < 16; t += 8)
        {
            Round256(a, b, c, ref d, e, f, g, ref h, Vector256.Create(k[t]) + w[t]);
            Round256(h, a, b, ref c, d, e, f, ref g, Vector256.Create(k[t + 1]) + w[t + 1]);
            Round256(g, h, a, ref b, c, d, e, ref f, Vector256.Create(k[t + 2]) + w[t + 2]);
            Round256(f, g, h, ref a, b, c, d, ref e, Vector256.Create(k[t + 3]) + w[t + 3]);
            Round256(e, f, g, ref h, a, b, c, ref d, Vector256.Create(k[t + 4]) + w[t + 4]);
            Round256(d, e, f, ref g, h, a, b, ref c, Vector256.Create(k[t + 5]) + w[t + 5]);
            Round256(c, d, e, ref f, g, h, a, ref b, Vector256.Create(k[t + 6]) + w[t + 6]);
            Round256(b, c, d, ref e, f, g, h, ref a, Vector256.Create(k[t + 7]) + w[t + 7]);
        }

        for (int t = 16; t < 64; t += 8)
        {
            Round256(a, b, c, ref d, e, f, g, ref h, Vector256.Create(k[t]) + Schedule256(w, t));
            Round256(h, a, b, ref c, d, e, f, ref g, Vector256.Create(k[t + 1]) + Schedule256(w, t + 1));
            Round256(g, h, a, ref b, c, d, e, ref f, Vector256.Create(k[t + 2]) + Schedule256(w, t + 2));
            Round256(f, g, h, ref a, b, c, d, ref e, Vector256.Create(k[t + 3]) + Schedule256(w, t + 3));
            Round256(e, f, g, ref h, a, b, c, ref d, Vector256.Create(k[t + 4]) + Schedule256(w, t + 4));
            Round256(d, e, f, ref g, h, a, b, ref c, Vector256.Create(k[t + 5]) + Schedule256(w, t + 5));
            Round256(c, d, e, ref f, g, h, a, ref b, Vector256.Create(k[t + 6]) + Schedule256(w, t + 6));
            Round256(b, c, d, ref e, f, g, h, ref a, Vector256.Create(k[t + 7]) + Schedule256(w, t + 7));
        }

        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
        state[5] += f;
        state[6] += g;
        state[7] += h;
    }
}
