namespace PrivateSigstore.Core.Ct;

/// <summary>
/// An RFC 6962 §3.4 <c>MerkleTreeLeaf</c> of version v1(0) and leaf_type timestamped_entry(0): what a CT log hashes
/// (with the RFC 6962 leaf hash) to put an entry in its tree.
/// </summary>
/// <param name="Timestamp">The SCT timestamp in milliseconds.</param>
/// <param name="EntryType">Whether <paramref name="Certificate"/> is a final certificate or a precertificate TBS.</param>
/// <param name="Certificate">For <see cref="CtLogEntryType.X509"/> the certificate DER; for
/// <see cref="CtLogEntryType.Precert"/> the TBSCertificate DER (poison removed). 1 to 2^24-1 bytes.</param>
/// <param name="IssuerKeyHash">For precert entries, SHA-256 of the issuer's SubjectPublicKeyInfo DER (32 bytes);
/// <see langword="null"/> for x509 entries.</param>
/// <param name="Extensions">The CT extensions, as in the SCT (usually empty).</param>
public sealed record MerkleTreeLeaf(
    ulong Timestamp,
    CtLogEntryType EntryType,
    byte[] Certificate,
    byte[]? IssuerKeyHash,
    byte[] Extensions)
{
    /// <summary>A leaf for a final certificate (x509_entry).</summary>
    public static MerkleTreeLeaf ForX509(ulong timestamp, byte[] certDer, byte[] extensions) =>
        new(timestamp, CtLogEntryType.X509, certDer, null, extensions);

    /// <summary>A leaf for a precertificate (precert_entry).</summary>
    public static MerkleTreeLeaf ForPrecert(ulong timestamp, byte[] issuerKeyHash, byte[] tbsCertificate, byte[] extensions) =>
        new(timestamp, CtLogEntryType.Precert, tbsCertificate, issuerKeyHash, extensions);

    /// <summary>
    /// The TLS encoding: <c>version(0) | leaf_type(0) | uint64 timestamp | uint16 entry_type | signed_entry |
    /// uint16 len + extensions</c>.
    /// </summary>
    /// <exception cref="ArgumentException">A field is missing or its length is out of range (for example an
    /// issuer key hash that is not 32 bytes on a precert entry, or one present on an x509 entry).</exception>
    public byte[] Serialize()
    {
        ArgumentNullException.ThrowIfNull(Certificate);
        ArgumentNullException.ThrowIfNull(Extensions);
        if (EntryType == CtLogEntryType.X509 && IssuerKeyHash is not null)
        {
            throw new ArgumentException("an x509 entry has no issuer key hash", nameof(IssuerKeyHash));
        }

        if (EntryType == CtLogEntryType.Precert && IssuerKeyHash is null)
        {
            throw new ArgumentException("a precert entry needs an issuer key hash", nameof(IssuerKeyHash));
        }

        var w = new TlsWriter();
        w.WriteUInt8(0); // Version v1
        w.WriteUInt8(0); // MerkleLeafType timestamped_entry
        TimestampedEntry.Write(w, Timestamp, EntryType, IssuerKeyHash, Certificate, Extensions);
        return w.ToArray();
    }

    /// <summary>
    /// Parses a v1 timestamped_entry leaf strictly: unknown versions, leaf types or entry types, an empty certificate,
    /// truncation and trailing bytes are rejected.
    /// </summary>
    /// <exception cref="WireFormatException">The leaf is malformed.</exception>
    public static MerkleTreeLeaf Parse(ReadOnlySpan<byte> data)
    {
        var r = new TlsReader(data);
        byte version = r.ReadUInt8("leaf version");
        if (version != 0)
        {
            throw new WireFormatException($"Merkle leaf version {version} is not v1(0)");
        }

        byte leafType = r.ReadUInt8("leaf type");
        if (leafType != 0)
        {
            throw new WireFormatException($"Merkle leaf type {leafType} is not timestamped_entry(0)");
        }

        ulong timestamp = r.ReadUInt64("timestamp");
        ushort entryType = r.ReadUInt16("entry type");
        byte[]? issuerKeyHash = null;
        CtLogEntryType type;
        switch (entryType)
        {
            case 0:
                type = CtLogEntryType.X509;
                break;
            case 1:
                type = CtLogEntryType.Precert;
                issuerKeyHash = r.ReadFixed(TimestampedEntry.IssuerKeyHashLength, "issuer key hash").ToArray();
                break;
            default:
                throw new WireFormatException($"log entry type {entryType} is neither x509_entry(0) nor precert_entry(1)");
        }

        byte[] certificate = r.ReadOpaque24(type == CtLogEntryType.X509 ? "certificate" : "TBS certificate", minLength: 1).ToArray();
        byte[] extensions = r.ReadOpaque16("CT extensions").ToArray();
        r.ExpectEnd("Merkle leaf");
        return new MerkleTreeLeaf(timestamp, type, certificate, issuerKeyHash, extensions);
    }
}
