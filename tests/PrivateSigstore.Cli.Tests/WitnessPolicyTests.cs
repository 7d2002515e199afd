using System.Security.Cryptography;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Core.Notes;

namespace PrivateSigstore.Cli.Tests;

/// <summary>
/// psig verify-blob --witness-policy: a Rekor v2 bundle is accepted only when its checkpoint carries the witness
/// cosignatures (C2SP tlog-cosignature v1) the policy's quorum needs; a bad policy file is a usage error naming the line.
/// </summary>
public sealed class WitnessPolicyTests(RekorV2Fixture v2) : IClassFixture<RekorV2Fixture>
{
    private static readonly byte[] SeedA = RandomNumberGenerator.GetBytes(32);
    private static readonly byte[] SeedB = RandomNumberGenerator.GetBytes(32);

    private static string Vkey(string name, byte[] seed) => Cosignature.VerifierKey(name, Ed25519.PublicKeyFromSeed(seed));

    /// <summary>A copy of <paramref name="bundle"/> whose checkpoint is cosigned by the given witnesses.</summary>
    private static string Cosigned(string bundle, string suffix, params (string Name, byte[] Seed)[] witnesses)
    {
        var json = JsonNode.Parse(File.ReadAllText(bundle))!;
        var envelope = json["verificationMaterial"]!["tlogEntries"]![0]!["inclusionProof"]!["checkpoint"]!["envelope"]!;
        var note = SignedNote.Parse(envelope.GetValue<string>());
        var time = (ulong)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var cosigned = new SignedNote(note.Text, [.. note.Signatures, .. witnesses.Select(w => Cosignature.Sign(w.Name, w.Seed, note.Text, time))]);
        json["verificationMaterial"]!["tlogEntries"]![0]!["inclusionProof"]!["checkpoint"]!["envelope"] = cosigned.Serialize();
        var path = bundle + suffix;
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    private Task<Psig.Result> VerifyAsync(string artifact, string bundle, string policy) =>
        Psig.RunAsync("verify-blob", artifact, "--bundle", bundle, "--key", v2.PublicKeyPath, "--trusted-root", v2.TrustedRootPath, "--witness-policy", policy);

    [Fact]
    public async Task Checkpoints_must_carry_the_cosignatures_the_quorum_needs()
    {
        var artifact = v2.NewFile("witnessed.txt", "witnessed\n");
        var sign = await Psig.RunAsync("sign-blob", artifact, "--key", v2.KeyPath, "--rekor-url", v2.RekorUrl, "--rekor-version", "2", "--tsa-url", v2.TsaUrl);
        Assert.True(sign.ExitCode == 0, sign.Error);
        var bundle = artifact + ".sigstore.json";
        var one = v2.NewFile("one.policy", $"""
            # one witness must have cosigned
            log ignored-here
            witness w1 {Vkey("witness-one.example", SeedA)} https://witness-one.example
            quorum w1
            """);
        var two = v2.NewFile("two.policy", $"""
            witness w1 {Vkey("witness-one.example", SeedA)}
            witness w2 {Vkey("witness-two.example", SeedB)}
            group both all w1 w2
            quorum both
            """);

        // No cosignature: refused (the upstream default, no policy, still verifies).
        var bare = await VerifyAsync(artifact, bundle, one);
        Assert.True(bare.ExitCode == 1, bare.Error);
        Assert.Contains("no valid cosignature of the policy's witnesses (quorum 'w1' not met)", bare.Error, StringComparison.Ordinal);
        Assert.Equal(0, (await Psig.RunAsync("verify-blob", artifact, "--bundle", bundle, "--key", v2.PublicKeyPath, "--trusted-root", v2.TrustedRootPath)).ExitCode);

        // Cosigned by w1: meets "w1", not "both"; by both: meets both.
        var byA = Cosigned(bundle, ".a", ("witness-one.example", SeedA));
        var ok = await VerifyAsync(artifact, byA, one);
        Assert.True(ok.ExitCode == 0, ok.Error);
        var short1 = await VerifyAsync(artifact, byA, two);
        Assert.Equal(1, short1.ExitCode);
        Assert.Contains("cosigned by w1, which does not meet quorum 'both'", short1.Error, StringComparison.Ordinal);
        var byBoth = Cosigned(bundle, ".ab", ("witness-one.example", SeedA), ("witness-two.example", SeedB));
        Assert.Equal(0, (await VerifyAsync(artifact, byBoth, two)).ExitCode);

        // A cosignature under the right name by another key does not count.
        var forged = Cosigned(bundle, ".forged", ("witness-one.example", SeedB));
        Assert.Equal(1, (await VerifyAsync(artifact, forged, one)).ExitCode);
    }

    [Theory]
    [InlineData("witness w1 not-a-key\nquorum w1\n", "one.bad:1: witness key")]
    [InlineData("group g 2 w1 w2\nquorum g\n", "one.bad:1: 'w1' is not a witness or group defined above")]
    [InlineData("# nothing\n", "one.bad: no quorum line")]
    [InlineData("quorum none\nquorum none\n", "one.bad:2: quorum is set twice")]
    public async Task A_bad_policy_file_is_a_usage_error_naming_the_line(string text, string reason)
    {
        var artifact = v2.NewFile("any.txt", "any\n");
        var policy = v2.NewFile("one.bad", text);
        var result = await Psig.RunAsync("verify-blob", artifact, "--bundle", artifact + ".sigstore.json", "--key", v2.PublicKeyPath, "--trusted-root", v2.TrustedRootPath, "--witness-policy", policy);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(reason, result.Error, StringComparison.Ordinal);
    }
}
