using System.Security.Cryptography;
using System.Text;
using CsCheck;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Core.Tests.Notes;

public sealed class SignedNoteTests
{
    // golang.org/x/mod sumdb/note/note.go package doc and note_test.go TestOpen (commit fe2ec04f).
    private const string GoText = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
    private const string PeterSignerKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    private const string PeterVerifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    private const string EnochVerifierKey = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
    private const string PeterSig = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
    private const string EnochSig = "— EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

    private static readonly Ed25519NoteVerifier Peter = Ed25519NoteVerifier.ParseVerifierKey(PeterVerifierKey);
    private static readonly Ed25519NoteVerifier Enoch = Ed25519NoteVerifier.ParseVerifierKey(EnochVerifierKey);

    [Fact]
    public void C2sp_signed_note_example_verifies()
    {
        // c2sp.org/signed-note "Example" section (C2SP/C2SP signed-note.md, commit 5ba5ee83).
        var verifier = Ed25519NoteVerifier.ParseVerifierKey("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k");
        const string note = "This is an example message.\n\n— example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

        var parsed = SignedNote.Parse(note);

        Assert.Equal("This is an example message.\n", parsed.Text);
        Assert.Equal(0x530d903au, Assert.Single(parsed.Signatures).KeyHash);
        Assert.Same(verifier, Assert.Single(parsed.Verify([verifier])));
        Assert.Equal(note, parsed.Serialize());
        Assert.Equal("example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", verifier.VerifierKey);
    }

    [Fact]
    public void Signing_reproduces_the_go_documentation_signature_byte_for_byte()
    {
        // Ed25519 is deterministic, so note.Sign's output for the documented key is reproducible.
        var seed = Convert.FromBase64String(PeterSignerKey.Split('+', 5)[4])[1..];
        var signer = new Ed25519NoteSigner("PeterNeumann", seed);

        var note = SignedNote.Sign(GoText, signer);

        Assert.Equal(0xc74f20a3u, signer.KeyHash);
        Assert.Equal(PeterVerifierKey, signer.Verifier.VerifierKey);
        Assert.Equal(GoText + "\n" + PeterSig, note.Serialize());
    }

    [Fact]
    public void Go_TestOpen_verification_cases()
    {
        var both = SignedNote.Parse(GoText + "\n" + PeterSig + EnochSig);

        Assert.Equal(GoText, both.Text);
        Assert.Equal([Peter], both.Verify([Peter]));
        Assert.Equal<INoteVerifier>([Peter, Enoch], both.Verify([Peter, Enoch]));
        Assert.Contains("no signature from a known key", Assert.Throws<NoteVerificationException>(() => both.Verify([])).Reason, StringComparison.Ordinal);

        // Duplicated verifier: an error only when a signature needs it.
        Assert.Contains("ambiguous key EnochRoot+af0cfe78", Assert.Throws<NoteVerificationException>(() => SignedNote.Parse(GoText + "\n" + EnochSig).Verify([Enoch, Peter, Enoch])).Reason, StringComparison.Ordinal);
        Assert.Equal([Peter], SignedNote.Parse(GoText + "\n" + PeterSig).Verify([Enoch, Peter, Enoch]));

        // More than 100 signature lines.
        Assert.Throws<WireFormatException>(() => SignedNote.Parse(GoText + "\n" + string.Concat(Enumerable.Repeat(PeterSig, 101))));
        Assert.Equal(100, SignedNote.Parse(GoText + "\n" + string.Concat(Enumerable.Repeat(PeterSig, 100))).Signatures.Count);

        // A known key's signature that does not verify.
        var invalid = SignedNote.Parse(GoText + "\n" + PeterSig[..60] + "ABCD" + PeterSig[60..]);
        Assert.Contains("invalid signature for key PeterNeumann+c74f20a3", Assert.Throws<NoteVerificationException>(() => invalid.Verify([Peter])).Reason, StringComparison.Ordinal);

        // Repeated and broken lines from a key: only the first line of a known key counts; unknown ones are ignored.
        var repeated = SignedNote.Parse(GoText + "\n" + PeterSig + PeterSig + EnochSig + EnochSig + EnochSig[..60] + "ABCD" + EnochSig[60..]);
        Assert.Equal([Peter], repeated.Verify([Peter]));
        Assert.Equal(5, repeated.Signatures.Count);
    }

