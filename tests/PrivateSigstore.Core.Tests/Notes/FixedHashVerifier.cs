using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Core.Tests.Notes;

/// <summary>A verifier that claims a given name and key hash but checks with another key: a "known key, wrong signature" double.</summary>
internal sealed class FixedHashVerifier(string name, uint keyHash, INoteVerifier inner) : INoteVerifier
{
    public string Name => name;

    public uint KeyHash => keyHash;

    public bool Verify(ReadOnlySpan<byte> message, ReadOnlySpan<byte> signature) => inner.Verify(message, signature);
}
