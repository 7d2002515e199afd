using System.Formats.Asn1;
using System.Text;

namespace PrivateSigstore.Core.Certificates;

/// <summary>Strict UTF-8 and DER UTF8String conversions shared by the certificate extension codecs.</summary>
internal static class DerText
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>UTF-8 bytes of a well-formed string; throws <see cref="ArgumentException"/> for lone surrogates.</summary>
    public static byte[] Utf8Bytes(string value, string field)
    {
        try
        {
            return StrictUtf8.GetBytes(value);
        }
        catch (EncoderFallbackException e)
        {
            throw new ArgumentException($"{field} is not well-formed Unicode", field, e);
        }
    }

    /// <summary>Decodes raw UTF-8; throws <see cref="WireFormatException"/> for invalid sequences.</summary>
    public static string FromUtf8(ReadOnlySpan<byte> value, string field)
    {
        try
        {
            return StrictUtf8.GetString(value);
        }
        catch (DecoderFallbackException e)
        {
            throw new WireFormatException($"{field} is not valid UTF-8", e);
        }
    }

    /// <summary>DER encoding of <paramref name="value"/> as a universal UTF8String (tag 12).</summary>
    public static byte[] Utf8String(string value, string field)
    {
        Utf8Bytes(value, field); // rejects lone surrogates with a clear message
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteCharacterString(UniversalTagNumber.UTF8String, value);
        return writer.Encode();
    }

    /// <summary>
    /// Parses exactly one DER universal UTF8String (tag 12, primitive, minimal length, valid UTF-8) with no trailing
    /// bytes; anything else throws <see cref="WireFormatException"/>.
    /// </summary>
    public static string ParseUtf8String(ReadOnlyMemory<byte> der, string field)
    {
        try
        {
            var reader = new AsnReader(der, AsnEncodingRules.DER);
            string value = reader.ReadCharacterString(UniversalTagNumber.UTF8String);
            if (reader.HasData)
            {
                throw new WireFormatException($"{field}: unexpected trailing bytes after the DER UTF8String");
            }

            return value;
        }
        catch (AsnContentException e)
        {
            throw new WireFormatException($"{field}: not a DER UTF8String", e);
        }
        catch (DecoderFallbackException e)
        {
            throw new WireFormatException($"{field}: not valid UTF-8", e);
        }
    }
}
