using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Core.Tests.Notes;

/// <summary>C2SP tlog-cosignature v1 (Ed25519): key ID, signed message, verifier keys, and what must not verify.</summary>
public sealed class CosignatureTests
{
    private const string Body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

    [Fact]
    public void Key_id_and_signed_message_follow_the_spec()
    {
        var seed = RandomNumberGenerator.GetBytes(32);
        var key = Ed25519.PublicKeyFromSeed(seed);
        var expectedId = SHA256.HashData([.. Encoding.UTF8.GetBytes("witness.example.com/w1\n"), 0x04, .. key]);
        Assert.Equal(BinaryPrimitives.ReadUInt32BigEndian(expectedId), Cosignature.KeyHash("witness.example.com/w1", key));
        Assert.Equal("cosignature/v1\ntime 1679315147\n" + Body, Encoding.UTF8.GetString(Cosignature.Message(Body, 1679315147)));

        var signature = Cosignature.Sign("witness.example.com/w1", seed, Body, 1679315147);
        Assert.Equal(72, signature.Signature.Length);
        Assert.Equal(1679315147UL, BinaryPrimitives.ReadUInt64BigEndian(signature.Signature));
        Assert.True(Ed25519.Verify(key, Cosignature.Message(Body, 1679315147), signature.Signature.AsSpan(8)));
        Assert.True(Cosignature.Verify(signature, "witness.example.com/w1", key, Body, out var time));
        Assert.Equal(1679315147UL, time);

        // Another body, another name, or another key: no.
        Assert.False(Cosignature.Verify(signature, "witness.example.com/w1", key, Body.Replace("20852163", "20852164", StringComparison.Ordinal), out _));
        Assert.False(Cosignature.Verify(signature, "witness.example.com/w2", key, Body, out _));
        Assert.False(Cosignature.Verify(signature, "witness.example.com/w1", Ed25519.PublicKeyFromSeed(RandomNumberGenerator.GetBytes(32)), Body, out _));
    }

    [Fact]
    public void Verifier_keys_round_trip_and_bad_ones_are_refused()
    {
        for (var i = 0; i < 20; i++) // base64 keys often contain '+', the vkey separator
        {
            var key = Ed25519.PublicKeyFromSeed(RandomNumberGenerator.GetBytes(32));
            var (name, parsed) = Cosignature.ParseVerifierKey(Cosignature.VerifierKey("w.example/" + i, key));
            Assert.Equal("w.example/" + i, name);
            Assert.Equal(key, parsed);
        }
        var good = Cosignature.VerifierKey("w.example", Ed25519.PublicKeyFromSeed(RandomNumberGenerator.GetBytes(32)));
        Assert.Throws<WireFormatException>(() => Cosignature.ParseVerifierKey("w.example+00000000+" + good.Split('+', 3)[2]));
        Assert.Throws<WireFormatException>(() => Cosignature.ParseVerifierKey("no-plus-signs"));
        var ed25519NoteKey = Convert.ToBase64String([0x01, .. new byte[32]]);
        Assert.Throws<WireFormatException>(() => Cosignature.ParseVerifierKey("w.example+00000000+" + ed25519NoteKey));
    }
}
