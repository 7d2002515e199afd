using System.Security.Cryptography;
using PrivateSigstore.Keys.Tests.TestSupport;

namespace PrivateSigstore.Keys.Tests;

public sealed class EcdsaSignatureEncodingTests
{
    [Fact]
    public void High_bit_scalars_get_a_leading_zero_and_leading_zero_bytes_are_dropped()
    {
        var r = new byte[32];
        r[0] = 0x80;
        r[31] = 1;
        var s = new byte[32];
        s[2] = 0x7f; // two leading zero bytes, then a byte without the high bit
        s[31] = 2;

        var der = EcdsaSignatureEncoding.P1363ToDer([.. r, .. s], 32);

        Assert.Equal(1, Signatures.AssertStrictDerEcdsa(der, 32));
        Assert.Equal(0x30, der[0]);
        Assert.Equal([0x02, 33, 0x00, 0x80], der[2..6]); // r: 33 bytes, 0x00 then 0x80…
        var sOffset = 2 + 2 + 33;
        Assert.Equal([0x02, 30, 0x7f], der[sOffset..(sOffset + 3)]); // s: 30 bytes, starting 0x7f
    }

    [Fact]
    public void Round_trips_with_dotnet_conversion_for_many_signatures()
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        for (var i = 0; i < 100; i++)
        {
            var data = BitConverter.GetBytes(i);
            var raw = ecdsa.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);

            var der = EcdsaSignatureEncoding.P1363ToDer(raw, 32);

            Signatures.AssertStrictDerEcdsa(der, 32);
            Assert.True(ecdsa.VerifyData(data, der, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        }
    }

    [Fact]
    public void Wrong_length_or_zero_scalar_is_refused()
    {
        Assert.Throws<CryptographicException>(() => EcdsaSignatureEncoding.P1363ToDer(new byte[63], 32));
        Assert.Throws<CryptographicException>(() => EcdsaSignatureEncoding.P1363ToDer([.. new byte[32], .. Enumerable.Repeat((byte)1, 32)], 32));
    }
}
