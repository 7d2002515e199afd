using PrivateSigstore.Core.Crypto;

namespace PrivateSigstore.Witness.Tests;

public sealed class OptionsTests
{
    [Fact]
    public void Bad_settings_are_named()
    {
        var log = TestLog.Ed25519("log.test.local/options");
        Assert.Contains("Witness:Logs:0", Assert.Throws<ArgumentException>(() => new WitnessOptions { Logs = [new() { VerifierKey = "nonsense" }] }.Validate()).Message, StringComparison.Ordinal);
        var wrongId = log.VerifierKey.Split('+');
        wrongId[1] = "00000000";
        Assert.Contains("key ID", Assert.Throws<ArgumentException>(() => new WitnessOptions { Logs = [new() { VerifierKey = string.Join('+', wrongId) }] }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("Witness:Key:Algorithm", Assert.Throws<ArgumentException>(() => new WitnessOptions { Key = new() { Algorithm = SigningAlgorithm.EcdsaP256Sha256 } }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("Witness:Name", Assert.Throws<ArgumentException>(() => new WitnessOptions { Name = "a b" }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("Witness:LogsFile", Assert.Throws<ArgumentException>(() => new WitnessOptions { LogsFile = "/nonexistent/logs.txt" }.Validate()).Message, StringComparison.Ordinal);
        Assert.Contains("listed twice", Assert.Throws<ArgumentException>(() => new WitnessOptions { Logs = [new() { VerifierKey = log.VerifierKey }, new() { VerifierKey = log.VerifierKey }] }.Validate()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_logs_file_holds_verifier_keys_with_optional_origins()
    {
        var tiles = TestLog.Ed25519("log.test.local/tiles");
        var v1 = TestLog.Ecdsa("rekor.test.local - 42", "rekor.test.local");
        var path = Path.Combine(WitnessHost.TempDirectory(), "logs.txt");
        File.WriteAllLines(path, ["# known logs", "", tiles.VerifierKey, $"{v1.Origin} {v1.VerifierKey}"]);
        var known = new WitnessOptions { LogsFile = path }.LoadKnownLogs();
        Assert.Equal(["log.test.local/tiles", "rekor.test.local - 42"], known.Keys.Order(StringComparer.Ordinal));

        File.AppendAllLines(path, ["garbage+1234"]);
        Assert.Contains("line 5", Assert.Throws<ArgumentException>(() => new WitnessOptions { LogsFile = path }.Validate()).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_configured_key_a_development_key_is_created_in_the_data_directory()
    {
        var options = new WitnessOptions { DataDirectory = WitnessHost.TempDirectory() };
        await using var host = await WitnessHost.StartAsync(options);
        Assert.True(File.Exists(Path.Combine(options.DataDirectory, "witness-key.pem")));
    }
}
