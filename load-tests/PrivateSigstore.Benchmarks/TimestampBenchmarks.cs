using System.Security.Cryptography;
using System.Security.Cryptography.Pkcs;
using System.Text;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Logging.Abstractions;
using PrivateSigstore.Core.Crypto;
using PrivateSigstore.Keys;
using PrivateSigstore.Timestamp;

namespace PrivateSigstore.Benchmarks;

/// <summary>
/// The timestamp authority's own work per request, without HTTP and without an HSM: parsing a DER or JSON request
/// (<see cref="TimestampQuery"/>) and issuing a token (<see cref="TimestampAuthority.Issue"/>: TSTInfo, signed
/// attributes, one ECDSA P-256 signature with an in-process key, SignedData, TimeStampResp). Compare with
/// <see cref="KeysBenchmarks"/> for what a SoftHSM2 signature adds.
/// Run: <c>dotnet run -c Release --project load-tests/PrivateSigstore.Benchmarks -- --filter '*TimestampBenchmarks*'</c>
/// </summary>
[MemoryDiagnoser]
public class TimestampBenchmarks : IDisposable
{
    private TimestampAuthority _authority = null!;
    private byte[] _der = [];
    private byte[] _json = [];
    private TimestampQuery _query = null!;

    [GlobalSetup]
    public void Setup()
    {
        var key = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
        using var rootKey = InMemorySigningKey.Generate(SigningAlgorithm.EcdsaP256Sha256);
        var now = DateTimeOffset.UtcNow;
        var root = TsaCertificates.CreateRoot(rootKey, "Bench Root", "Bench", now, now.AddYears(1));
        var leaf = TsaCertificates.CreateLeaf(key.SubjectPublicKeyInfo, "Bench TSA", "Bench", root, rootKey, now, now.AddDays(30));
        var options = new TimestampOptions();
        _authority = new TimestampAuthority(TsaCredentials.Create(key, [leaf, root]), options,
            new ClockMonitor(options.ClockCheck, TimeProvider.System, NullLogger<ClockMonitor>.Instance), TimeProvider.System);
        var hash = SHA256.HashData("benchmark"u8);
        _der = Rfc3161TimestampRequest.CreateFromHash(hash, HashAlgorithmName.SHA256, nonce: new byte[] { 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0x01 }, requestSignerCertificates: true).Encode();
        _json = Encoding.UTF8.GetBytes($"{{\"artifactHash\":\"{Convert.ToBase64String(hash)}\",\"hashAlgorithm\":\"sha256\",\"certificates\":true,\"nonce\":1311768467463790081}}");
        _query = TimestampQuery.FromDer(_der, _authority.AcceptedPolicies);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        _authority?.Dispose();
        GC.SuppressFinalize(this);
    }

    [Benchmark]
    public TimestampQuery ParseDer() => TimestampQuery.FromDer(_der, _authority.AcceptedPolicies);

    [Benchmark]
    public TimestampQuery ParseJson() => TimestampQuery.FromJson(_json, _authority.AcceptedPolicies);

    [Benchmark(Baseline = true)]
    public byte[] IssueWithInMemoryP256Key() => _authority.Issue(_query);
}
