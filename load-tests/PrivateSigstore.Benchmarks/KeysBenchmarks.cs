using System.Diagnostics;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys;
using PrivateSigstore.Keys.Pkcs11;

namespace PrivateSigstore.Benchmarks;

/// <summary>
/// ECDSA P-256 signing rates (the Rekor SET / checkpoint / SCT key): in-process OpenSSL through
/// <see cref="InMemorySigningKey"/> versus SoftHSM2 through <see cref="Pkcs11Token"/>, on one thread
/// and on two threads sharing one key (the PKCS#11 key uses one pooled session per thread).
/// The payload is SET-sized canonical JSON. When SoftHSM2 is not installed the SoftHSM cases do
/// nothing and the setup says so.
/// Run: <c>dotnet run -c Release --project load-tests/PrivateSigstore.Benchmarks -- --filter '*KeysBenchmarks*'</c>
/// </summary>
[MemoryDiagnoser]
public class KeysBenchmarks
{
    private const int SignaturesPerThread = 256;
    private const string ModulePath = "/usr/lib/softhsm/libsofthsm2.so";
    private static readonly string[] UtilPaths = ["/usr/bin/softhsm2-util", "/usr/local/bin/softhsm2-util"];
    private static readonly string[] InitTokenArguments = ["--init-token", "--free", "--label", "bench", "--pin", "1234", "--so-pin", "5678"];

    private readonly byte[] _payload = new byte[420];
    private InMemorySigningKey _inMemory = null!;
    private Pkcs11Token? _token;
    private ISigningKey? _softHsm;
    private string? _tokenDirectory;

    [GlobalSetup]
    public void Setup()
    {
        Random.Shared.NextBytes(_payload);
        _inMemory = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
        try
        {
            _softHsm = OpenSoftHsmKey();
        }
        catch (Exception e) when (e is KeyConfigurationException or IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            Console.WriteLine($"// SoftHSM benchmarks skipped: {e.Message}");
            _softHsm = null;
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _inMemory.Dispose();
        _softHsm?.Dispose();
        _token?.Dispose();
        if (_tokenDirectory is not null)
        {
            Directory.Delete(_tokenDirectory, recursive: true);
        }
    }

    [Benchmark(Baseline = true)]
    public byte[] InMemory_P256_1Thread() => _inMemory.Sign(_payload);

    [Benchmark(OperationsPerInvoke = 2 * SignaturesPerThread)]
    public void InMemory_P256_2Threads() => SignOnThreads(_inMemory, 2);

    [Benchmark]
    public byte[]? SoftHsm_P256_1Thread() => _softHsm?.Sign(_payload);

    [Benchmark(OperationsPerInvoke = 2 * SignaturesPerThread)]
    public void SoftHsm_P256_2Threads()
    {
        if (_softHsm is not null)
        {
            SignOnThreads(_softHsm, 2);
        }
    }

    private void SignOnThreads(ISigningKey key, int threads) =>
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ =>
        {
            for (var i = 0; i < SignaturesPerThread; i++)
            {
                key.Sign(_payload);
            }
        });

    private ISigningKey? OpenSoftHsmKey()
    {
        var util = UtilPaths.FirstOrDefault(File.Exists);
        if (!OperatingSystem.IsLinux() || util is null || !File.Exists(ModulePath))
        {
            Console.WriteLine("// SoftHSM benchmarks skipped: SoftHSM2 is not installed (apt-get install softhsm2)");
            return null;
        }

        // A throwaway token directory; SoftHSM reads SOFTHSM2_CONF with getenv() when the module initializes.
        _tokenDirectory = Directory.CreateTempSubdirectory("psig-bench-softhsm-").FullName;
        var tokens = Directory.CreateDirectory(Path.Combine(_tokenDirectory, "tokens")).FullName;
        var config = Path.Combine(_tokenDirectory, "softhsm2.conf");
        File.WriteAllText(config, $"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n");
        if (NativeMethods.setenv("SOFTHSM2_CONF", config, 1) != 0)
        {
            throw new InvalidOperationException("setenv(SOFTHSM2_CONF) failed");
        }

        var start = new ProcessStartInfo(util) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in InitTokenArguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["SOFTHSM2_CONF"] = config;
        using (var process = Process.Start(start)!)
        {
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"softhsm2-util --init-token exited with {process.ExitCode}");
            }
        }

        _token = Pkcs11Token.Open(new Pkcs11Options { ModulePath = ModulePath, TokenLabel = "bench", Pin = "1234", MaxSessions = 4 });
        return _token.GenerateKey("bench-p256", SigningAlgorithm.EcdsaP256Sha256);
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "setenv")]
        internal static extern int setenv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
    }
}
