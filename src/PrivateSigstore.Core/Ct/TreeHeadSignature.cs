namespace PrivateSigstore.Core.Ct;

/// <summary>
/// The RFC 6962 §3.5 <c>TreeHeadSignature</c> struct a log signs for a signed tree head:
/// <c>version v1(0) | signature_type tree_hash(1) | uint64 timestamp | uint64 tree_size | sha256_root_hash[32]</c>.
/// </summary>
public static class TreeHeadSignature
{
    /// <summary>The bytes the log's tree head signature covers.</summary>
    /// <param name="timestamp">The STH timestamp in milliseconds.</param>
    /// <param name="treeSize">The tree size.</param>
    /// <param name="rootHash">The RFC 6962 root hash at <paramref name="treeSize"/>; exactly 32 bytes.</param>
    /// <exception cref="ArgumentException">The root hash is not 32 bytes.</exception>
    public static byte[] SignedData(ulong timestamp, ulong treeSize, ReadOnlySpan<byte> rootHash)
    {
        if (rootHash.Length != 32)
        {
            throw new ArgumentException("the root hash must be 32 bytes", nameof(rootHash));
        }

        var w = new TlsWriter();
        w.WriteUInt8(SignedCertificateTimestamp.V1);
        w.WriteUInt8(1); // SignatureType tree_hash(1)
        w.WriteUInt64(timestamp);
        w.WriteUInt64(treeSize);
        w.WriteFixed(rootHash);
        return w.ToArray();
    }
}
