using System.Text.RegularExpressions;

namespace PrivateSigstore.Deploy.Tests;

/// <summary>
/// Issue 20, finding 9: HSM PINs were passed to <c>softhsm2-util --pin … --so-pin …</c>, where every user of the machine
/// can read them in the process list (/proc/&lt;pid&gt;/cmdline). softhsm2-util 2.6 takes a PIN only as an argument or from a
/// terminal, so deployments initialise tokens with <c>PrivateSigstore.Fulcio ca init-token --pin-file … --so-pin-file …</c>
/// (PKCS#11 in-process) instead. Literal throw-away PINs of test tokens (e.g. <c>--pin 1234</c> in smoke and load scripts)
/// are not secrets; a PIN taken from a variable, a file or a secret is.
/// </summary>
public sealed partial class HsmPinExposureTests
{
    [GeneratedRegex(@"softhsm2-util\b[^\n]*(\\\n[^\n]*)*?--(so-)?pin[ =]+""?(\$|`)")]
    private static partial Regex SecretPinArgument();

    [Fact]
    public void No_deployment_file_script_or_document_puts_a_real_hsm_pin_on_a_command_line()
    {
        var files = new[] { "deploy", "docs", "load-tests", "src" }
            .Select(d => Repository.File(d))
            .SelectMany(d => Directory.EnumerateFiles(d, "*", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains("node_modules", StringComparison.Ordinal)
                && Path.GetExtension(f) is ".sh" or ".md" or ".yaml" or ".yml" or ".service" or "" or ".cs")
            .Append(Repository.File("docker-compose.yml"))
            .Append(Repository.File("README.md"))
            .ToList();
        Assert.Contains(files, f => f.EndsWith("init-keys.sh", StringComparison.Ordinal));
        var offending = files
            .SelectMany(f => SecretPinArgument().Matches(File.ReadAllText(f)).Select(m => $"{Path.GetRelativePath(Repository.Root, f)}: {m.Value}"))
            .ToList();
        Assert.True(offending.Count == 0, "PIN on a command line:\n" + string.Join('\n', offending));
    }
}
