using System.Buffers.Binary;
using System.Security.Cryptography;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Log.Tests;

/// <summary>Rekor v1-style ECDSA P-256 checkpoint signer (key hash = SHA-256(SPKI)[0:4]).</summary>
internal sealed class TestEcdsaSigner(string name, ECDsa key) : INoteSigner
{
    public string Name { get; } = name;
    public ECDsa Key { get; } = key;
    public uint KeyHash { get; } = BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));
    public byte[] Sign(ReadOnlySpan<byte> message) => Key.SignData(message, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
}
