namespace PrivateSigstore.Core.Notes;

/// <summary>
/// One signature line of a signed note: <c>— &lt;Name&gt; base64(KeyHash big-endian || Signature)</c>.
/// Equality compares the signature bytes, not the array reference.
/// </summary>
/// <param name="Name">The key name.</param>
/// <param name="KeyHash">The 32-bit key ID (the first four bytes of the decoded base64).</param>
/// <param name="Signature">The signature bytes after the key ID (at least one byte).</param>
public sealed record NoteSignature(string Name, uint KeyHash, byte[] Signature)
{
    /// <inheritdoc />
    public bool Equals(NoteSignature? other) =>
        other is not null
        && string.Equals(Name, other.Name, StringComparison.Ordinal)
        && KeyHash == other.KeyHash
        && Signature.AsSpan().SequenceEqual(other.Signature);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Name, KeyHash, Signature.Length);
}
