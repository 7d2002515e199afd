using System.Formats.Asn1;
using PrivateSigstore.Core.Certificates;
using PrivateSigstore.Core.Der;

namespace PrivateSigstore.Core.Ct;

/// <summary>
/// DER surgery on certificates for Certificate Transparency: extracting the TBSCertificate and re-encoding it with
/// one extension removed while every other byte stays identical. A CT log strips the poison extension this way
/// (RFC 6962 §3.1), and a verifier rebuilds the precertificate TBS from a final certificate by stripping the SCT list.
/// Input must be strict DER at every depth (definite minimal lengths, low tag numbers, primitive strings), as the
/// DER-only parsers of Sigstore clients require.
/// </summary>
public static class Precertificate
{
    private static readonly Asn1Tag ExtensionsTag = new(TagClass.ContextSpecific, 3, isConstructed: true);

    /// <summary>
    /// Re-encodes <paramref name="tbsDer"/> without the extension <paramref name="oid"/>. All other fields and extensions
    /// keep their bytes and order; only the enclosing lengths change. When the removed extension was the only one,
    /// the <c>[3] extensions</c> field is dropped (Extensions is SIZE (1..MAX)).
    /// </summary>
    /// <exception cref="WireFormatException">The TBS is not strict DER, is structurally wrong, repeats an extension
    /// (RFC 5280 §4.2), or does not contain <paramref name="oid"/>.</exception>
    public static byte[] RemoveExtension(byte[] tbsDer, string oid)
    {
        ArgumentException.ThrowIfNullOrEmpty(oid);
        return RewriteExtensions(tbsDer, oid, append: null);
    }

    /// <summary>
    /// One re-encoding of a TBSCertificate: the extension <paramref name="removeOid"/> (which must be present) dropped and,
    /// when given, <paramref name="append"/> (a DER Extension) added last. Every other field and extension keeps its
    /// bytes and order; the <c>[3] extensions</c> field is dropped when it would be empty (SIZE (1..MAX)).
    /// </summary>
    private static byte[] RewriteExtensions(byte[] tbsDer, string removeOid, byte[]? append)
    {
        ArgumentNullException.ThrowIfNull(tbsDer);
        try
        {
            StrictDer.Validate(tbsDer);
            var outer = new AsnReader(tbsDer, AsnEncodingRules.DER);
            var tbs = outer.ReadSequence();
            outer.ThrowIfNotEmpty();

            var writer = new AsnWriter(AsnEncodingRules.DER);
            bool removed = false;
            using (writer.PushSequence())
            {
                while (tbs.HasData)
                {
                    if (!tbs.PeekTag().HasSameClassAndValue(ExtensionsTag))
                    {
                        writer.WriteEncodedValue(tbs.ReadEncodedValue().Span);
                        continue;
                    }

                    var extensions = ReadExtensions(tbs);
                    var kept = extensions.Where(e => e.Oid != removeOid).Select(e => e.Encoded).ToList();
                    removed = kept.Count != extensions.Count;
                    if (append is not null)
                    {
                        kept.Add(append);
                    }

                    if (kept.Count > 0)
                    {
                        using (writer.PushSequence(ExtensionsTag))
                        using (writer.PushSequence())
                        {
                            foreach (var e in kept)
                            {
                                writer.WriteEncodedValue(e.Span);
                            }
                        }
                    }
                }
            }

            if (!removed)
            {
                throw new WireFormatException($"the TBSCertificate has no extension {removeOid}");
            }

            return writer.Encode();
        }
        catch (AsnContentException e)
        {
            throw new WireFormatException("TBSCertificate is not valid DER", e);
        }
    }

    /// <summary>
    /// The final certificate's TBSCertificate from a precertificate's (RFC 6962 §3.1): the poison extension removed and the
    /// SCT list extension (non-critical, <paramref name="sctListValue"/> = the OCTET STRING-wrapped TLS list) appended last.
    /// Every other byte is kept, so both TBSs without those two extensions are identical by construction.
    /// </summary>
    /// <exception cref="WireFormatException">The TBS is not strict DER or has no poison extension.</exception>
    public static byte[] FinalTbs(byte[] precertificateTbsDer, byte[] sctListValue)
    {
        ArgumentNullException.ThrowIfNull(sctListValue);

        // Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE (omitted), extnValue OCTET STRING }
        var extension = new AsnWriter(AsnEncodingRules.DER);
        using (extension.PushSequence())
        {
            extension.WriteObjectIdentifier(SigstoreOids.SctList);
            extension.WriteOctetString(sctListValue);
        }

        return RewriteExtensions(precertificateTbsDer, SigstoreOids.CtPoison, extension.Encode());
    }

