using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using PrivateSigstore.Core.Certificates;

namespace PrivateSigstore.Core.Ct;

/// <summary>
/// The RFC 6962 §3.3 <c>SignedCertificateTimestampList</c> (uint16 total length, then per SCT a uint16 length and the
/// SCT) and the X.509 extension 1.3.6.1.4.1.11129.2.4.2 that embeds it in a certificate.
/// </summary>
public static class SctList
{
    /// <summary>
    /// TLS-encodes the list. RFC 6962 requires at least one SCT, and the whole list must fit a uint16 length.
    /// </summary>
    /// <exception cref="ArgumentException">The list is empty or too long.</exception>
    /// <exception cref="InvalidOperationException">An SCT cannot be serialized (see <see cref="SignedCertificateTimestamp.Serialize"/>).</exception>
    public static byte[] Serialize(IEnumerable<SignedCertificateTimestamp> scts)
    {
        ArgumentNullException.ThrowIfNull(scts);
        var body = new TlsWriter();
        int count = 0;
        foreach (var sct in scts)
        {
            ArgumentNullException.ThrowIfNull(sct, nameof(scts));
            byte[] serialized = sct.Serialize();
            body.WriteOpaque16(serialized);
            count++;
        }

        if (count == 0)
        {
            // RFC 6962 §3.3: SerializedSCT sct_list <1..2^16-1>.
            throw new ArgumentException("an SCT list holds at least one SCT", nameof(scts));
        }

        byte[] list = body.ToArray();
        if (list.Length > ushort.MaxValue)
        {
            throw new ArgumentException("the SCT list exceeds 65535 bytes", nameof(scts));
        }

        var w = new TlsWriter();
        w.WriteOpaque16(list);
        return w.ToArray();
    }

    /// <summary>
    /// Parses a TLS <c>SignedCertificateTimestampList</c>: the uint16 total length must equal the bytes that follow, the
    /// list must hold at least one SCT, every SCT must be non-empty and parse exactly.
    /// </summary>
    /// <exception cref="WireFormatException">The list or an SCT in it is malformed.</exception>
    public static IReadOnlyList<SignedCertificateTimestamp> Parse(ReadOnlySpan<byte> data)
    {
        var outer = new TlsReader(data);
        var listBytes = outer.ReadOpaque16("SCT list", minLength: 1);
        outer.ExpectEnd("SCT list");

        var scts = new List<SignedCertificateTimestamp>();
        var r = new TlsReader(listBytes);
        while (!r.IsEmpty)
        {
            var one = r.ReadOpaque16("serialized SCT", minLength: 1);
            scts.Add(SignedCertificateTimestamp.Parse(one));
        }

        return scts;
    }

    /// <summary>
    /// The non-critical X.509 extension 1.3.6.1.4.1.11129.2.4.2 carrying the list. Its value (the X.509 extnValue
    /// contents) is a DER OCTET STRING wrapping the TLS-encoded list, as RFC 6962 §3.3 specifies.
    /// </summary>
    /// <exception cref="ArgumentException">The list is empty or too long.</exception>
    public static X509Extension ToExtension(IEnumerable<SignedCertificateTimestamp> scts)
    {
        byte[] tls = Serialize(scts);
        var writer = new AsnWriter(AsnEncodingRules.DER);
        writer.WriteOctetString(tls);
        return new X509Extension(SigstoreOids.SctList, writer.Encode(), critical: false);
    }

    /// <summary>
    /// Reads the SCTs out of an embedded-SCT extension: the OID must be 1.3.6.1.4.1.11129.2.4.2 and the value exactly one
    /// DER OCTET STRING holding a valid TLS list.
    /// </summary>
    /// <exception cref="WireFormatException">Wrong OID, wrong wrapping, trailing bytes or a malformed list.</exception>
    public static IReadOnlyList<SignedCertificateTimestamp> FromExtension(X509Extension extension)
    {
        ArgumentNullException.ThrowIfNull(extension);
        if (extension.Oid?.Value != SigstoreOids.SctList)
        {
            throw new WireFormatException($"extension {extension.Oid?.Value} is not the embedded SCT list ({SigstoreOids.SctList})");
        }

        byte[] tls;
        try
        {
            var reader = new AsnReader(extension.RawData, AsnEncodingRules.DER);
            tls = reader.ReadOctetString();
            reader.ThrowIfNotEmpty();
        }
        catch (AsnContentException e)
        {
            throw new WireFormatException("embedded SCT list: the extension value is not one DER OCTET STRING", e);
        }

        return Parse(tls);
    }
}
