using System.Buffers.Binary;
using System.Security.Cryptography;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Notes;
using PrivateSigstore.Keys.Tests.TestSupport;

namespace PrivateSigstore.Keys.Tests;

public sealed class SigningKeyNoteSignerTests(SoftHsmFixture hsm)
{
    private const string Checkpoint = "rekor.example.com - 1234\n5\nq5T3ZVEtNBUWbC0U7TwvcmFD+6u6d8k9iVPIyH3J5qg=\n";

    [Fact]
    public void Ecdsa_notes_verify_with_the_rekor_verifier()
    {
        using var key = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
        var signer = new SigningKeyNoteSigner("rekor.example.com", key);
        var verifier = new EcdsaNoteVerifier("rekor.example.com", key.SubjectPublicKeyInfo);

        var note = SignedNote.Parse(SignedNote.Sign(Checkpoint, signer).Serialize());

        Assert.Equal(verifier.KeyHash, signer.KeyHash);
        Assert.Equal(BinaryPrimitives.ReadUInt32BigEndian(KeyIds.LogId(key.SubjectPublicKeyInfo)), signer.KeyHash);
        Assert.Single(note.Verify([verifier]));
    }

    [Fact]
    public void Ed25519_notes_verify_with_the_c2sp_verifier()
    {
        using var key = InMemorySigningKey.Generate(SigningAlgorithm.Ed25519);
        var signer = new SigningKeyNoteSigner("log.example.com/v2", key);
        var verifier = Ed25519NoteVerifier.FromSubjectPublicKeyInfo("log.example.com/v2", key.SubjectPublicKeyInfo);

        var note = SignedNote.Parse(SignedNote.Sign(Checkpoint, signer).Serialize());

        Assert.Equal(verifier.KeyHash, signer.KeyHash);
        Assert.Single(note.Verify([verifier]));
    }

    [Fact]
    public void Hsm_key_notes_verify()
    {
        using var token = hsm.OpenToken();
        using var key = token.GenerateKey($"note-{Guid.NewGuid():N}", SigningAlgorithm.EcdsaP256Sha256);
        var signer = new SigningKeyNoteSigner("rekor.example.com", key);

        var note = SignedNote.Parse(SignedNote.Sign(Checkpoint, signer).Serialize());

        Assert.Single(note.Verify([new EcdsaNoteVerifier("rekor.example.com", key.SubjectPublicKeyInfo)]));
    }

    [Fact]
    public void Keys_whose_digest_is_not_sha256_and_bad_names_are_refused()
    {
        using var p384 = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP384Sha384);
        using var p256 = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);

        Assert.Throws<ArgumentException>(() => new SigningKeyNoteSigner("rekor.example.com", p384));
        Assert.Throws<ArgumentException>(() => new SigningKeyNoteSigner("bad name", p256));
        Assert.Throws<ArgumentException>(() => new SigningKeyNoteSigner("a+b", p256));
    }

    [Fact]
    public void Ecdsa_key_hash_is_independent_of_the_name()
    {
        using var key = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);

        var expected = BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(key.SubjectPublicKeyInfo));

        Assert.Equal(expected, new SigningKeyNoteSigner("a", key).KeyHash);
        Assert.Equal(expected, new SigningKeyNoteSigner("b", key).KeyHash);
    }
}
