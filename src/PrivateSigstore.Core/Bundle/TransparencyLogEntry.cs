namespace PrivateSigstore.Core.Bundle;

/// <summary>The type and version of a Rekor entry, e.g. hashedrekord 0.0.1 (<c>dev.sigstore.rekor.v1.KindVersion</c>).</summary>
public sealed record KindVersion
{
    /// <summary>The entry kind, e.g. <c>hashedrekord</c>, <c>dsse</c>, <c>intoto</c>.</summary>
    public string Kind { get; init; } = "";

    /// <summary>The entry kind's schema version, e.g. <c>0.0.1</c>.</summary>
    public string Version { get; init; } = "";
}

/// <summary>A signed checkpoint in its C2SP signed-note text form (<c>dev.sigstore.rekor.v1.Checkpoint</c>).</summary>
public sealed record CheckpointEnvelope
{
    /// <summary>The whole signed note: body lines, a blank line, then signature lines.</summary>
    public string Envelope { get; init; } = "";
}

/// <summary>
/// An RFC 6962 inclusion proof of one log entry against a checkpoint
/// (<c>dev.sigstore.rekor.v1.InclusionProof</c>).
/// </summary>
public sealed record TlogInclusionProof
{
    /// <summary>The entry's index in the tree the proof is for (for sharded Rekor v1, the shard-local index).</summary>
    public long LogIndex { get; init; }

    /// <summary>The Merkle tree root hash the proof leads to.</summary>
    public byte[] RootHash { get; init; } = [];

    /// <summary>The size of the tree the proof is for.</summary>
    public long TreeSize { get; init; }

    /// <summary>The audit path, leaf to root.</summary>
    public IReadOnlyList<byte[]> Hashes { get; init; } = [];

    /// <summary>The signed checkpoint committing to <see cref="RootHash"/> and <see cref="TreeSize"/>.</summary>
    public CheckpointEnvelope? Checkpoint { get; init; }
}

/// <summary>
/// A log's promise to include an entry: Rekor v1's signed entry timestamp
/// (<c>dev.sigstore.rekor.v1.InclusionPromise</c>).
/// </summary>
public sealed record InclusionPromise
{
    /// <summary>The SET: the log's signature over the canonical {body, integratedTime, logID, logIndex}.</summary>
    public byte[] SignedEntryTimestamp { get; init; } = [];
}

/// <summary>
/// One transparency log entry with the material to verify it offline
/// (<c>dev.sigstore.rekor.v1.TransparencyLogEntry</c>).
/// </summary>
public sealed record TransparencyLogEntry
{
    /// <summary>The entry's global index in the log.</summary>
    public long LogIndex { get; init; }

    /// <summary>The identity of the log; null when not set.</summary>
    public LogId? LogId { get; init; }

    /// <summary>The entry type and version; null when not set.</summary>
    public KindVersion? KindVersion { get; init; }

    /// <summary>When the log integrated the entry, in Unix seconds; 0 for logs without it (Rekor v2).</summary>
    public long IntegratedTime { get; init; }

    /// <summary>The signed entry timestamp; null when not present.</summary>
    public InclusionPromise? InclusionPromise { get; init; }

    /// <summary>The inclusion proof; null when not present.</summary>
    public TlogInclusionProof? InclusionProof { get; init; }

    /// <summary>The canonicalized entry body exactly as the log stored it (the Merkle leaf data).</summary>
    public byte[] CanonicalizedBody { get; init; } = [];
}
