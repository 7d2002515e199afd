using System.Formats.Asn1;

namespace PrivateSigstore.Core.Der;

/// <summary>
/// Structural DER check of a whole encoding, at every depth: definite minimal lengths (AsnReader DER rules), low tag
/// numbers only, universal SEQUENCE/SET constructed and every other universal type primitive, nothing after the
/// outermost value. Mirrors what sigstore-js's DER-only parser accepts (<c>core/src/asn1/length.ts</c>, <c>tag.ts</c>).
/// Primitive contents are not interpreted.
/// </summary>
public static class StrictDer
{
    private const int MaxDepth = 32;

    /// <exception cref="AsnContentException">The encoding is not DER.</exception>
    /// <exception cref="WireFormatException">The nesting is deeper than 32 or a tag breaks the rules above.</exception>
    public static void Validate(ReadOnlyMemory<byte> der)
    {
        var reader = new AsnReader(der, AsnEncodingRules.DER);
        Walk(reader.ReadEncodedValue(), 0);
        reader.ThrowIfNotEmpty();
    }

    private static void Walk(ReadOnlyMemory<byte> encoded, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new WireFormatException($"DER nesting deeper than {MaxDepth}");
        }

        if (!AsnDecoder.TryReadEncodedValue(encoded.Span, AsnEncodingRules.DER, out var tag, out int contentOffset, out int contentLength, out _))
        {
            throw new WireFormatException("truncated DER value");
        }

        if (tag.TagValue >= 31)
        {
            throw new WireFormatException("DER high-tag-number form is not accepted");
        }

        if (tag.TagClass == TagClass.Universal)
        {
            if (tag.TagValue == 0)
            {
                throw new WireFormatException("DER has no end-of-contents (universal tag 0) values");
            }

            bool sequenceOrSet = tag.TagValue is (int)UniversalTagNumber.Sequence or (int)UniversalTagNumber.Set;
            if (sequenceOrSet != tag.IsConstructed)
            {
                throw new WireFormatException($"universal tag {tag.TagValue} has the wrong constructed bit for DER");
            }
        }

        if (!tag.IsConstructed)
        {
            return;
        }

        var inner = new AsnReader(encoded.Slice(contentOffset, contentLength), AsnEncodingRules.DER);
        while (inner.HasData)
        {
            Walk(inner.ReadEncodedValue(), depth + 1);
        }
    }
}
