using System.Formats.Asn1;
using System.Security.Cryptography;

namespace PrivateSigstore.Keys;

/// <summary>Converts ECDSA signatures from the IEEE P1363 form (r||s) to ASN.1 DER (RFC 3279).</summary>
internal static class EcdsaSignatureEncoding
{
    /// <summary>
    /// Re-encodes a raw <c>r||s</c> signature (what PKCS#11 <c>CKM_ECDSA</c> returns) as DER
    /// <c>SEQUENCE { INTEGER r, INTEGER s }</c>, each INTEGER minimal and positive (a leading 0x00
    /// only when the high bit is set). Throws <see cref="CryptographicException"/> unless the input is
    /// two scalars of <paramref name="scalarSize"/> bytes.
    /// </summary>
    public static byte[] P1363ToDer(ReadOnlySpan<byte> rs, int scalarSize)
    {
        if (rs.Length != 2 * scalarSize)
        {
            throw new CryptographicException($"ECDSA signature from the key store is {rs.Length} bytes; expected {2 * scalarSize} (r||s)");
        }

        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            WritePositiveInteger(writer, rs[..scalarSize]);
            WritePositiveInteger(writer, rs[scalarSize..]);
        }

        return writer.Encode();
    }

    private static void WritePositiveInteger(AsnWriter writer, ReadOnlySpan<byte> bigEndian)
    {
        var trimmed = bigEndian.TrimStart((byte)0);
        if (trimmed.IsEmpty)
        {
            // r = 0 or s = 0 never comes out of a correct signer; refuse rather than publish it.
            throw new CryptographicException("ECDSA signature from the key store has a zero scalar");
        }

        writer.WriteIntegerUnsigned(trimmed); // adds the 0x00 sign octet when the high bit is set
    }
}
