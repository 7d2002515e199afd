using System.Diagnostics;
using System.Runtime.InteropServices;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Pkcs11;

[assembly: AssemblyFixture(typeof(PrivateSigstore.Keys.Tests.TestSupport.SoftHsmFixture))]

namespace PrivateSigstore.Keys.Tests.TestSupport;

/// <summary>
/// A private SoftHSM2 token for this test run: a temporary token directory, a softhsm2.conf pointing
/// at it (SOFTHSM2_CONF set in the native environment before any test loads the module), and one
/// token initialized with softhsm2-util. Tests needing it call <see cref="Require"/>: they skip
/// when SoftHSM2 is not installed, except under CI (CI=true), where they fail.
/// </summary>
public sealed partial class SoftHsmFixture : IDisposable
{
    public const string ModulePath = "/usr/lib/softhsm/libsofthsm2.so";
    public const string TokenLabel = "psig-test";
    public const string UserPin = "1234";
    public const string SoPin = "5678";

    private readonly string? _directory;

    public SoftHsmFixture()
    {
        var util = FindOnPath("softhsm2-util");
        if (!OperatingSystem.IsLinux() || util is null || !File.Exists(ModulePath))
        {
            UnavailableReason = "SoftHSM2 is not installed (apt-get install softhsm2; test.sh installs it)";
            return;
        }

        _directory = Directory.CreateTempSubdirectory("psig-softhsm-").FullName;
        var tokens = Directory.CreateDirectory(Path.Combine(_directory, "tokens")).FullName;
        ConfigPath = Path.Combine(_directory, "softhsm2.conf");
        File.WriteAllText(ConfigPath, $"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");

        // SoftHSM reads SOFTHSM2_CONF with getenv() at C_Initialize; .NET's Environment.SetEnvironmentVariable
        // does not reach the native environment on Unix, so set it through libc too.
        Environment.SetEnvironmentVariable("SOFTHSM2_CONF", ConfigPath);
        if (NativeMethods.setenv("SOFTHSM2_CONF", ConfigPath, 1) != 0)
        {
            throw new InvalidOperationException("setenv(SOFTHSM2_CONF) failed");
        }

        InitToken(util, TokenLabel);
        IsAvailable = true;
    }

    public bool IsAvailable { get; }

    public string? UnavailableReason { get; }

    public string? ConfigPath { get; }

    /// <summary>Skips the calling test when SoftHSM2 is missing, or fails it under CI.</summary>
    public void Require()
    {
        if (IsAvailable)
        {
            return;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail($"CI=true but {UnavailableReason}");
        }

        Assert.Skip(UnavailableReason!);
    }

    /// <summary>Options for the test token (skipping or failing the test first when SoftHSM2 is missing).</summary>
    public Pkcs11Options Options(int maxSessions = 8)
    {
        Require();
        return new()
        {
            ModulePath = ModulePath,
            TokenLabel = TokenLabel,
            Pin = UserPin,
            MaxSessions = maxSessions,
        };
    }

    /// <summary>Opens the test token; the caller disposes it.</summary>
    public Pkcs11Token OpenToken(int maxSessions = 8) => Pkcs11Token.Open(Options(maxSessions));

    public void Dispose()
    {
        if (_directory is not null)
        {
            try
            {
                Directory.Delete(_directory, recursive: true);
            }
            catch (IOException)
            {
                // best effort
            }
        }
    }

    private void InitToken(string util, string label)
    {
        var start = new ProcessStartInfo(util)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--init-token", "--free", "--label", label, "--pin", UserPin, "--so-pin", SoPin })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["SOFTHSM2_CONF"] = ConfigPath;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"softhsm2-util --init-token failed ({process.ExitCode}): {output.Result} {error}");
        }
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);

    private static partial class NativeMethods
    {
        [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
        internal static partial int setenv(string name, string value, int overwrite);
    }
}
