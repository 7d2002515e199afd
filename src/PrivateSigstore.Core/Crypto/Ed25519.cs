using System.Numerics;
using System.Security.Cryptography;

namespace PrivateSigstore.Core.Crypto;

/// <summary>
/// Ed25519 and Ed25519ph (RFC 8032 §5.1) signing and verification. .NET 10's BCL has no Ed25519 type, so
/// this is a straightforward implementation on <see cref="BigInteger"/> in extended twisted
/// Edwards coordinates: correct first, then uniform in shape (a Montgomery ladder performs the same
/// point operations for every scalar bit), but not hardened against timing side channels at the
/// level of a dedicated library. Keys that must resist local side-channel attackers belong in an HSM.
/// </summary>
/// <remarks>
/// Verification follows RFC 8032 §5.1.7 strictly: public keys and R must be canonical point
/// encodings (y &lt; p, no "negative zero"), S must be below the group order L, and the cofactorless
/// equation [S]B = R + [k]A is checked. Go's <c>crypto/ed25519</c> agrees except that it also accepts
/// a few non-canonical encodings of A; honest signers never produce those.
/// </remarks>
public static class Ed25519
{
    /// <summary>Size of a private key seed, a public key and half a signature, in bytes.</summary>
    public const int KeySize = 32;

    /// <summary>Size of a signature (R || S), in bytes.</summary>
    public const int SignatureSize = 64;

    /// <summary>Size of the SHA-512 prehash that Ed25519ph signs, in bytes.</summary>
    public const int PrehashSize = 64;

    // RFC 8032 §2: dom2(x, y) = "SigEd25519 no Ed25519 collisions" || octet(x) || octet(OLEN(y)) || y;
    // Ed25519ph uses x = 1 and, here, the empty context y.
    private static readonly byte[] Dom2Prehash = [.. "SigEd25519 no Ed25519 collisions"u8, 0x01, 0x00];

    // DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4): SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING }.
    private static readonly byte[] SpkiPrefix = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];

    // Note: declared before every field whose initializer reduces modulo p (static initializers run in order).
    private static readonly BigInteger Mask255 = (BigInteger.One << 255) - 1;
    private static readonly BigInteger P = BigInteger.Pow(2, 255) - 19;
    private static readonly BigInteger L = BigInteger.Pow(2, 252) + BigInteger.Parse("27742317777372353535851937790883648493", System.Globalization.CultureInfo.InvariantCulture);
    private static readonly BigInteger D = Mod(-121665 * Inverse(121666));
    private static readonly BigInteger SqrtMinusOne = BigInteger.ModPow(2, (P - 1) / 4, P);
    private static readonly Point Identity = new(0, 1, 1, 0);
    private static readonly Point BasePoint = CreateBasePoint();

    /// <summary>Derives the 32-byte public key from a 32-byte private key seed (RFC 8032 §5.1.5).</summary>
    public static byte[] PublicKeyFromSeed(ReadOnlySpan<byte> seed)
    {
        RequireLength(seed, KeySize, nameof(seed));
        var (scalar, _) = ExpandSeed(seed);
        return Encode(Multiply(scalar, BasePoint));
    }

    /// <summary>Signs <paramref name="message"/> with the 32-byte private key seed (RFC 8032 §5.1.6). Deterministic: the same inputs give the same 64 bytes.</summary>
    public static byte[] Sign(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> message)
    {
        RequireLength(seed, KeySize, nameof(seed));
        return SignCore(seed, [], message);
    }

    /// <summary>
    /// Verifies a 64-byte signature over <paramref name="message"/> with a 32-byte public key
    /// (RFC 8032 §5.1.7). Returns false for any malformed key or signature; never throws for bad input.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) =>
        VerifyCore(publicKey, [], message, signature);

    /// <summary>
    /// Ed25519ph (RFC 8032 §5.1, phflag = 1, empty context): signs the 64-byte SHA-512 digest of a
    /// message, i.e. the signature covers <c>dom2(1, "") || PH(M)</c> with PH = SHA-512. This is what
    /// Go's <c>ed25519.Sign</c> does with <c>crypto.SHA512</c> options, and what Rekor's hashedrekord
    /// type verifies for Ed25519 keys. Deterministic.
    /// </summary>
    /// <exception cref="ArgumentException">The seed is not 32 bytes or the digest is not 64 bytes.</exception>
    public static byte[] SignPrehashed(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> sha512Digest)
    {
        RequireLength(seed, KeySize, nameof(seed));
        RequireLength(sha512Digest, PrehashSize, nameof(sha512Digest));
        return SignCore(seed, Dom2Prehash, sha512Digest);
    }

    /// <summary>
    /// Verifies an Ed25519ph signature (RFC 8032 §5.1.7 with dom2(phflag = 1, context = "")) over the
    /// 64-byte SHA-512 digest of a message. Returns false for a digest that is not 64 bytes or any
    /// malformed key or signature; never throws for bad input.
    /// </summary>
    public static bool VerifyPrehashed(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> sha512Digest, ReadOnlySpan<byte> signature) =>
        sha512Digest.Length == PrehashSize && VerifyCore(publicKey, Dom2Prehash, sha512Digest, signature);

    /// <summary>Returns the DER SubjectPublicKeyInfo (RFC 8410) of a 32-byte public key.</summary>
    public static byte[] ToSubjectPublicKeyInfo(ReadOnlySpan<byte> publicKey)
    {
        RequireLength(publicKey, KeySize, nameof(publicKey));
        return [.. SpkiPrefix, .. publicKey];
    }

    /// <summary>
    /// Extracts the 32-byte public key from a DER Ed25519 SubjectPublicKeyInfo (RFC 8410, no parameters).
    /// Throws <see cref="WireFormatException"/> for anything else.
    /// </summary>
    public static byte[] PublicKeyFromSubjectPublicKeyInfo(ReadOnlySpan<byte> spki)
    {
        if (spki.Length != SpkiPrefix.Length + KeySize || !spki.StartsWith(SpkiPrefix))
        {
            throw new WireFormatException("Ed25519: not a DER Ed25519 SubjectPublicKeyInfo");
        }

        return spki[SpkiPrefix.Length..].ToArray();
    }

    private static byte[] SignCore(ReadOnlySpan<byte> seed, ReadOnlySpan<byte> dom, ReadOnlySpan<byte> message)
    {
        var (a, prefix) = ExpandSeed(seed);
        var publicKey = Encode(Multiply(a, BasePoint));
        var r = HashToScalar(dom, prefix, [], message);
        var encodedR = Encode(Multiply(r, BasePoint));
        var k = HashToScalar(dom, encodedR, publicKey, message);
        var s = Mod(r + (k * a), L);

        var signature = new byte[SignatureSize];
        encodedR.CopyTo(signature, 0);
        WriteLittleEndian(s, signature.AsSpan(KeySize));
        return signature;
    }

    private static bool VerifyCore(ReadOnlySpan<byte> publicKey, ReadOnlySpan<byte> dom, ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature)
    {
        if (publicKey.Length != KeySize || signature.Length != SignatureSize)
        {
            return false;
        }

        if (!TryDecode(publicKey, out var a) || !TryDecode(signature[..KeySize], out var r))
        {
            return false;
        }

        var s = new BigInteger(signature[KeySize..], isUnsigned: true, isBigEndian: false);
        if (s >= L)
        {
            return false;
        }

        var k = HashToScalar(dom, signature[..KeySize], publicKey, message);
        // [s]B = R + [k]A  ⇔  [s]B + [k](−A) = R, computed in one interleaved pass (Straus): verification handles
        // only public values, so it need not be constant-time (signing keeps the ladder).
        var negA = new Point(Mod(-a.X), a.Y, a.Z, Mod(-a.T));
        return AreEqual(DoubleMultiply(s, BasePoint, k, negA), r);
    }

    private static (BigInteger Scalar, byte[] Prefix) ExpandSeed(ReadOnlySpan<byte> seed)
    {
        var h = SHA512.HashData(seed);
        h[0] &= 248; // clear the 3 low bits
        h[31] &= 127; // clear bit 255
        h[31] |= 64; // set bit 254
        var scalar = new BigInteger(h.AsSpan(0, 32), isUnsigned: true, isBigEndian: false);
        return (scalar, h[32..]);
    }

    private static BigInteger HashToScalar(ReadOnlySpan<byte> dom, ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        sha.AppendData(dom);
        sha.AppendData(a);
        sha.AppendData(b);
        sha.AppendData(c);
        return Mod(new BigInteger(sha.GetHashAndReset(), isUnsigned: true, isBigEndian: false), L);
    }

    private static Point Add(Point p, Point q)
    {
        // RFC 8032 §5.1.4, add-2008-hwcd-3 for a = -1.
        var a = Mod((p.Y - p.X) * (q.Y - q.X));
        var b = Mod((p.Y + p.X) * (q.Y + q.X));
        var c = Mod(2 * p.T * q.T * D);
        var d = Mod(2 * p.Z * q.Z);
        var e = b - a;
        var f = d - c;
        var g = d + c;
        var h = b + a;
        return new Point(Mod(e * f), Mod(g * h), Mod(f * g), Mod(e * h));
    }

    private static Point Multiply(BigInteger scalar, Point point)
    {
        // Montgomery ladder over a fixed 256 bits: one addition and one doubling per bit.
        var r0 = Identity;
        var r1 = point;
        for (var bit = 255; bit >= 0; bit--)
        {
            if (!(scalar >> bit).IsEven)
            {
                r0 = Add(r0, r1);
                r1 = Add(r1, r1);
            }
            else
            {
                r1 = Add(r0, r1);
                r0 = Add(r0, r0);
            }
        }

        return r0;
    }

    private static Point Double(Point p)
    {
        // dbl-2008-hwcd for a = -1 (4 multiplications, 4 squarings).
        var a = Mod(p.X * p.X);
        var b = Mod(p.Y * p.Y);
        var c = Mod(2 * p.Z * p.Z);
        var h = a + b;
        var sum = p.X + p.Y;
        var e = h - Mod(sum * sum);
        var g = a - b;
        var f = c + g;
        return new Point(Mod(e * f), Mod(g * h), Mod(f * g), Mod(e * h));
    }

    /// <summary>[a]P + [b]Q with one shared chain of doublings (Straus–Shamir); variable-time, for public inputs only.</summary>
    private static Point DoubleMultiply(BigInteger a, Point p, BigInteger b, Point q)
    {
        var pq = Add(p, q);
        var result = Identity;
        var bits = (int)Math.Max(a.GetBitLength(), b.GetBitLength());
        for (var bit = bits - 1; bit >= 0; bit--)
        {
            result = Double(result);
            var ba = !(a >> bit).IsEven;
            var bb = !(b >> bit).IsEven;
            if (ba && bb) result = Add(result, pq);
            else if (ba) result = Add(result, p);
            else if (bb) result = Add(result, q);
        }

        return result;
    }

    private static bool AreEqual(Point p, Point q) =>
        Mod((p.X * q.Z) - (q.X * p.Z)).IsZero && Mod((p.Y * q.Z) - (q.Y * p.Z)).IsZero;

    private static byte[] Encode(Point point)
    {
        var zInverse = Inverse(point.Z);
        var x = Mod(point.X * zInverse);
        var y = Mod(point.Y * zInverse);
        var bytes = new byte[KeySize];
        WriteLittleEndian(y, bytes);
        if (!x.IsEven)
        {
            bytes[31] |= 0x80;
        }

        return bytes;
    }

    private static bool TryDecode(ReadOnlySpan<byte> encoded, out Point point)
    {
        // RFC 8032 §5.1.3.
        point = Identity;
        Span<byte> yBytes = stackalloc byte[KeySize];
        encoded.CopyTo(yBytes);
        var sign = (yBytes[31] & 0x80) != 0;
        yBytes[31] &= 0x7f;
        var y = new BigInteger(yBytes, isUnsigned: true, isBigEndian: false);
        if (y >= P)
        {
            return false;
        }

        var u = Mod((y * y) - 1);
        var v = Mod((D * y * y) + 1);
        var x2 = Mod(u * Inverse(v));
        if (x2.IsZero)
        {
            if (sign)
            {
                return false; // x = 0 with the sign bit set has no canonical meaning
            }

            point = new Point(0, y, 1, 0);
            return true;
        }

        var x = BigInteger.ModPow(x2, (P + 3) / 8, P);
        if (!Mod((x * x) - x2).IsZero)
        {
            x = Mod(x * SqrtMinusOne);
        }

        if (!Mod((x * x) - x2).IsZero)
        {
            return false; // not on the curve
        }

        if (x.IsEven == sign)
        {
            x = P - x;
        }

        point = new Point(x, y, 1, Mod(x * y));
        return true;
    }

    private static Point CreateBasePoint()
    {
        var y = Mod(4 * Inverse(5));
        Span<byte> encoded = stackalloc byte[KeySize];
        WriteLittleEndian(y, encoded);
        return TryDecode(encoded, out var point) ? point : throw new InvalidOperationException("Ed25519 base point");
    }

    private static void WriteLittleEndian(BigInteger value, Span<byte> destination)
    {
        destination[..KeySize].Clear();
        value.TryWriteBytes(destination[..KeySize], out _, isUnsigned: true, isBigEndian: false);
    }

    /// <summary>Reduction modulo p = 2^255 − 19 by folding (2^255 ≡ 19), much cheaper than a BigInteger division.</summary>
    private static BigInteger Mod(BigInteger value)
    {
        if (value.Sign < 0) return Mod(value, P);
        while (value.GetBitLength() > 255) value = (value & Mask255) + (19 * (value >> 255));
        return value >= P ? value - P : value;
    }


    private static BigInteger Mod(BigInteger value, BigInteger modulus)
    {
        var r = BigInteger.Remainder(value, modulus);
        return r.Sign < 0 ? r + modulus : r;
    }

    private static BigInteger Inverse(BigInteger value) => BigInteger.ModPow(Mod(value), P - 2, P);

    private static void RequireLength(ReadOnlySpan<byte> value, int length, string name)
    {
        if (value.Length != length)
        {
            throw new ArgumentException($"must be {length} bytes", name);
        }
    }

    private readonly record struct Point(BigInteger X, BigInteger Y, BigInteger Z, BigInteger T);
}