    /// <summary>A certificate (SEQUENCE of the TBS, the signature algorithm and the signature) from its parts.</summary>
    public static byte[] AssembleCertificate(ReadOnlySpan<byte> tbsDer, ReadOnlySpan<byte> signatureAlgorithmDer, ReadOnlySpan<byte> signature)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteEncodedValue(tbsDer);
            writer.WriteEncodedValue(signatureAlgorithmDer);
            writer.WriteBitString(signature);
        }

        return writer.Encode();
    }

    /// <summary>
    /// The TBSCertificate DER of a certificate, byte for byte. The certificate must be one DER SEQUENCE of
    /// tbsCertificate SEQUENCE, signatureAlgorithm SEQUENCE and signatureValue BIT STRING, with nothing after it.
    /// </summary>
    /// <exception cref="WireFormatException">The certificate is not a strict-DER X.509 certificate.</exception>
    public static byte[] ExtractTbs(byte[] certDer)
    {
        ArgumentNullException.ThrowIfNull(certDer);
        try
        {
            StrictDer.Validate(certDer);
            var outer = new AsnReader(certDer, AsnEncodingRules.DER);
            var cert = outer.ReadSequence();
            outer.ThrowIfNotEmpty();

            ExpectTag(cert, Asn1Tag.Sequence, "tbsCertificate");
            byte[] tbs = cert.ReadEncodedValue().ToArray();
            ExpectTag(cert, Asn1Tag.Sequence, "signatureAlgorithm");
            cert.ReadEncodedValue();
            cert.ReadBitString(out _);
            cert.ThrowIfNotEmpty();
            return tbs;
        }
        catch (AsnContentException e)
        {
            throw new WireFormatException("certificate is not valid DER", e);
        }
    }

    /// <summary>
    /// The TBSCertificate of a final certificate with its embedded SCT list (1.3.6.1.4.1.11129.2.4.2) removed: the
    /// precertificate TBS that the embedded SCTs signed.
    /// </summary>
    /// <exception cref="WireFormatException">The certificate is malformed or has no SCT list extension.</exception>
    public static byte[] GetTbsWithoutSctList(byte[] certDer) =>
        RemoveExtension(ExtractTbs(certDer), SigstoreOids.SctList);

    /// <summary>
    /// The TBSCertificate of a precertificate with its poison extension (1.3.6.1.4.1.11129.2.4.3) removed: what a CT
    /// log puts in a precert_entry and what the SCT signs (RFC 6962 §3.2).
    /// </summary>
    /// <exception cref="WireFormatException">The certificate is malformed or has no poison extension.</exception>
    public static byte[] GetTbsWithoutPoison(byte[] certDer) =>
        RemoveExtension(ExtractTbs(certDer), SigstoreOids.CtPoison);

    /// <summary>
    /// True when the certificate carries the CT poison extension (1.3.6.1.4.1.11129.2.4.3), i.e. it is a
    /// precertificate. Only presence is checked, not criticality or value.
    /// </summary>
    /// <exception cref="WireFormatException">The certificate is malformed.</exception>
    public static bool HasPoison(byte[] certDer)
    {
        byte[] tbsDer = ExtractTbs(certDer);
        try
        {
            var outer = new AsnReader(tbsDer, AsnEncodingRules.DER);
            var tbs = outer.ReadSequence();
            while (tbs.HasData)
            {
                if (tbs.PeekTag().HasSameClassAndValue(ExtensionsTag))
                {
                    return ReadExtensions(tbs).Any(e => e.Oid == SigstoreOids.CtPoison);
                }

                tbs.ReadEncodedValue();
            }

            return false;
        }
        catch (AsnContentException e)
        {
            throw new WireFormatException("TBSCertificate is not valid DER", e);
        }
    }

    /// <summary>
    /// Reads <c>[3] EXPLICIT Extensions</c> at the reader's position, which must be the TBS's last field. Each
    /// extension must be SEQUENCE { OID, [BOOLEAN], OCTET STRING }; OIDs must be unique.
    /// </summary>
    private static List<(string Oid, ReadOnlyMemory<byte> Encoded)> ReadExtensions(AsnReader tbs)
    {
        if (!tbs.PeekTag().IsConstructed)
        {
            throw new WireFormatException("TBSCertificate [3] extensions is not constructed");
        }

        var explicitWrapper = tbs.ReadSequence(ExtensionsTag);
        if (tbs.HasData)
        {
            throw new WireFormatException("TBSCertificate has fields after its extensions");
        }

        var sequence = explicitWrapper.ReadSequence();
        explicitWrapper.ThrowIfNotEmpty();

        var result = new List<(string, ReadOnlyMemory<byte>)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (sequence.HasData)
        {
            var encoded = sequence.ReadEncodedValue();
            var extension = new AsnReader(encoded, AsnEncodingRules.DER).ReadSequence();
            string oid = extension.ReadObjectIdentifier();
            if (extension.HasData && extension.PeekTag().HasSameClassAndValue(Asn1Tag.Boolean))
            {
                extension.ReadBoolean();
            }

            extension.ReadOctetString();
            extension.ThrowIfNotEmpty();
            if (!seen.Add(oid))
            {
                // RFC 5280 §4.2: a certificate MUST NOT include more than one instance of a particular extension.
                throw new WireFormatException($"TBSCertificate repeats extension {oid}");
            }

            result.Add((oid, encoded));
        }

        if (result.Count == 0)
        {
            // RFC 5280 §4.1: Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension.
            throw new WireFormatException("TBSCertificate has an empty extensions list");
        }

        return result;
    }

    private static void ExpectTag(AsnReader reader, Asn1Tag expected, string field)
    {
        if (!reader.HasData || reader.PeekTag() != expected)
        {
            throw new WireFormatException($"certificate {field} is missing or has the wrong tag");
        }
    }
}
