namespace PrivateSigstore.Log;

/// <summary>The outcome of <see cref="TransparencyLog.AddAsync"/>.</summary>
/// <param name="Index">The entry's index in the log.</param>
/// <param name="Duplicate">True when an entry with the same leaf hash was already in the log; <paramref name="Index"/> is then that entry's index.</param>
/// <param name="TimestampMs">When the entry was integrated (Unix milliseconds; for a duplicate, when the original was).</param>
public readonly record struct AppendResult(ulong Index, bool Duplicate, long TimestampMs);

/// <summary>A published, signed checkpoint.</summary>
/// <param name="Size">Tree size.</param>
/// <param name="RootHash">RFC 6962 root hash.</param>
/// <param name="SignedNote">The checkpoint as a C2SP signed note.</param>
/// <param name="TimestampMs">When it was published (Unix milliseconds).</param>
public sealed record LogCheckpoint(ulong Size, byte[] RootHash, string SignedNote, long TimestampMs);

/// <summary>An entry read back from the log.</summary>
/// <param name="Index">Its index.</param>
/// <param name="Leaf">The leaf bytes exactly as appended.</param>
/// <param name="TimestampMs">When its batch was integrated (Unix milliseconds).</param>
public sealed record LogEntry(ulong Index, ReadOnlyMemory<byte> Leaf, long TimestampMs);
