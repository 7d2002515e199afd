using System.Text.Json;
using System.Text.Json.Nodes;
using PrivateSigstore.Core.Trust;

namespace PrivateSigstore.Cli.Tests;

/// <summary>
/// psig signs with a PEM key against our Rekor v2 and our timestamp authority (both real, in process, on loopback) and
/// verifies what it wrote with a trusted root listing the v2 log and the TSA; tampering is refused; the signing config
/// picks v2 and the TSA; psig log reads the v2 log through its tiles.
/// </summary>
public sealed class RekorV2SigningTests(RekorV2Fixture v2) : IClassFixture<RekorV2Fixture>
{
    [Fact]
    public async Task Sign_blob_with_rekor_version_2_writes_a_v03_bundle_with_a_hashedrekord_002_entry_and_a_timestamp_that_verify_blob_accepts()
    {
        var artifact = v2.NewFile("artifact.txt", "hello from psig to Rekor v2\n");
        var bundle = artifact + ".sigstore.json";

        var sign = await SignAsync(artifact);

        Assert.True(sign.ExitCode == 0, sign.Error);
        Assert.Contains("Rekor v2, hashedrekord 0.0.2", sign.Error, StringComparison.Ordinal);
        var json = JsonNode.Parse(File.ReadAllText(bundle))!;
        Assert.Equal("application/vnd.dev.sigstore.bundle.v0.3+json", (string?)json["mediaType"]);
        var entry = json["verificationMaterial"]!["tlogEntries"]![0]!;
        Assert.Equal("hashedrekord", (string?)entry["kindVersion"]!["kind"]);
        Assert.Equal("0.0.2", (string?)entry["kindVersion"]!["version"]);
        Assert.True(entry["integratedTime"] is null || (string?)entry["integratedTime"] == "0");
        Assert.Null(entry["inclusionPromise"]);
        Assert.Equal(Convert.ToBase64String(v2.Trust.KeyId), (string?)entry["logId"]!["keyId"]);
        Assert.StartsWith("127.0.0.1\n", (string?)entry["inclusionProof"]!["checkpoint"]!["envelope"], StringComparison.Ordinal);
        var timestamp = (string?)json["verificationMaterial"]!["timestampVerificationData"]!["rfc3161Timestamps"]![0]!["signedTimestamp"];
        Assert.False(string.IsNullOrEmpty(timestamp));

        var record = artifact + ".record.json";
        var verify = await VerifyAsync(artifact, bundle, "--record", record);

        Assert.True(verify.ExitCode == 0, verify.Error);
        Assert.Contains("Verified OK", verify.Out, StringComparison.Ordinal);
        using var recordJson = JsonDocument.Parse(File.ReadAllText(record));
        Assert.Equal("verified", recordJson.RootElement.GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task Sign_blob_with_the_signing_config_picks_rekor_v2_and_its_timestamp_authority()
    {
        var artifact = v2.NewFile("artifact.txt", "chosen by the signing config\n");

        var sign = await Psig.RunAsync("sign-blob", artifact, "--key", v2.KeyPath, "--signing-config", v2.SigningConfigPath);

        Assert.True(sign.ExitCode == 0, sign.Error);
        Assert.Contains("Rekor v2, hashedrekord 0.0.2", sign.Error, StringComparison.Ordinal);
        Assert.Contains("RFC 3161 timestamp added", sign.Error, StringComparison.Ordinal);
        var verify = await VerifyAsync(artifact, artifact + ".sigstore.json");
        Assert.True(verify.ExitCode == 0, verify.Error);
    }

    [Fact]
    public async Task Rekor_version_1_overrides_the_signing_configs_choice()
    {
        var artifact = v2.NewFile("artifact.txt", "v1 asked for\n");

        // The config's v1 log is a dead URL: the attempt to reach it shows which log was chosen.
        var sign = await Psig.RunAsync("sign-blob", artifact, "--key", v2.KeyPath, "--signing-config", v2.SigningConfigPath, "--rekor-version", "1");

        Assert.Equal(1, sign.ExitCode);
        Assert.Contains("api/v1/log/entries", sign.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_signing_config_with_rekor_v2_and_no_timestamp_authority_is_a_usage_error()
    {
        var config = v2.NewFile("signing_config.json", SigningConfigJson.Serialize(v2.SigningConfig(withTsa: false)));
        var artifact = v2.NewFile("artifact.txt", "no TSA\n");

        var sign = await Psig.RunAsync("sign-blob", artifact, "--key", v2.KeyPath, "--signing-config", config);

        Assert.Equal(2, sign.ExitCode);
        Assert.Contains("needs a timestamp authority", sign.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(artifact + ".sigstore.json"));
    }

    [Fact]
    public async Task Rekor_version_2_without_a_timestamp_authority_is_a_usage_error()
    {
        var artifact = v2.NewFile("artifact.txt", "no TSA\n");

        var sign = await Psig.RunAsync("sign-blob", artifact, "--key", v2.KeyPath, "--rekor-url", v2.RekorUrl, "--rekor-version", "2");

        Assert.Equal(2, sign.ExitCode);
        Assert.Contains("needs a timestamp authority", sign.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_changed_artifact_is_refused()
    {
        var artifact = v2.NewFile("artifact.txt", "original\n");
        Assert.Equal(0, (await SignAsync(artifact)).ExitCode);
        File.WriteAllText(artifact, "changed\n");

        var verify = await VerifyAsync(artifact, artifact + ".sigstore.json");

        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("artifact-digest", verify.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_tampered_timestamp_is_refused()
    {
        var artifact = v2.NewFile("artifact.txt", "timestamped\n");
        Assert.Equal(0, (await SignAsync(artifact)).ExitCode);
        var bundle = artifact + ".sigstore.json";
        var json = JsonNode.Parse(File.ReadAllText(bundle))!;
        var timestamp = json["verificationMaterial"]!["timestampVerificationData"]!["rfc3161Timestamps"]![0]!;
        var der = Convert.FromBase64String((string)timestamp["signedTimestamp"]!);
        der[^1] ^= 0x01; // the last byte of the token's signature
        timestamp["signedTimestamp"] = Convert.ToBase64String(der);
        File.WriteAllText(bundle, json.ToJsonString());

        var verify = await VerifyAsync(artifact, bundle);

        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("timestamp", verify.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_bundle_without_its_timestamp_is_refused()
    {
        var artifact = v2.NewFile("artifact.txt", "untimed\n");
        Assert.Equal(0, (await SignAsync(artifact)).ExitCode);
        var bundle = artifact + ".sigstore.json";
        var json = JsonNode.Parse(File.ReadAllText(bundle))!;
        json["verificationMaterial"]!.AsObject().Remove("timestampVerificationData");
        File.WriteAllText(bundle, json.ToJsonString());

        var verify = await VerifyAsync(artifact, bundle);

        Assert.Equal(1, verify.ExitCode);
    }

    [Fact]
    public async Task A_tampered_inclusion_proof_is_refused()
    {
        // Two signings, so the second entry's proof has at least one hash.
        Assert.Equal(0, (await SignAsync(v2.NewFile("first.txt", "first\n"))).ExitCode);
        var artifact = v2.NewFile("artifact.txt", "proved\n");
        Assert.Equal(0, (await SignAsync(artifact)).ExitCode);
        var bundle = artifact + ".sigstore.json";
        var json = JsonNode.Parse(File.ReadAllText(bundle))!;
        var proof = json["verificationMaterial"]!["tlogEntries"]![0]!["inclusionProof"]!;
        var hashes = proof["hashes"]!.AsArray();
        Assert.NotEmpty(hashes);
        var hash = Convert.FromBase64String((string)hashes[0]!);
        hash[0] ^= 0x80;
        hashes[0] = Convert.ToBase64String(hash);
        File.WriteAllText(bundle, json.ToJsonString());

        var verify = await VerifyAsync(artifact, bundle);

        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("inclusion", verify.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("hashedrekord", "hashedrekord")]
    [InlineData("dsse", "dsse")]
    public async Task Attest_with_rekor_version_2_writes_an_entry_verify_attestation_accepts(string mode, string kind)
    {
        var statement = v2.NewFile("statement.json",
            """{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"00"}}],"predicateType":"https://example.com/p","predicate":{}}""");
        var bundle = statement + ".sigstore.json";

        var attest = await Psig.RunAsync("attest", "--statement", statement, "--bundle", bundle, "--key", v2.KeyPath,
            "--rekor-url", v2.RekorUrl, "--rekor-version", "2", "--tsa-url", v2.TsaUrl, "--rekor-v2-entry", mode);

        Assert.True(attest.ExitCode == 0, attest.Error);
        var json = JsonNode.Parse(File.ReadAllText(bundle))!;
        Assert.Equal(kind, (string?)json["verificationMaterial"]!["tlogEntries"]![0]!["kindVersion"]!["kind"]);
        Assert.Equal("0.0.2", (string?)json["verificationMaterial"]!["tlogEntries"]![0]!["kindVersion"]!["version"]);
        Assert.NotNull(json["verificationMaterial"]!["timestampVerificationData"]);
        var verify = await Psig.RunAsync("verify-attestation", "--bundle", bundle, "--key", v2.PublicKeyPath, "--trusted-root", v2.TrustedRootPath);
        Assert.True(verify.ExitCode == 0, verify.Error);
    }

    [Fact]
    public async Task Log_checkpoint_proof_get_and_verify_consistency_work_against_rekor_v2()
    {
        Assert.Equal(0, (await SignAsync(v2.NewFile("a.txt", "before the checkpoint\n"))).ExitCode);
        var saved = Path.Combine(v2.Directory, Guid.NewGuid().ToString("N") + ".checkpoint");
        var log = new[] { "log", "--rekor-url", v2.RekorUrl, "--rekor-version", "2", "--trusted-root", v2.TrustedRootPath };

        var checkpoint = await Psig.RunAsync([.. log, "checkpoint", "--output", saved]);
        Assert.True(checkpoint.ExitCode == 0, checkpoint.Error);
        Assert.Contains("verified with the trusted root's key", checkpoint.Out, StringComparison.Ordinal);
        Assert.StartsWith("127.0.0.1\n", File.ReadAllText(saved), StringComparison.Ordinal);

        var artifact = v2.NewFile("b.txt", "after the checkpoint\n");
        Assert.Equal(0, (await SignAsync(artifact)).ExitCode);
        var index = JsonNode.Parse(File.ReadAllText(artifact + ".sigstore.json"))!["verificationMaterial"]!["tlogEntries"]![0]!["logIndex"]!.ToString();

        var proof = await Psig.RunAsync([.. log, "proof", "--log-index", index]);
        Assert.True(proof.ExitCode == 0, proof.Error + proof.Out);
        Assert.Contains("Inclusion: verified", proof.Out, StringComparison.Ordinal);

        var get = await Psig.RunAsync([.. log, "--json", "get", "--log-index", index]);
        Assert.True(get.ExitCode == 0, get.Error + get.Out);
        var entry = JsonNode.Parse(get.Out)!;
        Assert.Equal("hashedrekord", (string?)entry["kind"]);
        Assert.Equal("0.0.2", (string?)entry["apiVersion"]);
        Assert.True((bool)entry["included"]!);

        var consistency = await Psig.RunAsync([.. log, "verify-consistency", "--first-checkpoint", saved]);
        Assert.True(consistency.ExitCode == 0, consistency.Error + consistency.Out);
        Assert.Contains("consistent", consistency.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("NOT CONSISTENT", consistency.Out, StringComparison.Ordinal);

        // A wrong earlier root is not consistent.
        var cp = Core.Notes.SignedCheckpoint.Parse(File.ReadAllText(saved)).Checkpoint;
        var wrong = (byte[])cp.RootHash.Clone();
        wrong[0] ^= 1;
        var inconsistent = await Psig.RunAsync([.. log, "verify-consistency", "--first-size", cp.Size.ToString(System.Globalization.CultureInfo.InvariantCulture), "--first-root-hash", Convert.ToHexStringLower(wrong)]);
        Assert.Equal(1, inconsistent.ExitCode);
        Assert.Contains("NOT CONSISTENT", inconsistent.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Log_commands_find_the_v2_log_in_the_signing_config()
    {
        Assert.Equal(0, (await SignAsync(v2.NewFile("c.txt", "for the config\n"))).ExitCode);

        var checkpoint = await Psig.RunAsync("log", "--signing-config", v2.SigningConfigPath, "--trusted-root", v2.TrustedRootPath, "--json", "checkpoint");

        Assert.True(checkpoint.ExitCode == 0, checkpoint.Error);
        Assert.True((bool)JsonNode.Parse(checkpoint.Out)!["checkpointSignatureVerified"]!);
    }

    [Fact]
    public async Task Log_checkpoint_signed_by_another_key_than_the_trusted_roots_exits_1()
    {
        Assert.Equal(0, (await SignAsync(v2.NewFile("d.txt", "something\n"))).ExitCode);
        var spki = Core.Crypto.Ed25519.ToSubjectPublicKeyInfo(Core.Crypto.Ed25519.PublicKeyFromSeed(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        var root = TrustMaterialBuilder.TrustedRoot([], [new TrustedLog(v2.RekorUrl, spki, DateTimeOffset.UtcNow.AddHours(-1), CheckpointOrigin: "127.0.0.1")], []);
        var rootPath = v2.NewFile("other_root.json", TrustedRootJson.Serialize(root));

        var checkpoint = await Psig.RunAsync("log", "--rekor-url", v2.RekorUrl, "--rekor-version", "2", "--trusted-root", rootPath, "checkpoint");

        Assert.Equal(1, checkpoint.ExitCode);
        Assert.Contains("NOT VERIFIED", checkpoint.Out, StringComparison.Ordinal);
    }

    private Task<Psig.Result> SignAsync(string artifact) =>
        Psig.RunAsync("sign-blob", artifact, "--key", v2.KeyPath, "--rekor-url", v2.RekorUrl, "--rekor-version", "2", "--tsa-url", v2.TsaUrl);

    private Task<Psig.Result> VerifyAsync(string artifact, string bundle, params string[] more) =>
        Psig.RunAsync(["verify-blob", artifact, "--bundle", bundle, "--key", v2.PublicKeyPath, "--trusted-root", v2.TrustedRootPath, .. more]);
}
