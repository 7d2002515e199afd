using System.Security.Cryptography;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Core.Tests.Notes;

public sealed class CheckpointTests
{
    private static readonly byte[] Root = Convert.FromBase64String("CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=");

    [Fact]
    public void Parses_the_c2sp_example_and_writes_it_back()
    {
        // c2sp.org/tlog-checkpoint example (C2SP/C2SP tlog-checkpoint.md, commit 5ba5ee83).
        const string text = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";

        var checkpoint = Checkpoint.Parse(text);

        Assert.Equal(new Checkpoint("example.com/behind-the-sofa", 20852163, Root), checkpoint);
        Assert.Empty(checkpoint.Extensions);
        Assert.Equal(text, checkpoint.ToNoteText());
        Assert.False(checkpoint.IsRekorV1Origin);
    }

    [Fact]
    public void Extension_lines_round_trip()
    {
        var checkpoint = new Checkpoint("rekor.sigstore.dev - 2605736670972794746", 27657875, Root, ["Timestamp: 1692374735595899989", "other: x"]);
        var text = checkpoint.ToNoteText();

        Assert.Equal("rekor.sigstore.dev - 2605736670972794746\n27657875\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\nTimestamp: 1692374735595899989\nother: x\n", text);
        Assert.Equal(checkpoint, Checkpoint.Parse(text));
        Assert.Equal(checkpoint.GetHashCode(), Checkpoint.Parse(text).GetHashCode());
        Assert.NotEqual(checkpoint, checkpoint with { Extensions = [] });
    }

    [Theory]
    [InlineData("0", 0UL)]
    [InlineData("1", 1UL)]
    [InlineData("18446744073709551615", ulong.MaxValue)]
    public void Sizes_are_canonical_decimal(string size, ulong expected) =>
        Assert.Equal(expected, Checkpoint.Parse($"o\n{size}\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n").Size);

    [Theory]
    [InlineData("o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=", "newline")]
    [InlineData("o\n1\n", "three lines")]
    [InlineData("\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "empty origin")]
    [InlineData("o\n01\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "tree size")]
    [InlineData("o\n+1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "tree size")]
    [InlineData("o\n-1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "tree size")]
    [InlineData("o\n 1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "tree size")]
    [InlineData("o\n1.0\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "tree size")]
    [InlineData("o\n\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "tree size")]
    [InlineData("o\n18446744073709551616\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "tree size")]
    [InlineData("o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I\n", "base64")]
    [InlineData("o\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n", "32 bytes")]
    [InlineData("o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n", "empty extension")]
    [InlineData("o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\next\n\n", "empty extension")]
    [InlineData("o\tx\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "control character")]
    [InlineData("o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\nx\ry\n", "control character")]
    public void Rejects_malformed_checkpoints(string text, string reasonFragment)
    {
        var e = Assert.Throws<WireFormatException>(() => Checkpoint.Parse(text));
        Assert.Contains(reasonFragment, e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Bounds_lines_and_extension_count()
    {
        const string head = "o\n1\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
        Assert.Equal(100, Checkpoint.Parse(head + string.Concat(Enumerable.Repeat("e\n", 100))).Extensions.Count);
        Assert.Throws<WireFormatException>(() => Checkpoint.Parse(head + string.Concat(Enumerable.Repeat("e\n", 101))));
        Assert.Throws<WireFormatException>(() => Checkpoint.Parse(new string('o', Checkpoint.MaxLineBytes + 1) + head[1..]));
        Assert.Throws<WireFormatException>(() => Checkpoint.Parse(head + new string('e', Checkpoint.MaxLineBytes + 1) + "\n"));
    }

    [Fact]
    public void Constructor_guards_its_invariants()
    {
        Assert.Throws<ArgumentException>(() => new Checkpoint("", 1, Root));
        Assert.Throws<ArgumentException>(() => new Checkpoint("a\nb", 1, Root));
        Assert.Throws<ArgumentException>(() => new Checkpoint("o", 1, new byte[31]));
        Assert.Throws<ArgumentException>(() => new Checkpoint("o", 1, Root, [""]));
        Assert.Throws<ArgumentException>(() => new Checkpoint("o", 1, Root, ["a\nb"]));
        var valid = new Checkpoint("o", 1, Root);
        Assert.Throws<ArgumentException>(() => valid with { Origin = "" });
        Assert.Throws<ArgumentException>(() => valid with { RootHash = [] });
    }

    [Theory]
    [InlineData("rekor.sigstore.dev - 2605736670972794746", true)]
    [InlineData("localhost:3000 - 1", true)]
    [InlineData(" - 5", true)]
    [InlineData("a - b - 7", true)]
    [InlineData("log2025-1.rekor.sigstore.dev", false)]
    [InlineData("rekor.sigstore.dev - 12x", false)]
    [InlineData("rekor.sigstore.dev - ", false)]
    [InlineData("rekor.sigstore.dev -12", false)]
    [InlineData("rekor.sigstore.dev - \u0661", false)] // Arabic-Indic digit: Go's [0-9] is ASCII
    public void Recognises_rekor_v1_origins_as_sigstore_go_does(string origin, bool expected) =>
        Assert.Equal(expected, Checkpoint.IsRekorV1StyleOrigin(origin));

    [Fact]
    public void Builds_rekor_v1_origins() =>
        Assert.Equal("rekor.sigstore.dev - 2605736670972794746", Checkpoint.RekorV1Origin("rekor.sigstore.dev", 2605736670972794746));

    [Fact]
    public void Signed_checkpoints_round_trip_and_check_their_origin()
    {
        var signer = new Ed25519NoteSigner("log.example", RandomNumberGenerator.GetBytes(32));
        var checkpoint = new Checkpoint("log.example", 10, Root);

        var signed = SignedCheckpoint.Parse(SignedCheckpoint.Sign(checkpoint, signer).Serialize());

        Assert.Equal(checkpoint, signed.Checkpoint);
        Assert.Equal([signer.Verifier], signed.Verify([signer.Verifier], expectedOrigin: "log.example"));
        Assert.Contains("origin", Assert.Throws<NoteVerificationException>(() => signed.Verify([signer.Verifier], expectedOrigin: "other.example")).Reason, StringComparison.Ordinal);
        Assert.Throws<WireFormatException>(() => SignedCheckpoint.Parse("not a checkpoint\n\n" + signed.Serialize().Split("\n\n")[1]));
    }

    [Fact]
    public void Rekor_v1_rule_requires_every_signature_to_be_the_logs()
    {
        using var logKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var log = new EcdsaNoteSigner("rekor.example", logKey);
        var witness = new Ed25519NoteSigner("witness.example", RandomNumberGenerator.GetBytes(32));
        var checkpoint = new Checkpoint(Checkpoint.RekorV1Origin("rekor.example", 42), 3, Root);

        var alone = SignedCheckpoint.Sign(checkpoint, log);
        var cosigned = SignedCheckpoint.Sign(checkpoint, log, witness);

        Assert.True(alone.Checkpoint.IsRekorV1Origin);
        Assert.True(alone.VerifyRekorV1(log.Verifier));
        Assert.False(cosigned.VerifyRekorV1(log.Verifier)); // legacy verifiers fail on any foreign key hint
        Assert.Equal([log.Verifier], cosigned.Verify([log.Verifier])); // C2SP verifiers ignore it
        Assert.False(alone.VerifyRekorV1(new EcdsaNoteVerifier("rekor.example", otherKey)));
    }
}
