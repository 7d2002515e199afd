namespace PrivateSigstore.Core.Ct;

/// <summary>
/// The RFC 6962 §3.2 <c>digitally-signed</c> struct an SCT signature covers:
/// <c>version(0) | signature_type certificate_timestamp(0) | uint64 timestamp | uint16 entry_type | signed_entry |
/// uint16 len + extensions</c>, where signed_entry is <c>uint24 len + certificate</c> (x509_entry) or
/// <c>issuer_key_hash[32] | uint24 len + TBSCertificate</c> (precert_entry).
/// </summary>
public static class SctSignedData
{
    /// <summary>The signed data for an SCT over a final certificate (x509_entry).</summary>
    /// <param name="timestamp">The SCT timestamp in milliseconds.</param>
    /// <param name="certDer">The certificate's DER; 1 to 2^24-1 bytes.</param>
    /// <param name="extensions">The SCT's extensions (usually empty); at most 65,535 bytes.</param>
    /// <exception cref="ArgumentException">A length is out of range.</exception>
    public static byte[] ForX509(ulong timestamp, byte[] certDer, byte[] extensions)
    {
        ArgumentNullException.ThrowIfNull(certDer);
        ArgumentNullException.ThrowIfNull(extensions);
        var w = Header();
        TimestampedEntry.Write(w, timestamp, CtLogEntryType.X509, default, certDer, extensions);
        return w.ToArray();
    }

    /// <summary>The signed data for an SCT over a precertificate (precert_entry).</summary>
    /// <param name="timestamp">The SCT timestamp in milliseconds.</param>
    /// <param name="issuerKeyHash">SHA-256 of the issuing CA's SubjectPublicKeyInfo DER; exactly 32 bytes.</param>
    /// <param name="tbsCertificate">The TBSCertificate DER without the poison (and without any SCT list) extension.</param>
    /// <param name="extensions">The SCT's extensions (usually empty); at most 65,535 bytes.</param>
    /// <exception cref="ArgumentException">A length is out of range.</exception>
    public static byte[] ForPrecert(ulong timestamp, byte[] issuerKeyHash, byte[] tbsCertificate, byte[] extensions)
    {
        ArgumentNullException.ThrowIfNull(issuerKeyHash);
        ArgumentNullException.ThrowIfNull(tbsCertificate);
        ArgumentNullException.ThrowIfNull(extensions);
        var w = Header();
        TimestampedEntry.Write(w, timestamp, CtLogEntryType.Precert, issuerKeyHash, tbsCertificate, extensions);
        return w.ToArray();
    }

    private static TlsWriter Header()
    {
        var w = new TlsWriter();
        w.WriteUInt8(SignedCertificateTimestamp.V1);
        w.WriteUInt8(0); // SignatureType certificate_timestamp(0)
        return w;
    }
}
