using System.Formats.Asn1;

namespace PrivateSigstore.Core.Certificates;

/// <summary>
/// DER codec for the RFC 5280 §4.2.1.6 <c>GeneralNames</c> forms Sigstore uses: rfc822Name [1], uniformResourceIdentifier
/// [6] and otherName [0] with Sigstore's username type-id. Other GeneralName forms are skipped when reading.
/// </summary>
internal static class GeneralNames
{
    private static readonly Asn1Tag OtherNameTag = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag ExplicitValueTag = new(TagClass.ContextSpecific, 0, isConstructed: true);
    private static readonly Asn1Tag EmailTag = new(TagClass.ContextSpecific, 1);
    private static readonly Asn1Tag UriTag = new(TagClass.ContextSpecific, 6);

    internal enum NameKind
    {
        Email,
        Uri,
        OtherName,
    }

    /// <summary>One name read from a SAN. For otherName, <see cref="Value"/> is null unless the type-id is Sigstore's.</summary>
    internal readonly record struct Name(NameKind Kind, string? Value, string? OtherNameTypeId);

    /// <summary>GeneralNames with a single rfc822Name, URI or Sigstore otherName.</summary>
    public static byte[] EncodeSingle(NameKind kind, string value)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            switch (kind)
            {
                case NameKind.Email:
                    writer.WriteCharacterString(UniversalTagNumber.IA5String, RequireIa5(value, "email"), EmailTag);
                    break;
                case NameKind.Uri:
                    writer.WriteCharacterString(UniversalTagNumber.IA5String, RequireIa5(value, "URI"), UriTag);
                    break;
                case NameKind.OtherName:
                    DerText.Utf8Bytes(value, "username");
                    using (writer.PushSequence(OtherNameTag))
                    {
                        writer.WriteObjectIdentifier(SigstoreOids.OtherName);
                        using (writer.PushSequence(ExplicitValueTag))
                        {
                            writer.WriteCharacterString(UniversalTagNumber.UTF8String, value);
                        }
                    }

                    break;
                default:
                    throw new ArgumentOutOfRangeException(nameof(kind), kind, "unsupported GeneralName form");
            }
        }

        return writer.Encode();
    }

    /// <summary>
    /// Reads a SubjectAltName extension value: one DER SEQUENCE SIZE (1..MAX) OF GeneralName, nothing after it.
    /// rfc822Name and URI must be IA5String; an otherName must be SEQUENCE { OID, [0] EXPLICIT value } and, when its
    /// type-id is 1.3.6.1.4.1.57264.1.7, the value must be one UTF8String.
    /// </summary>
    /// <exception cref="WireFormatException">The value is malformed.</exception>
    public static List<Name> Parse(ReadOnlyMemory<byte> sanValue)
    {
        try
        {
            var outer = new AsnReader(sanValue, AsnEncodingRules.DER);
            var names = outer.ReadSequence();
            outer.ThrowIfNotEmpty();
            if (!names.HasData)
            {
                // RFC 5280: GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName.
                throw new WireFormatException("SubjectAltName holds no names");
            }

            var result = new List<Name>();
            while (names.HasData)
            {
                var tag = names.PeekTag();
                if (tag.HasSameClassAndValue(OtherNameTag))
                {
                    result.Add(ReadOtherName(names));
                }
                else if (tag.HasSameClassAndValue(EmailTag))
                {
                    result.Add(new Name(NameKind.Email, names.ReadCharacterString(UniversalTagNumber.IA5String, EmailTag), null));
                }
                else if (tag.HasSameClassAndValue(UriTag))
                {
                    result.Add(new Name(NameKind.Uri, names.ReadCharacterString(UniversalTagNumber.IA5String, UriTag), null));
                }
                else if (tag.TagClass == TagClass.ContextSpecific && tag.TagValue <= 8)
                {
                    names.ReadEncodedValue(); // dNSName, x400Address, directoryName, ediPartyName, iPAddress, registeredID
                }
                else
                {
                    throw new WireFormatException($"SubjectAltName holds a value with tag {tag} that is no GeneralName");
                }
            }

            return result;
        }
        catch (AsnContentException e)
        {
            throw new WireFormatException("SubjectAltName is not valid DER", e);
        }
    }

    private static Name ReadOtherName(AsnReader names)
    {
        var otherName = names.ReadSequence(OtherNameTag);
        string typeId = otherName.ReadObjectIdentifier();
        var explicitValue = otherName.ReadSequence(ExplicitValueTag);
        otherName.ThrowIfNotEmpty();
        if (typeId != SigstoreOids.OtherName)
        {
            return new Name(NameKind.OtherName, null, typeId);
        }

        // sigstore/sigstore cryptoutils.OtherName: Value string `asn1:"utf8,explicit,tag:0"`.
        string value = explicitValue.ReadCharacterString(UniversalTagNumber.UTF8String);
        explicitValue.ThrowIfNotEmpty();
        return new Name(NameKind.OtherName, value, typeId);
    }

    private static string RequireIa5(string value, string field)
    {
        ArgumentException.ThrowIfNullOrEmpty(value, field);
        foreach (char c in value)
        {
            if (c > 0x7F)
            {
                throw new ArgumentException($"{field} cannot be encoded as an IA5String", field);
            }
        }

        return value;
    }
}
