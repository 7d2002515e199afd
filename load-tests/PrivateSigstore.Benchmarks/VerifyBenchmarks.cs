using BenchmarkDotNet.Attributes;
using PrivateSigstore.Client.Verification;
using PrivateSigstore.Core.Bundle;

namespace PrivateSigstore.Benchmarks;

/// <summary>
/// Bundle verification throughput in one process: the public-good v0.3 hashedrekord bundle of the sigstore-conformance
/// suite (Fulcio leaf + SCT, Rekor v1 SET + inclusion proof + checkpoint) parsed and verified 1,000 times against the
/// production trusted root with an exact identity policy — the same work tests/interop/verify-throughput.mjs gives
/// @sigstore/verify. One thread, and the same 1,000 split over all cores.
/// Run: <c>dotnet run -c Release --project load-tests/PrivateSigstore.Benchmarks -- --filter '*VerifyBenchmarks*'</c>
/// </summary>
[MemoryDiagnoser]
public class VerifyBenchmarks
{
    private const int Bundles = 1000;
    private const string Identity = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";

    private byte[] _bundle = [];
    private BundleVerifier _verifier = null!;
    private VerificationPolicy _policy = null!;

    [GlobalSetup]
    public void Setup()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "testdata");
        _bundle = File.ReadAllBytes(Path.Combine(dir, "happy-path-v0.3.sigstore.json"));
        _verifier = new BundleVerifier(TrustedMaterial.Load(Path.Combine(dir, "production.trusted_root.json")));
        _policy = new VerificationPolicy(ArtifactPolicy.FromBytes(File.ReadAllBytes(Path.Combine(dir, "a.txt"))),
            IdentityPolicy.Certificate(Identity, "https://token.actions.githubusercontent.com"));
        _verifier.Verify(BundleJson.Parse(_bundle), _policy);
    }

    [Benchmark(OperationsPerInvoke = Bundles, Description = "parse + verify, 1 thread (per bundle)")]
    public void OneThread()
    {
        for (var i = 0; i < Bundles; i++)
        {
            _verifier.Verify(BundleJson.Parse(_bundle), _policy);
        }
    }

    [Benchmark(OperationsPerInvoke = Bundles, Description = "parse + verify, all cores (per bundle)")]
    public void AllCores() => Parallel.For(0, Bundles, _ => _verifier.Verify(BundleJson.Parse(_bundle), _policy));
}
