using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Pem;

namespace PrivateSigstore.Rekor.Entries.Tests;

/// <summary>
/// Issue 20, finding 9: what makes two hashedrekord proposals the same leaf (and so a 409 duplicate). As upstream Rekor v1
/// (pkg/types/hashedrekord/v0.0.1 Canonicalize): <c>data.hash</c> is copied into the canonical body as submitted (only the
/// index key is lower-cased) and the signature bytes are kept as submitted (a high ECDSA <c>s</c> verifies, as with Go's
/// ecdsa.VerifyASN1). So an upper-case digest and <c>s</c> → <c>n − s</c> give other leaves, as upstream.
/// </summary>
public sealed class DeduplicationEntryTests
{
    private static readonly ECDsa Key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private static readonly string Pem = GoPem.Encode(GoPem.PublicKeyType, Key.ExportSubjectPublicKeyInfo());

    private static CanonicalEntry Canonicalize(byte[] signature, string digestHex) =>
        RekorEntries.Canonicalize(ProposedEntries.Bytes(ProposedEntries.HashedRekord(signature, Pem, "sha256", digestHex)), RekorEntryPolicy.Default);

    private static JsonNode Body(CanonicalEntry entry) => JsonNode.Parse(Encoding.UTF8.GetString(entry.Body))!;

    [Fact]
    public void An_upper_case_digest_is_kept_as_submitted_so_it_is_another_leaf_with_the_same_index_key()
    {
        var digest = RandomNumberGenerator.GetBytes(32);
        var signature = Key.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
        var lower = Canonicalize(signature, Convert.ToHexStringLower(digest));
        var upper = Canonicalize(signature, Convert.ToHexString(digest));

        Assert.NotEqual(lower.LeafHash, upper.LeafHash);
        Assert.Equal(Convert.ToHexString(digest), Body(upper)["spec"]!["data"]!["hash"]!["value"]!.GetValue<string>());
        Assert.Equal(Convert.ToHexStringLower(digest), Body(lower)["spec"]!["data"]!["hash"]!["value"]!.GetValue<string>());
        Assert.Contains("sha256:" + Convert.ToHexStringLower(digest), upper.IndexKeys);
        Assert.Equal(lower.IndexKeys, upper.IndexKeys);
        // The same proposal twice is the same leaf (the log answers 409).
        Assert.Equal(upper.LeafHash, Canonicalize(signature, Convert.ToHexString(digest)).LeafHash);
    }

    [Fact]
    public void An_ecdsa_signature_with_s_replaced_by_n_minus_s_verifies_and_is_another_leaf()
    {
        var digest = RandomNumberGenerator.GetBytes(32);
        var p1363 = Key.SignHash(digest, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        var r = new BigInteger(p1363.AsSpan(0, 32), isUnsigned: true, isBigEndian: true);
        var s = new BigInteger(p1363.AsSpan(32), isUnsigned: true, isBigEndian: true);
        var n = BigInteger.Parse("0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        var original = Der(r, s);
        var malleated = Der(r, n - s);

        var first = Canonicalize(original, Convert.ToHexStringLower(digest));
        var second = Canonicalize(malleated, Convert.ToHexStringLower(digest));
        Assert.NotEqual(first.LeafHash, second.LeafHash);
        Assert.Equal(Convert.ToBase64String(malleated), Body(second)["spec"]!["signature"]!["content"]!.GetValue<string>());
        Assert.Equal(first.IndexKeys, second.IndexKeys);
    }

    private static byte[] Der(BigInteger r, BigInteger s)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(r);
            writer.WriteInteger(s);
        }
        return writer.Encode();
    }
}