    public static TheoryData<string, string> GoBadMessages => new()
    {
        // note_test.go TestOpen badMsgs, plus the cases the C2SP text names.
        { GoText, "blank line" },
        { GoText + "\n", "no signature" },
        { GoText + "\n" + PeterSig[..^1], "newline" },
        { "\x01" + GoText + "\n" + PeterSig, "control character" },
        { GoText + "\n" + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=", "newline" },
        { GoText + "\n" + "— Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n", "base64" },
        { GoText + "\n" + PeterSig + "Unexpected line.\n", "em dash" },
        { GoText + "\n" + PeterSig.Replace("—", "-", StringComparison.Ordinal), "hyphen" },
        { GoText + "\n" + PeterSig.Replace("—", "–", StringComparison.Ordinal), "en dash" },
        { GoText + "\n" + "—PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n", "em dash" },
        { GoText + "\n" + "— PeterNeumann x08go/ZJkuBS9UG/Sffcv!AQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n", "base64" },
        { GoText + "\n" + "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM\n", "base64" },
        { GoText + "\n" + "— PeterNeumann  x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n", "base64" },
        { GoText + "\n" + "— PeterNeumann\n", "base64" },
        { GoText + "\n" + "— PeterNeumann AAAAAA==\n", "shorter than 5 bytes" },
        { GoText + "\n" + "— Peter+Neumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n", "key name" },
        { GoText + "\n" + "— Peter\u00a0Neumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n", "key name" },
        { "text\r\n\n" + PeterSig, "control character" },
        { "text\n\n" + PeterSig + "\n", "no signature" },
    };

    [Theory]
    [MemberData(nameof(GoBadMessages))]
    public void Rejects_malformed_notes_with_a_reason(string note, string reasonFragment)
    {
        var e = Assert.Throws<WireFormatException>(() => SignedNote.Parse(note));
        Assert.Contains(reasonFragment, e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_invalid_utf8_oversized_notes_and_long_lines()
    {
        var bytes = Encoding.UTF8.GetBytes(GoText + "\n" + PeterSig);
        Assert.Throws<WireFormatException>(() => SignedNote.Parse([0xff, .. bytes]));
        Assert.Throws<WireFormatException>(() => SignedNote.Parse([0xed, 0xa0, 0x80, (byte)'\n', .. bytes])); // UTF-8 surrogate
        Assert.Throws<WireFormatException>(() => SignedNote.Parse("\ud800" + GoText + "\n" + PeterSig));

        var huge = new string('a', SignedNote.MaxNoteBytes) + "\n\n" + PeterSig;
        Assert.Contains("larger than", Assert.Throws<WireFormatException>(() => SignedNote.Parse(huge)).Reason, StringComparison.Ordinal);
        Assert.Throws<WireFormatException>(() => SignedNote.Parse(Encoding.UTF8.GetBytes(huge)));

        var longSignature = "— PeterNeumann " + Convert.ToBase64String(new byte[SignedNote.MaxSignatureLineBytes]) + "\n";
        Assert.Contains("longer than", Assert.Throws<WireFormatException>(() => SignedNote.Parse(GoText + "\n" + longSignature)).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Text_may_contain_blank_lines_and_the_last_blank_line_separates()
    {
        var signer = new Ed25519NoteSigner("example.com/k", new byte[32]);
        const string text = "line one\n\nline three\n\n";

        var note = SignedNote.Sign(text, signer);
        var parsed = SignedNote.Parse(note.Serialize());

        Assert.Equal(text, parsed.Text);
        Assert.Equal([signer.Verifier], parsed.Verify([signer.Verifier]));
    }

    [Fact]
    public void Construction_and_signing_reject_bad_text()
    {
        var signer = new Ed25519NoteSigner("example.com/k", new byte[32]);

        Assert.Contains("newline", Assert.Throws<WireFormatException>(() => SignedNote.Sign("no newline", signer)).Reason, StringComparison.Ordinal);
        Assert.Throws<WireFormatException>(() => SignedNote.Sign("tab\there\n", signer));
        Assert.Throws<WireFormatException>(() => SignedNote.Sign("lone \udc00\n", signer));
        Assert.Throws<WireFormatException>(() => new SignedNote("text\n", []));
        Assert.Throws<WireFormatException>(() => new SignedNote("text\n", [new NoteSignature("bad name", 1, [1])]));
        Assert.Throws<WireFormatException>(() => new SignedNote("text\n", [new NoteSignature("name", 1, [])]));
        Assert.Throws<ArgumentException>(() => SignedNote.Sign("text\n"));
        Assert.Throws<ArgumentException>(() => new Ed25519NoteSigner("bad+name", new byte[32]));
        Assert.Throws<ArgumentException>(() => new Ed25519NoteSigner("", new byte[32]));
    }

    [Fact]
    public void Ecdsa_notes_round_trip_and_a_wrong_key_does_not_verify()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var signer = new EcdsaNoteSigner("log.example", key);
        var imposter = new EcdsaNoteVerifier("log.example", otherKey);
        var sameHashWrongKey = new FixedHashVerifier("log.example", signer.KeyHash, imposter);

        var note = SignedNote.Parse(SignedNote.Sign("hello\n", signer).Serialize());

        Assert.Equal(signer.KeyHash, Assert.Single(note.Signatures).KeyHash);
        Assert.Equal(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(key.ExportSubjectPublicKeyInfo())), signer.KeyHash);
        Assert.Equal([signer.Verifier], note.Verify([signer.Verifier]));
        Assert.Throws<NoteVerificationException>(() => note.Verify([imposter])); // different key hash: unknown key
        Assert.Throws<NoteVerificationException>(() => note.Verify([sameHashWrongKey])); // known key, bad signature
        Assert.Throws<NoteVerificationException>(() => note.Verify([new EcdsaNoteVerifier("other.example", key)])); // name differs
    }

    [Fact]
    public void Ed25519_notes_round_trip_and_a_wrong_key_does_not_verify()
    {
        var seed = RandomNumberGenerator.GetBytes(32);
        var signer = new Ed25519NoteSigner("witness.example/w1", seed);
        var other = new Ed25519NoteSigner("witness.example/w1", RandomNumberGenerator.GetBytes(32));

        var note = SignedNote.Parse(SignedNote.Sign("a\nb\n", signer).SerializeToUtf8());

        Assert.Equal([signer.Verifier], note.Verify([signer.Verifier, other.Verifier]));
        Assert.Throws<NoteVerificationException>(() => note.Verify([other.Verifier]));
        Assert.Throws<NoteVerificationException>(() => note.Verify([new FixedHashVerifier(signer.Name, signer.KeyHash, other.Verifier)]));
    }

    [Fact]
    public void Several_signers_of_both_kinds_sign_one_note()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var log = new EcdsaNoteSigner("log.example", key);
        var witness = new Ed25519NoteSigner("witness.example", RandomNumberGenerator.GetBytes(32));

        var note = SignedNote.Sign("log.example\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n", log, witness);
        var parsed = SignedNote.Parse(note.Serialize());

        Assert.Equal<INoteVerifier>([log.Verifier, witness.Verifier], parsed.Verify([witness.Verifier, log.Verifier]));
        Assert.Equal([witness.Verifier], parsed.Verify([witness.Verifier]));
        Assert.Equal(note.Signatures, parsed.Signatures);
    }

    [Fact]
    public void Hsm_style_signers_are_checked_before_publishing()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var spki = key.ExportSubjectPublicKeyInfo();
        var der = new EcdsaNoteSigner("log.example", spki, m => key.SignData(m, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        var p1363 = new EcdsaNoteSigner("log.example", spki, m => key.SignData(m, HashAlgorithmName.SHA256));

        Assert.Equal([der.Verifier], SignedNote.Sign("x\n", der).Verify([der.Verifier]));
        Assert.Throws<InvalidOperationException>(() => SignedNote.Sign("x\n", p1363));
        Assert.Throws<WireFormatException>(() => new EcdsaNoteSigner("log.example", [1, 2, 3], m => m));
        Assert.Throws<WireFormatException>(() => new EcdsaNoteVerifier("log.example", Ed25519PublicKeyInfo()));
    }

    [Fact]
    public void Verifier_keys_round_trip_even_when_the_base64_holds_a_plus()
    {
        var keys = Enumerable.Range(1, 40).Select(i => new Ed25519NoteSigner("example.com/k" + i, Enumerable.Repeat((byte)i, 32).ToArray()).Verifier).ToList();

        Assert.Contains(keys, k => k.VerifierKey.Split('+').Length > 3);
        Assert.All(keys, k => Assert.Equal(k.PublicKey, Ed25519NoteVerifier.ParseVerifierKey(k.VerifierKey).PublicKey));
    }

    [Fact]
    public void Verifier_keys_are_parsed_strictly()
    {
        Assert.Throws<WireFormatException>(() => Ed25519NoteVerifier.ParseVerifierKey("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));
        Assert.Throws<WireFormatException>(() => Ed25519NoteVerifier.ParseVerifierKey("PeterNeumann+c74f20a3+AhpcQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));
        Assert.Throws<WireFormatException>(() => Ed25519NoteVerifier.ParseVerifierKey("PeterNeumann+c74f20a3"));
        Assert.Throws<WireFormatException>(() => Ed25519NoteVerifier.ParseVerifierKey("Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"));
    }

    [Fact]
    public void Mutated_notes_never_escape_as_another_exception()
    {
        var seed = Encoding.UTF8.GetBytes(GoText + "\n" + PeterSig + EnochSig);
        Gen.Select(Gen.Int[0, seed.Length - 1], Gen.Byte).Array[1, 3].Sample(edits =>
        {
            var copy = (byte[])seed.Clone();
            foreach (var (at, value) in edits)
            {
                copy[at] = value;
            }

            try
            {
                SignedNote.Parse(copy).Verify([Peter, Enoch]);
            }
            catch (WireFormatException)
            {
            }
        }, iter: 300);
    }

    private static byte[] Ed25519PublicKeyInfo() => Convert.FromBase64String("MCowBQYDK2VwAyEAt8rlp1knGwjfbcXAYPYAkn0XiLz1x8O4t0YkEhie244=");
}
