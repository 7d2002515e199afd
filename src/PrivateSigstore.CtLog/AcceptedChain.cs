using System.Security.Cryptography;
using PrivateSigstore.Core.Ct;

namespace PrivateSigstore.CtLog;

/// <summary>
/// A chain that passed <see cref="CtChainPolicy"/>: the entry to log (timestamp still unset) and its extra_data.
/// </summary>
/// <param name="EntryType">x509_entry (add-chain) or precert_entry (add-pre-chain).</param>
/// <param name="Certificate">The certificate DER (x509) or the TBSCertificate without the poison (precert).</param>
/// <param name="IssuerKeyHash">SHA-256 of the issuer's SubjectPublicKeyInfo (precert), else null.</param>
/// <param name="ExtraData">The RFC 6962 §4.6 extra_data: the verified chain (ending in the trusted root).</param>
/// <param name="Chain">The verified chain, leaf first, ending in the trusted root.</param>
public sealed record AcceptedChain(CtLogEntryType EntryType, byte[] Certificate, byte[]? IssuerKeyHash, byte[] ExtraData, IReadOnlyList<byte[]> Chain)
{
    /// <summary>The Merkle tree leaf for this entry stamped with <paramref name="timestampMs"/>.</summary>
    public MerkleTreeLeaf Leaf(ulong timestampMs) => EntryType == CtLogEntryType.X509
        ? MerkleTreeLeaf.ForX509(timestampMs, Certificate, [])
        : MerkleTreeLeaf.ForPrecert(timestampMs, IssuerKeyHash!, Certificate, []);

    /// <summary>
    /// The entry's identity: SHA-256 of its Merkle leaf without the timestamp (version, leaf type, entry type,
    /// signed entry, extensions). Resubmitting the same (pre)certificate maps to the same identity, so the log
    /// returns the first SCT's timestamp again and the engine recognises the identical leaf (ctfe dedupes likewise).
    /// </summary>
    public byte[] Identity() => LeafIdentity(Leaf(0).Serialize());

    /// <summary>The identity of a serialized Merkle tree leaf (see <see cref="Identity"/>).</summary>
    public static byte[] LeafIdentity(ReadOnlySpan<byte> leaf)
    {
        // MerkleTreeLeaf: version(1) | leaf_type(1) | timestamp(8) | rest.
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        h.AppendData(leaf[..2]);
        h.AppendData(leaf[10..]);
        return h.GetHashAndReset();
    }
}
