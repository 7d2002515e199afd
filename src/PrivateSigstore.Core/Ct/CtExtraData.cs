namespace PrivateSigstore.Core.Ct;

/// <summary>
/// The <c>extra_data</c> of an RFC 6962 §4.6 log entry: for an x509_entry the <c>certificate_chain</c> (the chain
/// without the leaf, <c>uint24 len + (uint24 len + ASN.1Cert)*</c>); for a precert_entry the <c>PrecertChainEntry</c>
/// (<c>uint24 len + pre_certificate</c>, then the precertificate's chain encoded the same way).
/// </summary>
public static class CtExtraData
{
    /// <summary>Encodes the extra data of an x509_entry: <paramref name="chain"/> is the chain without the leaf.</summary>
    /// <exception cref="ArgumentException">A certificate is empty or a length overflows its uint24.</exception>
    public static byte[] ForX509(IReadOnlyList<byte[]> chain)
    {
        ArgumentNullException.ThrowIfNull(chain);
        var w = new TlsWriter();
        WriteChain(w, chain);
        return w.ToArray();
    }

    /// <summary>Encodes the extra data of a precert_entry: the precertificate as submitted, then its chain.</summary>
    /// <exception cref="ArgumentException">A certificate is empty or a length overflows its uint24.</exception>
    public static byte[] ForPrecert(byte[] precertificate, IReadOnlyList<byte[]> chain)
    {
        ArgumentNullException.ThrowIfNull(precertificate);
        ArgumentNullException.ThrowIfNull(chain);
        var w = new TlsWriter();
        WriteCert(w, precertificate);
        WriteChain(w, chain);
        return w.ToArray();
    }

    /// <summary>Decodes an x509_entry's extra data: the chain without the leaf.</summary>
    /// <exception cref="WireFormatException">The data is malformed.</exception>
    public static IReadOnlyList<byte[]> ParseX509(ReadOnlySpan<byte> data)
    {
        var r = new TlsReader(data);
        var chain = ReadChain(ref r);
        r.ExpectEnd("certificate_chain");
        return chain;
    }

    /// <summary>Decodes a precert_entry's extra data: the precertificate and its chain.</summary>
    /// <exception cref="WireFormatException">The data is malformed.</exception>
    public static (byte[] Precertificate, IReadOnlyList<byte[]> Chain) ParsePrecert(ReadOnlySpan<byte> data)
    {
        var r = new TlsReader(data);
        byte[] precert = r.ReadOpaque24("pre_certificate", minLength: 1).ToArray();
        var chain = ReadChain(ref r);
        r.ExpectEnd("PrecertChainEntry");
        return (precert, chain);
    }

    private static void WriteChain(TlsWriter w, IReadOnlyList<byte[]> chain)
    {
        var inner = new TlsWriter();
        foreach (var cert in chain) WriteCert(inner, cert);
        w.WriteOpaque24(inner.ToArray());
    }

    private static void WriteCert(TlsWriter w, byte[] cert)
    {
        // RFC 6962 §3.1: ASN.1Cert is opaque <1..2^24-1>.
        if (cert is null || cert.Length is 0 or > 0xFF_FFFF)
        {
            throw new ArgumentException("a certificate must be 1 to 2^24-1 bytes", nameof(cert));
        }

        w.WriteOpaque24(cert);
    }

    private static List<byte[]> ReadChain(ref TlsReader r)
    {
        var list = new TlsReader(r.ReadOpaque24("certificate chain"));
        var chain = new List<byte[]>();
        while (!list.IsEmpty) chain.Add(list.ReadOpaque24("chain certificate", minLength: 1).ToArray());
        return chain;
    }
}
