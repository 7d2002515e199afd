namespace PrivateSigstore.Cli.Tests;

/// <summary>psig typed with no arguments: the command list and exit 0, as cosign does.</summary>
public sealed class BarePsigTests
{
    [Fact]
    public async Task Bare_psig_prints_the_command_list()
    {
        var result = await Psig.RunAsync();
        Assert.Equal(0, result.ExitCode);
        Assert.DoesNotContain("Required command was not provided", result.Out + result.Error, StringComparison.Ordinal);
        foreach (var command in new[] { "sign-blob", "verify-blob", "attest", "verify-attestation", "log", "initialize", "tuf", "token" })
        {
            Assert.Contains(command, result.Out, StringComparison.Ordinal);
        }
    }
}
