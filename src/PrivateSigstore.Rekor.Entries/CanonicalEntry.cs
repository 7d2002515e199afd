namespace PrivateSigstore.Rekor.Entries;

/// <summary>
/// A validated Rekor v1 entry in the form the log stores.
/// </summary>
/// <param name="Kind">The entry kind (<c>hashedrekord</c>, <c>dsse</c>, <c>intoto</c>).</param>
/// <param name="ApiVersion">The kind's version (<c>0.0.1</c>, <c>0.0.2</c>).</param>
/// <param name="Body">
/// The Merkle leaf: the RFC 8785 canonical JSON that upstream Rekor stores
/// (<c>jsoncanonicalizer.Transform(entry.Canonicalize())</c>), with keys and certificates re-encoded as Go
/// writes PEM. Served base64-encoded as <c>body</c>.
/// </param>
/// <param name="LeafHash">The RFC 6962 leaf hash of <paramref name="Body"/>: SHA-256(0x00 ‖ body), the entry UUID.</param>
/// <param name="IndexKeys">
/// The search-index keys upstream's <c>IndexKeys()</c> yields for the entry, lower-cased as upstream's
/// index storage writes them, duplicates removed, in upstream's order.
/// </param>
/// <param name="Attestation">
/// For intoto entries, the DSSE payload upstream keeps in attestation storage
/// (<c>AttestationKeyValue</c>; none above 100 KiB); null for other kinds.
/// </param>
public sealed record CanonicalEntry(
    string Kind,
    string ApiVersion,
    byte[] Body,
    byte[] LeafHash,
    IReadOnlyList<string> IndexKeys,
    byte[]? Attestation);
