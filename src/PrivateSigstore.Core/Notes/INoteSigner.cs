namespace PrivateSigstore.Core.Notes;

/// <summary>Signs C2SP signed notes (checkpoints) under one key name.</summary>
public interface INoteSigner
{
    /// <summary>The key name written in the signature line.</summary>
    string Name { get; }

    /// <summary>The 4-byte key hash (big-endian) prefixed to the signature.</summary>
    uint KeyHash { get; }

    /// <summary>Signs the note text (the message bytes).</summary>
    byte[] Sign(ReadOnlySpan<byte> message);
}
