namespace PrivateSigstore.Core.Ct;

/// <summary>
/// Shared encoding of the body common to RFC 6962's digitally-signed SCT data (§3.2) and the Merkle leaf (§3.4):
/// <c>uint64 timestamp | uint16 entry_type | signed_entry | uint16 len + extensions</c>.
/// </summary>
internal static class TimestampedEntry
{
    public const int IssuerKeyHashLength = 32;

    public static void Write(
        TlsWriter w,
        ulong timestamp,
        CtLogEntryType entryType,
        ReadOnlySpan<byte> issuerKeyHash,
        ReadOnlySpan<byte> certificate,
        ReadOnlySpan<byte> extensions)
    {
        if (certificate.IsEmpty)
        {
            // RFC 6962 §3.1: ASN.1Cert and TBSCertificate are opaque <1..2^24-1>.
            throw new ArgumentException("the certificate (or TBS) must not be empty", nameof(certificate));
        }

        if (certificate.Length > 0xFF_FFFF)
        {
            throw new ArgumentException("the certificate (or TBS) exceeds 2^24-1 bytes", nameof(certificate));
        }

        if (extensions.Length > ushort.MaxValue)
        {
            throw new ArgumentException("CT extensions exceed 65535 bytes", nameof(extensions));
        }

        w.WriteUInt64(timestamp);
        switch (entryType)
        {
            case CtLogEntryType.X509:
                w.WriteUInt16(0);
                w.WriteOpaque24(certificate);
                break;
            case CtLogEntryType.Precert:
                if (issuerKeyHash.Length != IssuerKeyHashLength)
                {
                    throw new ArgumentException($"the issuer key hash must be {IssuerKeyHashLength} bytes", nameof(issuerKeyHash));
                }

                w.WriteUInt16(1);
                w.WriteFixed(issuerKeyHash);
                w.WriteOpaque24(certificate);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(entryType), entryType, "unknown log entry type");
        }

        w.WriteOpaque16(extensions);
    }
}
